"""CPTS perimeters and zoning: coverage and ZIP/ZAC shares hand-computed, dated perimeters, merged communes,
the reconciliation with the baromètre, and the territory sheet (commune's CPTS and zone)."""
from __future__ import annotations

from types import SimpleNamespace

import shutil
from pathlib import Path

import pytest

from dashboard import perimeters, queries, sheet, store
from dashboard.pipeline.build import build
from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import cpts

from .helpers import RAW

HEADER = "cpts_id,cpts_nom,stade,date_signature,commune,date_debut,date_fin\n"

# A small territory whose shares are computed by hand: D15 = 1 000 + 3 000 + 6 000, D43 = 2 000 + 8 000,
# Lyon (D69) = two arrondissements of 500 and 1 500 (the city row itself is not counted twice).
TERRITORIES = """code,level,name,region,departement,epci,commune,population
FR,pays,France,,,,,22000
R84,region,Région test,,,,,22000
D15,departement,Cantal,R84,,,,10000
D43,departement,Haute-Loire,R84,,,,10000
D69,departement,Rhône,R84,,,,2000
E241500230,epci,CA du Bassin d'Aurillac,R84,D15,,,4000
E200066660,epci,CC Saint-Flour Communauté,R84,D15,,,6000
E200073419,epci,CA du Puy-en-Velay,R84,D43,,,10000
E200046977,epci,Métropole de Lyon,R84,D69,,,2000
C15014,commune,Aurillac,R84,D15,E241500230,,1000
C15012,commune,Arpajon-sur-Cère,R84,D15,E241500230,,3000
C15187,commune,Saint-Flour,R84,D15,E200066660,,6000
C43157,commune,Le Puy-en-Velay,R84,D43,E200073419,,2000
C43268,commune,Yssingeaux,R84,D43,E200073419,,8000
C69123,commune,Lyon,R84,D69,E200046977,,2000
C69381,commune,Lyon 1er Arrondissement,R84,D69,E200046977,C69123,500
C69382,commune,Lyon 2e Arrondissement,R84,D69,E200046977,C69123,1500
"""


def small_build(tmp_path: Path, cpts_rows: str, extra: dict | None = None):
    raw = tmp_path / "raw"
    (raw / "reference").mkdir(parents=True)
    shutil.copytree(RAW / "catalogue", raw / "catalogue")
    (raw / "reference" / "territories.csv").write_text(TERRITORIES, encoding="utf-8")
    (raw / "cpts.csv").write_text(HEADER + cpts_rows, encoding="utf-8")
    for name, text in (extra or {}).items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_text(text, encoding="utf-8")
    out = tmp_path / "store"
    result = build([raw], out, region="R84", echo=lambda _l: None)
    assert result.published
    return store.open_store(out), result


def value(data, indicator, code, quarter):
    v = queries.value_at(data, indicator, code, quarter)
    return None if v is None else round(v["value"], 6)


