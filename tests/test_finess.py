"""FINESS etalab stock reader and quarterly counts, on fixtures built from the documented format."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import finess
from tests.fixtures.builders import FINESS_REAL, finess_lines, finess_structure, write_finess

TERRITORIES = pd.DataFrame({
    "code": ["C01451", "C01004", "C01001", "C69383", "C15014", "C2A004", "E200071751", "D01", "D69", "D15", "D2A",
             "R84", "R94", "FR"],
    "level": ["commune"] * 6 + ["epci", "departement", "departement", "departement", "departement", "region",
                                "region", "pays"],
    "region": ["R84"] * 5 + ["R94", "R84", "R84", "R84", "R84", "R94", "R84", "R94", ""],
    "departement": ["D01", "D01", "D01", "D69", "D15", "D2A", "", "D01", "D69", "D15", "D2A", "", "", ""],
    "epci": ["E200071751", "E200071751", "", "", "", "", "", "", "", "", "", "", "", ""],
    "commune": ["C01451", "C01004", "C01001", "C69123", "C15014", "C2A004", "", "", "", "", "", "", "", ""],
})


def at(obs, indicator, territory, period):
    rows = obs[(obs.indicator == indicator) & (obs.territory == territory) & (obs.period == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture
def contribution(tmp_path):
    c = finess.read(write_finess(tmp_path / "etalab-cs1100507-stock-20240315-0400.csv"), {})
    c.finalize(c, TERRITORIES)
    return c


def test_sniff(tmp_path):
    assert finess.sniff(write_finess(tmp_path / "f.csv"))
    (tmp_path / "g.csv").write_text("indic_id,enforce_zone_id\n")
    assert not finess.sniff(tmp_path / "g.csv") and not finess.sniff(tmp_path / "absent.csv")


def test_structures(contribution):
    s = contribution.structures.set_index("id")
    assert set(s.category) == {"603", "124", "604"}
    assert "010000024" not in s.index  # the real example is a hospital (355): not kept
    viriat = s.loc["010012345"]
    assert viriat.commune == "C01451" and viriat["name"] == "MSP DE VIRIAT"
    assert viriat.address == "12 R DE LA REPUBLIQUE, 01440 VIRIAT"
    assert viriat.source == "FINESS (extraction du 2024-03-15)"
    assert 5.0 < viriat.lon < 5.6 and 45.7 < viriat.lat < 46.4
    assert s.loc["010012346"].opening_date == "2018-09-15"  # DD/MM/YYYY accepted
    assert s.loc["2A0001234"].commune == "C2A004"
    abymes = s.loc["970101234"]
    assert abymes.commune == "C97101" and -62 < abymes.lon < -61 and 16 < abymes.lat < 16.6
    reunion = s.loc["970401234"]
    assert reunion.commune == "C97411" and 55 < reunion.lon < 56 and -21.5 < reunion.lat < -20.8


def test_unknown_projection_is_reported_not_an_error(contribution):
    s = contribution.structures.set_index("id")
    assert pd.isna(s.loc["970601234"].lon)
    assert any("PROJECTION_X" in line for line in contribution.report)


def test_quarterly_counts(contribution):
    obs = contribution.observations
    assert set(obs.status) == {"estimated"}
    assert at(obs, "msp_count_finess", "D01", "2012Q1").value == 1
    assert at(obs, "msp_count_finess", "D01", "2018Q3").value == 2
    assert at(obs, "msp_count_finess", "D01", "2024Q1").value == 2  # opening in 2025 not counted
    assert at(obs, "msp_count_finess", "R84", "2023Q3").value == 2
    assert at(obs, "msp_count_finess", "R84", "2023Q4").value == 3
    assert at(obs, "msp_count_finess", "E200071751", "2024Q1").value == 2
    assert at(obs, "cds_count_finess", "D01", "2024Q1").value == 0
    assert at(obs, "cpts_count_finess", "R84", "2024Q1").value == 1
    assert at(obs, "msp_count_finess", "FR", "2024Q1").value == 6
    assert at(obs, "cds_count_finess", "D971", "2024Q1").value == 1
    assert obs.period.max() == "2024Q1"
    row = at(obs, "msp_count_finess", "R84", "2024Q1")
    assert "catégorie 603" in row.source and "2024-03-15" in row.source
    assert contribution.priority == 50


def test_communes_only_at_latest_quarter_and_cities(contribution):
    obs = contribution.observations
    communes = obs[obs.territory.str.startswith("C")]
    assert set(communes.period) == {"2024Q1"}
    assert at(obs, "cds_count_finess", "C69383", "2024Q1").value == 1
    assert at(obs, "cds_count_finess", "C69123", "2024Q1").value == 1


def test_unknown_communes_reported(contribution):
    facts = contribution.facts["finess_unknown_communes"]
    assert facts["count"] == 3 and "C97101" in facts["codes"]


def test_utf8_accepted(tmp_path):
    c = finess.read(write_finess(tmp_path / "f.csv", encoding="utf-8"), {})
    assert len(c.structures) == 10


def test_partial_file_counts_only_covered_territories(tmp_path):
    lines = ["finess;etalab;96;2024-03-15",
             finess_structure("010012345", "MSP DE VIRIAT", "01", "451", "AIN", "01440 VIRIAT", "603", "2012-03-01")]
    c = finess.read(write_finess(tmp_path / "f.csv", lines), {})
    c.finalize(c, TERRITORIES)
    terr = set(c.observations.territory)
    assert "D01" in terr and "R84" not in terr and "FR" not in terr and "D69" not in terr


@pytest.mark.parametrize("mutate, fragment, row, column", [
    (lambda ls: ls[:2] + [ls[2].replace(";8621Z;", ";")] + ls[3:], "31 valeurs attendues", 3, 31),
    (lambda ls: ls[:2] + [ls[2].replace("2012-03-01", "2012-13-01")] + ls[3:], "date impossible", 3, "dateouv"),
    (lambda ls: ls[:13] + [ls[13].replace("882538.9", "88x538")] + ls[14:], "non numérique", 14, "coordxet"),
    (lambda ls: ["structureet;etalab;96;2024-03-15"] + ls[1:], "finess;etalab", 1, 1),
    (lambda ls: [], "fichier vide", 1, 1),
])
def test_errors(tmp_path, mutate, fragment, row, column):
    lines = mutate(finess_lines())
    path = write_finess(tmp_path / "bad.csv", lines) if lines else tmp_path / "bad.csv"
    if not lines:
        path.write_bytes(b"")
    with pytest.raises(InputError) as err:
        finess.read(path, {})
    assert fragment in str(err.value) and err.value.row == row and "bad.csv" in str(err.value)
    if column is not None:
        assert err.value.column == column


def test_real_documented_line_has_31_values():
    assert len(FINESS_REAL.split(";")) == 32
