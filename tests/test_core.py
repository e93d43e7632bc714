"""Quarters, territory codes and French formatting."""
import datetime as dt

import pytest

from dashboard import fmt, periods, territory


def test_quarters_round_trip_and_labels():
    assert periods.label("2024Q3") == "T3 2024"
    assert periods.from_date("2023-12-01") == "2023Q4"
    assert periods.from_date(dt.date(2017, 6, 30)) == "2017Q2"
    assert periods.shift("2023Q4", 1) == "2024Q1"
    assert periods.index("2026Q4") - periods.index("2022Q4") == 16
    assert periods.span("2023Q3", "2024Q1") == ["2023Q3", "2023Q4", "2024Q1"]
    assert periods.end_date("2024Q1") == dt.date(2024, 3, 31)
    for bad in ("2023Q5", "2023-Q4", "T4 2023", "", None, 2023):
        assert not periods.is_quarter(bad)
    with pytest.raises(ValueError):
        periods.parse("2023Q0")


def test_territory_codes():
    assert territory.level_of("FR") == "pays"
    assert territory.level_of("R84") == "region"
    assert territory.level_of("D15") == "departement"
    assert territory.level_of("D2A") == "departement"
    assert territory.level_of("D971") == "departement"
    assert territory.level_of("E200066389") == "epci"
    assert territory.level_of("C15014") == "commune"
    assert territory.level_of("C2A004") == "commune"
    assert territory.make("commune", "69123") == "C69123"
    assert territory.native("D15") == "15"
    for bad in ("15", "D1", "C1501", "E12345", "X15", "R8", "C15014 ", "<script>", "D15;drop", "FR" * 20):
        assert not territory.is_code(bad)
        with pytest.raises(ValueError):
            territory.level_of(bad)


def test_french_numbers():
    nbsp = "\u202f"
    assert fmt.number(1234.5, 1) == f"1{nbsp}234,5"
    assert fmt.number(1234567) == f"1{nbsp}234{nbsp}567"
    assert fmt.value(14.6, "%") == f"14,6{nbsp}%"
    assert fmt.value(3.681, "consultations/hab./an") == "3,68"
    assert fmt.value(None, "nombre") == "–"
    assert fmt.signed(-12) == "−12" and fmt.signed(3.5, 1) == "+3,5"
    assert fmt.quarter("2023Q4") == "T4 2023"