def test_coverage_hand_computed_per_departement_and_quarter(tmp_path):
    data, _ = small_build(tmp_path, (
        "A,CPTS A,signée,2021-06-15,15014,,\n"
        "A,CPTS A,signée,2021-06-15,15012,,\n"
        "B,CPTS B,signée,2023-11-20,15187,,\n"
        "C,CPTS C,en projet,,43268,,\n"
        "D,CPTS D,signée,2022-03-01,43157,,2023-06-30\n"
        "L,CPTS L,signée,2020-09-01,69123,,\n"))
    ind = "cpts_coverage_calc_pct"
    # D15: Aurillac + Arpajon (4 000 of 10 000) from T2 2021, + Saint-Flour (6 000) from T4 2023
    assert value(data, ind, "D15", "2021Q1") == 0.0
    assert value(data, ind, "D15", "2021Q2") == 40.0
    assert value(data, ind, "D15", "2023Q3") == 40.0
    assert value(data, ind, "D15", "2023Q4") == 100.0
    # D43: Le Puy (2 000 of 10 000) from T1 2022 until it leaves on 2023-06-30 (not in force at the quarter's end)
    assert value(data, ind, "D43", "2022Q1") == 20.0
    assert value(data, ind, "D43", "2023Q2") == 0.0
    # a project covers nothing; a city named whole covers its arrondissements, counted once
    assert value(data, ind, "D69", "2021Q1") == 100.0
    assert value(data, ind, "C69123", "2021Q1") == 100.0
    # region: (4 000 + 2 000 + 2 000) / 22 000 in T2 2022
    assert value(data, ind, "R84", "2022Q2") == round(100 * 8000 / 22000, 6)
    # EPCI and commune levels
    assert value(data, ind, "E241500230", "2021Q2") == 100.0
    assert value(data, ind, "C15187", "2023Q3") == 0.0
    # status estimated, method named
    v = queries.value_at(data, ind, "D15", "2023Q4")
    assert v["status"] == "estimated" and "population des communes couvertes" in v["source"]
    # CPTS in operation: D15 one then two; D43 one then none; region counts each CPTS once
    assert value(data, "cpts_count", "D15", "2023Q3") == 1 and value(data, "cpts_count", "D15", "2023Q4") == 2
    assert value(data, "cpts_count", "D43", "2022Q1") == 1 and value(data, "cpts_count", "D43", "2023Q2") == 0
    assert value(data, "cpts_count", "R84", "2023Q4") == 3


def test_values_kept_only_where_they_change(tmp_path):
    data, _ = small_build(tmp_path, "A,CPTS A,signée,2019-02-01,15014,,\nB,CPTS B,signée,2023-11-20,15187,,\n")
    periods_d15 = queries.series(data, "cpts_coverage_calc_pct", "D15")["period"].tolist()
    assert periods_d15 == ["2019Q1", "2023Q4"]


def test_sheet_names_the_cpts_and_states_uncovered(tmp_path):
    data, _ = small_build(tmp_path, "A,CPTS du Bassin d'Aurillac,signée,2021-06-15,15014,,\n"
                                    "C,CPTS du Velay,en projet,,43268,,\n")
    s = sheet.assemble(data, "C15014", "2022Q1")
    assert [c["name"] for c in s["cpts"]] == ["CPTS du Bassin d'Aurillac"] and s["cpts"][0]["stage"] == "signée"
    assert perimeters.cpts_of(data, "C15014", "2021Q1") == []          # not signed yet then
    assert [c["stage"] for c in sheet.assemble(data, "C43268", "2022Q1")["cpts"]] == ["en projet"]
    assert perimeters.uncovered(data, ["C15014", "C15012", "C43268"], "2022Q1") == ["C15012", "C43268"]


def test_merged_commune_is_mapped_to_its_successor_and_reported(tmp_path):
    # 15099 was merged into Saint-Flour's code in this made-up table of changes
    data, result = small_build(tmp_path, "A,CPTS A,signée,2021-06-15,15099,,\nA,CPTS A,signée,2021-06-15,15014,,\n",
                               {"fusions/communes_fusionnees.csv":
                                "ancien_code,code_commune,nom_commune\n15099,15187,Saint-Flour\n"})
    assert value(data, "cpts_coverage_calc_pct", "C15187", "2021Q2") == 100.0
    assert any("15099→15187" in line for line in result.report)


