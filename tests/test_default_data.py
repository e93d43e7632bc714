"""The embedded default is real by default: official open data, demo values only where none exists.

* every series of the built default store is either real (observed/estimated) or demo, never both;
* the merge rule of the build drops a demo value that sits in a real series, and counts it;
* the default store holds the real MSP counts (baromètre DITP) of France, the region and its 12
  départements, the DREES APL by commune, and commune geometry;
* the derived open-data files carry their notes and stay small.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from dashboard.pipeline.build import build, merge_observations
from dashboard.pipeline.contribution import Contribution

from .helpers import RAW, ROOT

OPENDATA = RAW / "opendata"
ARA_DEPS = ["D01", "D03", "D07", "D15", "D26", "D38", "D42", "D43", "D63", "D69", "D73", "D74"]


def _obs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([dict(indicator=i, territory=t, period=p, value=v, status=s, source=src, note="")
                         for i, t, p, v, s, src in rows])


def test_no_series_of_the_default_store_mixes_demo_with_real_values(store_data):
    obs = store_data.observations
    kinds = obs.assign(demo=obs["status"] == "demo").groupby(["indicator", "territory"])["demo"].agg(["any", "all"])
    mixed = kinds[kinds["any"] & ~kinds["all"]]
    assert mixed.empty, f"séries mêlant démo et valeurs réelles : {list(mixed.index)[:10]}"
    assert kinds["any"].any() and not kinds["all"].all()   # both kinds exist: the check saw something


def test_merge_drops_demo_values_of_a_real_series_and_counts_them():
    plan = Contribution(source="suivi", file="suivi.csv", priority=30, observations=_obs([
        ("msp_count", "D15", "2023Q4", 17, "observed", "DITP"),
        ("apl_mg_mean", "R84", "2022Q4", 3.7, "estimated", "calcul DREES"),
    ]))
    demo = Contribution(source="démo", file="demo.csv", priority=30, observations=_obs([
        ("msp_count", "D15", "2023Q4", 99, "demo", ""),        # same quarter as a real value
        ("msp_count", "D15", "2023Q1", 15, "demo", ""),        # another quarter of the real series
        ("apl_mg_mean", "R84", "2023Q4", 3.5, "demo", ""),     # series with an estimated value
        ("msp_count", "D03", "2023Q1", 9, "demo", ""),         # a series with no real value: kept
    ]))
    merged, superseded, dropped = merge_observations([plan, demo])
    assert dropped == 3 and superseded == 0
    rows = {(r.indicator, r.territory, r.period): (r.value, r.status) for r in merged.itertuples()}
    assert rows == {("msp_count", "D15", "2023Q4"): (17, "observed"),
                    ("apl_mg_mean", "R84", "2022Q4"): (3.7, "estimated"),
                    ("msp_count", "D03", "2023Q1"): (9, "demo")}
    assert "99" not in merged.loc[merged["territory"] == "D15", "note"].iloc[0]   # not cited either


def test_build_reports_the_demo_values_it_drops(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "saisie.csv").write_text("indicateur,territoire,trimestre,valeur,statut,source,note\n"
                                      "msp_count,D15,2019Q1,99,demo,,\n"
                                      "msp_count,D15,2024Q4,98,demo,,\n", encoding="utf-8")
    result = build([RAW, extra], None, publish_it=False, echo=lambda _line: None)
    lines = [line for line in result.report if "démonstration écartée" in line]
    assert lines == ["2 valeur(s) de démonstration écartée(s) : leur série (indicateur, territoire) a des "
                     "valeurs observées ou estimées"]
    assert result.manifest["statuses"]["demo"] == sum(1 for _ in open(RAW / "plan" / "demo.csv")) - 1


def test_default_store_has_real_msp_counts_for_france_the_region_and_its_departements(store_data):
    obs = store_data.observations
    msp = obs[(obs["indicator"] == "msp_count") & (obs["period"] == "2023Q4")].set_index("territory")
    for code in ARA_DEPS + ["R84", "FR"]:
        assert msp.loc[code, "status"] == "observed" and "IND-311" in msp.loc[code, "source"], code
    assert msp.loc[ARA_DEPS, "value"].sum() == msp.loc["R84", "value"]   # the DITP's own consistency
    assert set(obs.loc[obs["indicator"] == "msp_count", "status"]) == {"observed"}
    targets = store_data.targets.set_index(["indicator", "territory"])
    assert targets.loc[("msp_count", "R84"), "period"] == "2026Q4"


def test_default_store_has_apl_by_commune_and_its_aggregates(store_data):
    obs = store_data.observations
    apl = obs[obs["indicator"] == "apl_mg_mean"]
    communes = apl[apl["territory"].str.startswith("C")]
    assert set(communes["period"]) == {"2022Q4", "2023Q4"}
    # observed as published, except Lyon as a whole, rolled up from its arrondissements, and the communes
    # nouvelles whose former communes the file still lists (6 of the 7 successors of its 8 merged communes,
    # by DREES' rule; Porte des Pierres Dorées 69114 has one former commune in the file: its value, renamed)
    merged = store_data.manifest["facts"]["merged_communes"]["apl_mg.xlsx"]
    assert len(merged) == 8 and len(set(merged.values())) == 7
    estimated = communes[communes["status"] != "observed"]
    combined = estimated["source"].str.contains("communes fusionnées")
    assert set(estimated.loc[~combined, "territory"]) == {"C69123"}
    assert set(estimated.loc[combined, "territory"]) == set(merged.values()) - {"C69114"}
    assert not communes["territory"].isin(merged).any()
    assert communes["territory"].nunique() > 4000          # every commune of the region
    levels = set(apl.loc[apl["status"] == "estimated", "territory"].str[0])
    assert {"E", "D", "R"} <= levels                        # EPCI, départements, region by DREES' rule


def test_default_store_has_commune_geometry(store_data):
    path = store_data.geometry_file("commune")
    shapes = json.loads(Path(path).read_text(encoding="utf-8"))
    codes = {f["properties"]["code"] for f in shapes["features"]}
    t = store_data.territories
    region_communes = set(t[(t["level"] == "commune") & (t["region"] == "R84")]["code"])
    assert len(codes) > 4000 and codes <= region_communes
    assert store_data.manifest["geometry"]["commune"]["features"] == len(codes)
    assert "epci" in store_data.geometry_levels           # EPCI outlines dissolved from the communes


def test_derived_open_data_files_are_documented_and_small():
    notes = (OPENDATA / "README.md").read_text(encoding="utf-8")
    for name in ("barometre_ditp.csv", "apl_mg.xlsx", "communes.geojson"):
        assert f"`{name}`" in notes
        assert (OPENDATA / name).stat().st_size < 2_500_000, name
    assert notes.count("Source :") == 3 and "Licence Ouverte" in notes and "tolérance" in notes
    header = (OPENDATA / "barometre_ditp.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "indic_id,enforce_zone_id,metric_enforce_date,maille,indic_vi,indic_va,indic_vc,indic_ta"


def test_derived_files_are_what_the_extraction_script_writes(opendata, tmp_path):
    """The committed files come from the official files by scripts/extract_opendata.py, byte for byte."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import extract_opendata

    assert extract_opendata.main(["--source", str(opendata / "ara"), "--out", str(tmp_path)]) == 0
    for name in ("barometre_ditp.csv", "apl_mg.xlsx", "communes.geojson", "README.md"):
        assert (tmp_path / name).read_bytes() == (OPENDATA / name).read_bytes(), name
