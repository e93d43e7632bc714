"""Communes merged since a file's millésime, mapped to their commune nouvelle by the build (dashboard.pipeline.fusions):
contours dissolved, APL values averaged with the file's standardised population, counts summed, the report and
manifest naming what was done. Small made-up territory; every expected number is computed by hand here."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely
import shapely.geometry

from dashboard import store
from dashboard.pipeline import fusions
from dashboard.pipeline.build import build

from .fixtures.builders import write_apl_workbook, write_finess, finess_structure, finess_geo
from .helpers import RAW


# Cantal today: Aurillac and Arpajon (CA du Bassin d'Aurillac), Saint-Flour (Saint-Flour Communauté).
TERRITORIES = """code,level,name,region,departement,epci,commune,population
FR,pays,France,,,,,10000
R84,region,Région test,,,,,10000
D15,departement,Cantal,R84,,,,10000
E241500230,epci,CA du Bassin d'Aurillac,R84,D15,,,4000
E200066660,epci,Saint-Flour Communauté,R84,D15,,,6000
C15014,commune,Aurillac,R84,D15,E241500230,,1000
C15012,commune,Arpajon-sur-Cère,R84,D15,E241500230,,3000
C15187,commune,Saint-Flour,R84,D15,E200066660,,6000
"""
# Made-up table of changes: 15099 and 15098 merged into a commune nouvelle that took the code 15187, whose own
# former commune is not in the files below; 15097 merged into Arpajon (15012), which keeps its own row.
FUSIONS = "ancien_code,code_commune,nom_commune\n15099,15187,Saint-Flour\n15098,15187,Saint-Flour\n" \
          "15097,15012,Arpajon-sur-Cère\n"


def square(x: float, y: float = 45.0, side: float = 0.1) -> list:
    return [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]]


SHAPES = {"15014": square(2.0), "15099": square(3.0), "15098": square(3.1), "15012": square(2.3),
          "15097": square(2.4)}

# APL 2022 rows: code, name, APL, APL of doctors under 65, standardised population, total population
APL = [("15014", "Aurillac", 4.0, 3.0, 1000.0, 1000),
       ("15012", "Arpajon-sur-Cère", 1.0, 0.5, 3000.0, 2900),
       ("15097", "Ancienne commune d'Arpajon", 3.0, 2.0, 1000.0, 1100),
       ("15099", "Ancienne A", 2.0, 1.0, 100.0, 120),
       ("15098", "Ancienne B", 4.0, 3.0, 300.0, 280)]


def write_contours(path: Path) -> Path:
    features = [{"type": "Feature", "properties": {"code": code, "nom": f"commune {code}"},
                 "geometry": {"type": "Polygon", "coordinates": coords}} for code, coords in SHAPES.items()]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fusions")
    raw = tmp / "raw"
    (raw / "reference").mkdir(parents=True)
    shutil.copytree(RAW / "catalogue", raw / "catalogue")
    (raw / "reference" / "territories.csv").write_text(TERRITORIES, encoding="utf-8")
    (raw / "fusions").mkdir()
    (raw / "fusions" / "communes_fusionnees.csv").write_text(FUSIONS, encoding="utf-8")
    write_contours(raw / "communes.geojson")
    write_apl_workbook(raw / "apl.xlsx", {"APL 2022": APL})
    write_finess(raw / "etalab-cs1100507-stock-20240315-0400.csv", [
        "finess;etalab;96;2024-03-15",
        finess_structure("150001234", "MSP A", "15", "099", "CANTAL", "15100 A", "603", "2019-05-01"),
        finess_structure("150001235", "MSP B", "15", "098", "CANTAL", "15100 B", "603", "2020-05-01"),
        finess_structure("150001236", "MSP D'AURILLAC", "15", "014", "CANTAL", "15000 AURILLAC", "603", "2021-05-01"),
        finess_geo("150001234", "690000.0", "6438000.0"),
        finess_geo("150001235", "691000.0", "6439000.0"),
        finess_geo("150001236", "656800.0", "6425000.0"),
    ])
    lines: list[str] = []
    out = tmp / "store"
    result = build([raw], out, region="R84", echo=lines.append)
    assert result.published
    return store.open_store(out), result, lines


def obs(data, indicator, territory, period="2022Q4") -> pd.Series:
    o = data.observations
    rows = o[(o.indicator == indicator) & (o.territory == territory) & (o.period == period)]
    assert len(rows) == 1, (indicator, territory, rows)
    return rows.iloc[0]


def shapes_of(data, level="commune") -> dict:
    features = json.loads(data.geometry_file(level).read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in features}


def polygon(coords) -> shapely.Polygon:
    return shapely.geometry.shape({"type": "Polygon", "coordinates": coords})


# --- (a) contours ----------------------------------------------------------------------------------

def test_former_communes_shapes_are_dissolved_into_the_commune_nouvelle(built):
    data, _result, _lines = built
    shapes = shapes_of(data)
    assert set(shapes) == {"C15014", "C15012", "C15187"}     # no former commune left on the map
    union = shapely.union_all([polygon(SHAPES["15099"]), polygon(SHAPES["15098"])])
    assert union.area == pytest.approx(0.02)
    assert shapes["C15187"].geom_type == "Polygon"            # one shape, not two
    assert shapes["C15187"].area == pytest.approx(union.area, rel=1e-6)
    assert shapes["C15187"].symmetric_difference(union).area < 1e-9


def test_successor_own_shape_in_an_older_file_joins_the_union(built):
    # The file still lists 15097 beside 15012: it predates the merger, so its 15012 is the former commune
    # whose code the commune nouvelle kept; the commune nouvelle is both.
    data, _result, _lines = built
    shapes = shapes_of(data)
    assert shapes["C15012"].area == pytest.approx(0.02, rel=1e-6)
    assert shapes["C15014"].area == pytest.approx(0.01, rel=1e-6)
    # and the EPCI outline dissolved from the communes covers them
    assert shapes_of(data, "epci")["E200066660"].area == pytest.approx(0.02, rel=1e-6)


# --- (b) values ------------------------------------------------------------------------------------

def test_apl_of_merged_communes_is_their_mean_weighted_by_standardised_population(built):
    data, _result, _lines = built
    v = obs(data, "apl_mg_mean", "C15187")
    assert v.value == pytest.approx((2.0 * 100 + 4.0 * 300) / (100 + 300))    # 3.5
    assert v.status == "estimated"
    assert v.source == ("moyenne pondérée par la population standardisée des communes fusionnées (15098, 15099) "
                        "à partir de DREES, APL aux médecins généralistes 2022")
    assert obs(data, "apl_mg_mean_65", "C15187").value == pytest.approx((1.0 * 100 + 3.0 * 300) / 400)   # 2.5
    # the successor's own row (former commune 15012) is averaged with 15097: (1 × 3000 + 3 × 1000) / 4000
    arpajon = obs(data, "apl_mg_mean", "C15012")
    assert arpajon.value == pytest.approx(1.5) and arpajon.status == "estimated"
    # a commune the files do not touch keeps its observed value
    aurillac = obs(data, "apl_mg_mean", "C15014")
    assert aurillac.value == 4.0 and aurillac.status == "observed"
    assert not data.observations.territory.isin(["C15099", "C15098", "C15097"]).any()


def test_merged_communes_count_in_their_successors_epci_and_departement(built):
    data, _result, _lines = built
    # Saint-Flour Communauté = the commune nouvelle only; D15 = every row, each weighted once
    assert obs(data, "apl_mg_mean", "E200066660").value == pytest.approx(3.5)
    assert obs(data, "apl_mg_mean", "D15").value == pytest.approx(
        (4 * 1000 + 1 * 3000 + 3 * 1000 + 2 * 100 + 4 * 300) / 5400)
    # under 2.5, total population: Arpajon's own row (2 900) and 15099 (120) out of 5 400
    assert obs(data, "apl_mg_under_2_5_pct", "D15").value == pytest.approx(100 * (2900 + 120) / 5400)


def test_structures_of_merged_communes_are_counted_in_the_commune_nouvelle(built):
    data, _result, _lines = built
    assert obs(data, "msp_count_finess", "C15187", "2024Q1").value == 2
    assert set(data.structures.loc[data.structures.category == "603", "commune"]) == {"C15187", "C15014"}


def test_counts_are_summed_and_rates_weighted_by_the_pure_rule():
    mapping = {"C15099": "C15187", "C15098": "C15187", "C15097": "C15012"}
    frame = pd.DataFrame({
        "indicator": ["msp_count", "msp_count", "msp_count", "cds_count", "rate", "rate"],
        "territory": ["C15099", "C15098", "C15187", "C15097", "C15099", "C15098"],
        "period": "2023Q4", "value": [1.0, 2.0, 4.0, 3.0, 10.0, 40.0], "status": "observed",
        "source": "fichier X", "note": ""})
    out, done = fusions.combine(frame, mapping, {"msp_count", "cds_count"},
                                population={"C15099": 300.0, "C15098": 100.0})
    get = out.set_index(["indicator", "territory"])
    assert get.loc[("msp_count", "C15187"), "value"] == 7.0          # 1 + 2 + the successor's own 4
    assert get.loc[("msp_count", "C15187"), "status"] == "estimated"
    assert get.loc[("msp_count", "C15187"), "source"] == \
        "somme des communes fusionnées (15098, 15099, 15187) à partir de fichier X"
    lone = get.loc[("cds_count", "C15012")]                          # one former commune: renamed, as published
    assert lone.value == 3.0 and lone.status == "observed" and "15097 rattachée à 15012" in lone.note
    assert get.loc[("rate", "C15187"), "value"] == pytest.approx((10 * 300 + 40 * 100) / 400)   # 17.5
    assert "moyenne pondérée par la population des communes fusionnées" in get.loc[("rate", "C15187"), "source"]
    assert done["remapped"] == mapping and len(out) == 3


def test_values_that_cannot_be_weighted_are_not_invented():
    frame = pd.DataFrame({"indicator": ["rate"] * 3, "territory": ["C15099", "C15098", "C15187"],
                          "period": "2023Q4", "value": [10.0, 40.0, 20.0], "status": "observed",
                          "source": "fichier X", "note": ""})
    out, done = fusions.combine(frame, {"C15099": "C15187", "C15098": "C15187"}, set(), population={})
    assert out[["territory", "value", "status"]].values.tolist() == [["C15187", 20.0, "observed"]]
    assert done == {"remapped": {}, "unweighted": ["C15098", "C15099"]}


def test_only_codes_unknown_to_the_reference_are_remapped():
    table = pd.DataFrame({"old": ["C15099", "C15014", "C15096", "C15095"],
                          "new": ["C15187", "C15187", "C15095", "C15012"]})
    mapping, unknown = fusions.successor_map(["C15099", "C15014", "C15096", "C15001"], table,
                                             {"C15014", "C15012", "C15187"})
    # 15014 is a commune of the reference: never touched; 15096 → 15095 → 15012 (chain); 15001 has no successor
    assert mapping == {"C15099": "C15187", "C15096": "C15012"} and unknown == ["C15001"]


# --- (c) report ------------------------------------------------------------------------------------

def test_report_and_manifest_say_what_was_remapped_per_file(built):
    _data, result, lines = built
    expected = {
        "communes.geojson : 3 communes fusionnées rattachées à 2 communes nouvelles "
        "(15097→15012, 15098→15187, 15099→15187)",
        "apl.xlsx : 3 communes fusionnées rattachées à 2 communes nouvelles (15097→15012, 15098→15187, 15099→15187)",
        "etalab-cs1100507-stock-20240315-0400.csv : 2 communes fusionnées rattachées à 1 commune nouvelle "
        "(15098→15187, 15099→15187)",
    }
    assert expected <= set(result.report) and expected <= set(lines)
    assert expected <= set(result.manifest["warnings"])
    merged = result.manifest["facts"]["merged_communes"]
    assert merged["apl.xlsx"] == {"C15097": "C15012", "C15098": "C15187", "C15099": "C15187"}
    # nothing left for the readers to call unknown
    assert result.manifest["facts"]["apl_unknown_communes"]["count"] == 0
    assert not any("absente(s) du référentiel" in line or "code est absent" in line for line in result.report)