@pytest.mark.parametrize("row, column, words", [
    ("A,CPTS A,signée,,15014,,", "date_signature", "date"),
    ("A,CPTS A,validée,2021-01-01,15014,,", "stade", "signée"),
    ("A,CPTS A,en projet,2021-01-01,15014,,", "date_signature", "en projet"),
    ("A,CPTS A,signée,2021-01-01,150,,", "commune", "code INSEE"),
    ("A,CPTS A,signée,2021-01-01,15014,,2020-01-01", "date_fin", "après"),
    ("A,CPTS A,signée,31/02/2021,15014,,", "date_signature", "impossible"),
])
def test_bad_rows_name_line_and_column(tmp_path, row, column, words):
    path = tmp_path / "cpts.csv"
    path.write_text(HEADER + "A,CPTS A,signée,2021-01-01,15012,,\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        cpts.read(path)
    assert err.value.row == 3 and err.value.column == column and words in str(err.value)


def test_one_cpts_has_one_name_stage_and_date(tmp_path):
    path = tmp_path / "cpts.csv"
    path.write_text(HEADER + "A,CPTS A,signée,2021-01-01,15012,,\nA,CPTS Autre,signée,2021-01-01,15014,,\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="ligne 2|mêmes valeurs"):
        cpts.read(path)


# ---- the realistic fixture on the embedded reference (real populations) -------------------------------

@pytest.fixture(scope="module")
def geo_store(geo_built_store):
    """The session's store of the default data and the fixture, and its build report (the manifest's warnings)."""
    data = store.open_store(geo_built_store)
    return data, SimpleNamespace(report=data.manifest["warnings"])


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_fixture_coverage_of_cantal_hand_computed(geo_store):
    data, _ = geo_store
    # Populations of the embedded reference: Aurillac 26 214, Arpajon-sur-Cère 6 361, Ytrac 4 339, Naucelles 2 181,
    # Jussac 2 040 (signed 2021-06-15); Saint-Flour 6 391, Massiac 1 796, Murat 1 770 and Allanche 773 (listed
    # under its former code 15039) from 2023-11-20; Cantal 144 196. Mauriac's CPTS is only a project.
    assert value(data, "cpts_coverage_calc_pct", "D15", "2023Q3") == round(100 * 41135 / 144196, 6)
    assert value(data, "cpts_coverage_calc_pct", "D15", "2023Q4") == round(100 * (41135 + 10730) / 144196, 6)


def test_fixture_reconciliation_for_the_region(geo_store):
    data, result = geo_store
    r = perimeters.reconcile(data, "R84", "2023Q4")
    assert r["official"]["status"] == "observed" and r["official"]["value"] == 83
    assert r["ours"]["status"] == "estimated" and r["ours"]["value"] < 5
    assert r["text"].startswith("calcul 1,") and "baromètre 83,0\u202f%" in r["text"] and "écart −8" in r["text"]
    # the official series is untouched by ours
    assert queries.value_at(data, "cpts_coverage_pct", "R84", "2023Q4")["status"] == "observed"
    assert any(line.strip().startswith("Rapprochement CPTS R84 T4 2023 : calcul") for line in result.report)


def test_fixture_sheet_of_a_covered_commune(geo_store):
    data, _ = geo_store
    s = sheet.assemble(data, "C15014", "2024Q1")
    assert s["cpts"][0]["name"] == "CPTS du Bassin d'Aurillac (fictive)"
    assert sheet.assemble(data, "C15001", "2024Q1")["cpts"][0]["id"] == "CPTS-15-002"   # Allanche, via 15039


# ---- zoning --------------------------------------------------------------------------------------------

ZONAGE_2022 = "commune,zone,date_arrete\n15014,ZIP,2022-03-15\n15187,ZAC,2022-03-15\n15012,ZV,2022-03-15\n"
# the published layout: « ; », Windows-1252, ARS headings, zones written out, the date given in sources.toml
ZONAGE_2024 = ("Code commune INSEE;Libellé;Zonage MG\r\n15012;Arpajon-sur-Cère;Zone d'intervention prioritaire\r\n"
               "15014;Aurillac;Hors zonage\r\n")
SOURCES = '[zonage]\ncommune = "Code commune INSEE"\n[zonage.dates]\n"publie.csv" = "2024-02-15"\n'


def test_zip_zac_share_hand_computed_in_two_layouts(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "publie.csv").write_bytes(ZONAGE_2024.encode("cp1252"))
    data, result = small_build(tmp_path, "A,CPTS A,signée,2021-06-15,15014,,\n",
                               {"zonage/arrete_2022.csv": ZONAGE_2022, "sources.toml": SOURCES})
    ind = "zip_zac_pop_pct"
    # 2022 decree: Aurillac (ZIP, 1 000) + Saint-Flour (ZAC, 6 000) of 10 000; Arpajon is only ZV
    assert value(data, ind, "D15", "2022Q1") == 70.0
    # a quarter before the 2024 decree still uses the 2022 one
    assert value(data, ind, "D15", "2023Q4") == 70.0
    # 2024 decree: Arpajon (ZIP, 3 000); Saint-Flour, not listed, is « hors zone » under it
    assert value(data, ind, "D15", "2024Q1") == 30.0
    # a region's decree: its unlisted communes are hors zone (0 %), region = 7 000 / 22 000 then 3 000 / 22 000
    assert value(data, ind, "D43", "2022Q1") == 0.0
    assert value(data, ind, "R84", "2022Q1") == round(100 * 7000 / 22000, 6)
    assert value(data, ind, "R84", "2024Q1") == round(100 * 3000 / 22000, 6)
    assert value(data, ind, "E241500230", "2024Q1") == 75.0
    # the sheet states the commune's zone under the decree in force
    assert perimeters.zone_of(data, "C15187", "2023Q4")["zone"] == "ZAC"
    assert perimeters.zone_of(data, "C15187", "2024Q1")["zone"] == "HZ"
    z = perimeters.zone_of(data, "C15012", "2024Q1")
    assert z["zone"] == "ZIP" and z["text"] == "zone d'intervention prioritaire (ZIP), arrêté du 15/02/2024"


@pytest.mark.parametrize("text, column, words", [
    ("commune,zone,date_arrete\n15014,ZIP,2022-03-15\n15187,zone rouge,2022-03-15\n", "zone", "ZIP, ZAC"),
    ("commune,zone,date_arrete\n15014,ZIP,2022-03-15\n15014,ZAC,2022-03-15\n", "commune", "double"),
    ("commune,zone\n15014,ZIP\n", "date_arrete", "date de l'arrêté"),
])
def test_zoning_errors_name_line_and_column(tmp_path, text, column, words):
    from dashboard.pipeline.readers import zonage

    path = tmp_path / "z.csv"
    path.write_text(text, encoding="utf-8")
    assert zonage.sniff(path)
    with pytest.raises(InputError) as err:
        zonage.read(path, {})
    assert err.value.column == column and words in str(err.value)


def test_fixture_zoning_of_cantal_hand_computed(geo_store):
    data, _ = geo_store
    # 2022 decree: Aurillac 26 214 (ZAC), Saint-Flour 6 391, Mauriac 3 449, Riom-ès-Montagnes 2 405 (ZIP) and
    # Allanche 773 (ZIP, listed under the former code 15039); 2024 decree (published layout): Aurillac, Mauriac
    # (ZIP) and Riom-ès-Montagnes (ZAC) only
    assert value(data, "zip_zac_pop_pct", "D15", "2023Q4") == round(100 * 39232 / 144196, 6)
    assert value(data, "zip_zac_pop_pct", "D15", "2024Q1") == round(100 * 32068 / 144196, 6)
    assert sheet.assemble(data, "C15187", "2024Q1")["zone"]["zone"] == "ZV"


def test_fixture_sheet_section_renders_cpts_zone_and_reconciliation(geo_store, app):
    from layouts import territoire

    data, _ = geo_store
    text = str(territoire._zoning(sheet.assemble(data, "C15014", "2024Q1")))
    assert "CPTS du Bassin d'Aurillac (fictive) (signée, accord signé le 15/06/2021)" in text
    assert "zone d'intervention prioritaire (ZIP), arrêté du 15/02/2024" in text
    region = str(territoire._zoning(sheet.assemble(data, "R84", "2023Q4")))
    assert "calcul 1," in region and "baromètre 83,0" in region


def test_empty_templates_are_ignored_by_the_build():
    from dashboard.pipeline.build import discover

    files, _ = discover([RAW])
    assert not [f for f in files if f.name == "modele.csv"]
    assert (RAW / "cpts" / "modele.csv").read_text(encoding="utf-8").strip() == ",".join(cpts.COLUMNS)
