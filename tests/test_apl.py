"""DREES APL reader and DREES-rule aggregation: real 2022 sample + workbooks built in code."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import apl
from tests.fixtures.builders import APL_HEADER, APL_ROWS, write_apl_workbook


def territories_for(codes, region="R84", epci=None) -> pd.DataFrame:
    """A territories table covering the given commune store codes (département from the code)."""
    deps = ["D" + (c[1:4] if c.startswith("C97") else c[1:3]) for c in codes]
    cities = {"C69381": "C69123", "C69383": "C69123"}
    communes = pd.DataFrame({"code": codes, "level": "commune", "name": codes, "region": region,
                             "departement": deps, "epci": epci or "", "commune": [cities.get(c, c) for c in codes],
                             "population": 0})
    d = pd.DataFrame({"code": sorted(set(deps)), "level": "departement", "region": region})
    return pd.concat([communes, d, pd.DataFrame({"code": [region, "FR"], "level": ["region", "pays"]})],
                     ignore_index=True)


def value(obs, indicator, territory, period="2022Q4"):
    rows = obs[(obs.indicator == indicator) & (obs.territory == territory) & (obs.period == period)]
    assert len(rows) == 1, (indicator, territory, rows)
    return rows.iloc[0]


@pytest.fixture(scope="module")
def real(opendata):
    path = opendata / "apl" / "apl_mg_2022_ara.xlsx"
    c = apl.read(path, {})
    codes = sorted(set(c.observations.territory))
    c.finalize(c, territories_for(codes))
    return c


def test_real_sample_is_recognised(opendata):
    assert apl.sniff(opendata / "apl" / "apl_mg_2022_ara.xlsx")
    assert not apl.sniff(opendata / "barometre" / "ind-311-ara.csv")


def test_real_commune_values(real):
    obs = real.observations
    assert real.rows == 4036 and real.millesime == "2022"
    for code, expected in {"C01001": 1.89, "C38185": 4.32, "C63113": 4.379, "C15014": 4.843, "C69383": 4.359}.items():
        row = value(obs, "apl_mg_mean", code)
        assert row.value == pytest.approx(expected)
        assert row.status == "observed" and row.source == "DREES, APL aux médecins généralistes 2022"
    assert value(obs, "apl_mg_mean_65", "C01001").value == pytest.approx(1.828)


def test_real_region_values_follow_drees_rule(real):
    obs = real.observations
    assert value(obs, "apl_mg_under_2_5_pct", "R84").value == pytest.approx(14.6, abs=0.1)
    mean = value(obs, "apl_mg_mean", "R84")
    assert mean.value == pytest.approx(3.681, abs=0.01)
    assert mean.status == "estimated" and "règle DREES" in mean.source
    assert 0 < value(obs, "apl_mg_under_2_5_pct_65", "R84").value <= 100
    assert value(obs, "apl_mg_mean", "D69").status == "estimated"


def test_lyon_arrondissements_roll_up_into_the_city(real):
    obs = real.observations
    arr = obs[(obs.indicator == "apl_mg_mean") & obs.territory.str.match(r"C6938\d") & (obs.status == "observed")]
    assert len(arr) == 9
    lyon = value(obs, "apl_mg_mean", "C69123")
    assert lyon.status == "estimated"
    assert arr.value.min() < lyon.value < arr.value.max()


def test_weights_standardised_for_mean_total_for_share(tmp_path):
    rows = [("01001", "A", 2.0, 1.0, 100.0, 300), ("01002", "B", 4.0, 2.0, 300.0, 100)]
    c = apl.read(write_apl_workbook(tmp_path / "a.xlsx", {"APL 2022": rows}))
    c.finalize(c, territories_for(["C01001", "C01002"], epci="E200000001"))
    obs = c.observations
    assert value(obs, "apl_mg_mean", "D01").value == pytest.approx((2 * 100 + 4 * 300) / 400)
    assert value(obs, "apl_mg_under_2_5_pct", "E200000001").value == pytest.approx(75.0)
    assert value(obs, "apl_mg_under_2_5_pct_65", "FR").value == pytest.approx(100.0)


def test_every_millesime_sheet_and_variant_headers(tmp_path):
    header = list(APL_HEADER)
    header[3] = "APL aux médecins généralistes de 65 ans ou moins"
    header[4], header[5] = "Population standardisée 2021 pour la médecine générale", "Population totale 2021"
    path = tmp_path / "apl.xlsx"
    write_apl_workbook(path, {"APL 2022": APL_ROWS, "APL 2023": APL_ROWS[:2]}, header=header)
    c = apl.read(path)
    assert c.millesime == "2022,2023"
    periods = set(c.observations.period)
    assert periods == {"2022Q4", "2023Q4"}
    assert value(c.observations, "apl_mg_mean_65", "C01001", "2023Q4").value == pytest.approx(1.828)


def test_header_found_by_content_and_units_row_optional(tmp_path):
    c = apl.read(write_apl_workbook(tmp_path / "a.xlsx", header_row=12, units=False))
    assert set(c.observations.territory) >= {"C01001", "C2A004", "C97101"}


def test_unknown_communes_are_reported_and_counted_in_their_departement(tmp_path):
    rows = [("01001", "A", 2.0, 1.0, 100.0, 100), ("01999", "Fusionnée", 4.0, 3.0, 100.0, 100)]
    c = apl.read(write_apl_workbook(tmp_path / "a.xlsx", {"APL 2022": rows}))
    c.finalize(c, territories_for(["C01001"]))
    assert c.facts["apl_unknown_communes"] == {"count": 1, "codes": ["01999"]}
    assert any("01999" in line and "absente" in line for line in c.report)
    assert value(c.observations, "apl_mg_mean", "D01").value == pytest.approx(3.0)
    assert "C01999" not in set(c.observations.territory)


def test_partial_file_gives_no_aggregate_for_uncovered_territories(tmp_path):
    c = apl.read(write_apl_workbook(tmp_path / "a.xlsx", {"APL 2022": APL_ROWS[:1]}))
    terr = territories_for(["C01001", "C01002", "C01004"])
    c.finalize(c, terr)
    assert "D01" not in set(c.observations.territory)
    assert any("moins de 95" in line for line in c.report)


@pytest.mark.parametrize("rows, fragment", [
    ([("1001", "A", 1.0, 1.0, 1.0, 1)], "zéro initial"),
    ([(1001, "A", 1.0, 1.0, 1.0, 1)], "zéro initial"),
    ([("01001", "A", "abc", 1.0, 1.0, 1)], "non numérique"),
    ([("01001", "A", 1.0, 1.0, 1.0, 1), ("01001", "A", 1.0, 1.0, 1.0, 1)], "en double"),
    ([], "aucune ligne de données"),
])
def test_bad_rows(tmp_path, rows, fragment):
    path = write_apl_workbook(tmp_path / "bad.xlsx", {"APL 2022": rows})
    with pytest.raises(InputError) as err:
        apl.read(path)
    assert fragment in str(err.value) and "APL 2022" in str(err.value) and "bad.xlsx" in str(err.value)


def test_missing_column_names_found_ones(tmp_path):
    header = [h for h in APL_HEADER if not h.startswith("Population totale")]
    path = write_apl_workbook(tmp_path / "bad.xlsx", {"APL 2022": [r[:5] for r in APL_ROWS]}, header=header)
    with pytest.raises(InputError) as err:
        apl.read(path)
    assert err.value.row == 9 and "Population totale" in str(err.value) and "colonnes trouvées" in str(err.value)


def test_sniff_never_raises(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04garbage")
    (tmp_path / "e.xlsx").write_bytes(b"")
    assert not apl.sniff(tmp_path / "x.xlsx") and not apl.sniff(tmp_path / "e.xlsx")
    assert not apl.sniff(tmp_path / "missing.xlsx")


def test_synthetic_national_workbook_has_the_real_layout(tmp_path):
    from bench.synthetic import make_apl_workbook

    c = apl.read(make_apl_workbook(tmp_path / "apl.xlsx", n_communes=600, seed=1), {})
    assert c.rows == 600 and c.millesime == "2022"
    territories = set(c.observations.territory)
    assert {"C69383", "C75101", "C13201"} <= territories and any(t.startswith("C2A") for t in territories)
