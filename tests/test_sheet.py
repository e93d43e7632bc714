"""Sheet assembly (pure), comparisons, CSV, PDF and the page's callbacks as plain functions."""
import io

import pandas as pd
import pytest

from dashboard import fmt, pdf, queries, sheet, store


def test_assess_follows_polarity_rates_and_small_counts():
    assert sheet.assess(10, 100, "higher", "nombre", 100_000, 500_000) == "worse"    # 10 vs 20 per 100 000
    assert sheet.assess(19, 100, "higher", "nombre", 100_000, 500_000) == "similar"  # within 10 %
    assert sheet.assess(30, 100, "higher", "nombre", 100_000, 1_000_000) == "better"  # 30 vs 10 per 100 000
    assert sheet.assess(30, 100, "lower", "nombre", 100_000, 1_000_000) == "worse"
    assert sheet.assess(3, 100, "higher", "nombre", 100_000, 1_000_000) == "small"    # too small to compare
    assert sheet.assess(20.0, 10.0, "lower", "%") == "worse"
    assert sheet.assess(11.5, 10.0, "lower", "%") == "similar"                       # within 2 points
    assert sheet.assess(40.0, 10.0, "none", "%") == "context"
    assert sheet.assess(None, 10.0, "higher", "%") == "no_value"
    assert sheet.assess(10.0, None, "higher", "%") == "no_benchmark"


def test_d15_sheet_values_are_the_store_values(store_data):
    s = sheet.assemble(store_data, "D15", "2023Q4")
    assert s["territory"]["name"] == "Cantal" and s["quarter_label"] == "T4 2023"
    assert [p["code"] for p in s["parents"]] == ["R84", "FR"]
    assert [c["code"] for c in s["comparators"]] == ["R84", "FR"]
    for row in s["profile"]:
        expected = queries.value_at(store_data, row["indicator"], "D15", "2023Q4")
        assert (row["own"] is None) == (expected is None)
        if expected:
            assert row["own"]["value"] == expected["value"] and row["own"]["status"] == expected["status"]
        reg = queries.value_at(store_data, row["indicator"], "R84", "2023Q4")
        if reg:
            assert row["comparators"]["R84"]["value"] == reg["value"]
    msp = next(r for r in s["profile"] if r["indicator"] == "msp_count")
    assert msp["peers"]["n"] == 12 and "départements de la région" in msp["peers"]["label"]
    assert s["provenance"]["has_demo"]


def test_levels_and_parents(store_data):
    assert sheet.assemble(store_data, "FR")["comparators"] == []
    assert [c["code"] for c in sheet.assemble(store_data, "R84")["comparators"]] == ["FR"]
    c = sheet.assemble(store_data, "C15014")
    assert [p["code"] for p in c["parents"]] == ["E241500230", "D15", "R84", "FR"]
    assert [x["code"] for x in c["comparators"]] == ["E241500230", "R84", "FR"]
    assert {r["indicator"] for r in c["profile"]} <= {i for i in store_data.indicators.index
                                                     if "commune" in store.indicator(store_data, i)["levels"]}


def test_trends_targets_and_share_of_regional_progress(store_data):
    r = sheet.assemble(store_data, "R84", "2023Q4")
    msp = next(t for t in r["trends"] if t["indicator"] == "msp_count")
    assert msp["target"]["value"] == 590
    p = msp["progress"]
    base = queries.value_at(store_data, "msp_count", "R84", queries.BASELINE_QUARTER)["value"]
    now = queries.value_at(store_data, "msp_count", "R84", "2023Q4")["value"]
    # the taux d'avancement of the plan page: 100 × (383 − 341) / (590 − 341)
    assert p["own"].percent == pytest.approx(100 * (now - base) / (590 - base)) and p["is_region"]
    assert "avancement 16,9\u202f%" in sheet.progress_text(msp) and "statut : en retard" in sheet.progress_text(msp)
    d = sheet.assemble(store_data, "D15", "2023Q4")
    dmsp = next(t for t in d["trends"] if t["indicator"] == "msp_count")
    own = queries.target_of(store_data, "msp_count", "D15")
    text = sheet.progress_text(dmsp)
    # the département's own target and status are written when it has one, the region's always as context
    assert ("Cible de ce territoire" in text) == (own is not None)
    assert "Contexte régional (Auvergne-Rhône-Alpes)" in text and "avancement 16,9\u202f%" in text


def test_changes_and_initiatives(store_data):
    d = sheet.assemble(store_data, "D15", "2023Q4")
    assert d["previous_quarter"] == "2023Q3" and d["year_before"] == "2022Q4"
    cpts = next(c for c in d["changes"] if c["indicator"] == "cpts_coverage_pct")
    before = queries.previous_observation(store_data, "cpts_coverage_pct", "D15", "2023Q4")
    assert cpts["previous"].delta == pytest.approx(cpts["now"]["value"] - before["value"])
    assert f"depuis le {fmt.quarter(before['period'])}" in sheet.change_text(cpts["previous"], "%")
    titles = [i["title"] for i in d["initiatives"]]
    assert any("Rouget-Pers" in t for t in titles)                 # a commune inside the département
    assert all(i["source"] for i in d["initiatives"])
    rouget = sheet.assemble(store_data, "C15268")
    assert rouget["initiatives"][0]["where"] == "ici"


def test_unknown_territory_and_quarter(store_data):
    with pytest.raises(sheet.SheetError):
        sheet.assemble(store_data, "D99")
    with pytest.raises(sheet.SheetError):
        sheet.assemble(store_data, "<script>")
    s = sheet.assemble(store_data, "D15", "2099Q1")
    # the session's quarter (every page's): the newest with an observed plan figure (CPTS coverage, T2 2024)
    assert s["quarter"] == "2024Q2" and "Aucune donnée" in s["quarter_message"]
    assert "non reconnu" in sheet.assemble(store_data, "D15", "n'importe")["quarter_message"]


def test_structures_filtered_to_the_territory(store_data):
    fake = pd.DataFrame([
        {"id": "1", "category": 603, "category_label": "MSP", "name": "MSP d'Aurillac", "address": "", "commune": "15014",
         "opening_date": "2020-01-01", "lon": 2.44, "lat": 44.93, "source": "FINESS"},
        {"id": "2", "category": 124, "category_label": "CDS", "name": "CDS de Lyon", "address": "", "commune": "C69123",
         "opening_date": "2019-01-01", "lon": 4.83, "lat": 45.76, "source": "FINESS"}])
    data = store.Store(**{**store_data.__dict__, "structures": fake})
    terr = store.territory(data, "D15")
    assert sheet.structures(data, terr)["name"].tolist() == ["MSP d'Aurillac"]
    assert sheet.structures(store_data, terr).empty


def test_csv_has_provenance_columns(store_data):
    s = sheet.assemble(store_data, "D15")
    text = sheet.csv_text(s)
    frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), sep=";", decimal=",")
    assert list(frame.columns) == sheet.TABLE_COLUMNS
    assert set(frame["statut"]) <= {"observée", "estimée", "démo"} and frame["source"].notna().all()  # as the plan CSV
    assert sheet.csv_filename(s) == "fiche-territoire-D15-2024Q2.csv"


def test_pdf_contains_name_version_sections(store_data):
    from pypdf import PdfReader

    s = sheet.assemble(store_data, "D15")
    content = pdf.render(s, base_url="http://exemple.test")
    assert content.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    assert "Cantal" in text and store_data.version in text and "http://exemple.test/territoire/D15" in text
    for heading in sheet.SECTIONS:
        assert heading in text
    # every value older than the sheet's quarter says its own, as on the page: the territory's, each comparator's
    # (a comparison of figures of different dates must say so) and the changes' values
    marks = [sheet.when_text(v, s["quarter"]).strip()
             for r in s["profile"] for v in (r["own"], *r["comparators"].values())]
    marks += [sheet.when_text(c["now"], s["quarter"]).strip() for c in s["changes"]]
    comparators = [sheet.when_text(v, s["quarter"]) for r in s["profile"] for v in r["comparators"].values()]
    assert any(comparators)                          # the default data have older comparator values
    for mark in {m for m in marks if m}:
        assert text.count(mark) >= marks.count(mark), mark


def test_callbacks_as_plain_functions(app_settings):
    from dash import no_update

    from callbacks import territoire as cb

    csv = cb.csv_download(1, {"code": "D15", "quarter": "2023Q4"})
    assert csv["filename"] == "fiche-territoire-D15-2023Q4.csv" and "statut" in csv["content"]
    assert cb.csv_download(1, {"code": "<x>", "quarter": "2023Q4"}) is no_update
    assert cb.csv_download(0, {"code": "D15", "quarter": "2023Q4"}) is no_update
    steps = []
    data, status = cb.pdf_download(1, {"code": "D15", "quarter": "2023Q4"}, "http://h:1/territoire/D15",
                                   steps.append)
    assert data["base64"] and data["filename"].endswith(".pdf") and status.startswith("PDF prêt")
    assert len(steps) == 2
    assert cb.pdf_download(1, {"code": "D99", "quarter": "2023Q4"}, "")[1] == cb.ERROR
    assert cb.pdf_download(1, "garbage", "")[1] == cb.ERROR


def test_not_found_hook(app_settings, tmp_path):
    import dataclasses

    from dashboard.webapp import create_app

    create_app(dataclasses.replace(app_settings, cache_dir=tmp_path))   # pages register on an app
    from layouts import territoire

    assert territoire.not_found("D15") is None
    response = territoire.not_found("D99")
    assert response.status_code == 404 and b"/territoire" in response.data


@pytest.mark.parametrize("unit", ["nombre", "%", "consultations/hab./an"])
def test_pdf_axis_ticks_are_labelled_with_their_own_value(unit):
    """The PDF's value axes: every tick label is its position formatted (a count axis read « 0, 2, 3 » with
    « 2 » drawn at 1,5), counts only on whole numbers, the top tick at or above the highest value."""
    for top in (0, 0.3, 1, 2, 3, 3.65, 7, 14, 17, 57.3, 100, 383, 590, 2501):
        ticks = pdf.axis_ticks(top, unit)
        assert 2 <= len(ticks) <= 6 and ticks[0][0] == 0 and ticks[-1][0] >= top
        steps = {round(b[0] - a[0], 9) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1                                            # evenly spaced
        for value, label in ticks:
            places = len(label.split(",")[1].split("\u202f")[0]) if "," in label else 0
            assert label == fmt.value(value, unit, places)
            assert fmt.number(value, places) == fmt.number(round(value, places), places)
            if unit == "nombre":
                assert float(value).is_integer() and "," not in label


def test_pdf_trend_ticks_of_the_cantal_and_its_target_in_words(store_data):
    """Every chart of the D15 PDF gets exact ticks, and the text under each chart gives the département's own
    target and status beside the regional context (not only a star on the chart)."""
    from pypdf import PdfReader

    s = sheet.assemble(store_data, "D15")
    for tr in s["trends"]:
        top = max([*tr["series"]["value"].astype(float), *([tr["target"]["value"]] if tr["target"] else [])])
        for value, label in pdf.axis_ticks(top, tr["unit"]):
            assert label in (fmt.value(value, tr["unit"], 0), fmt.value(value, tr["unit"], 1),
                             fmt.value(value, tr["unit"], 2))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.render(s))).pages).split())
    own = [tr for tr in s["trends"] if tr["progress"] and tr["progress"]["own"] is not None]
    assert own                                   # the Cantal has its own MSP target in the default data
    for tr in own:
        expected = " ".join(sheet.progress_text(tr).split())
        assert expected.split(" — statut")[0] in text
    assert "Cible de ce territoire" in text and "statut :" in text and "Contexte régional" in text


def test_the_sheet_says_why_communes_and_their_epci_are_missing(store_data):
    """Four communes of CC Hautes Terres are in the reference but in no contour or value file (issue 22, pt 7)."""
    epci = sheet.assemble(store_data, "E200066637")
    text = epci["missing_communes"]
    assert text.startswith("4 communes de ce territoire (Celles, Chalinargues, Chavagnac, Sainte-Anastasie)")
    assert "Les valeurs de l'EPCI" in text and "« – »" in text
    assert sheet.assemble(store_data, "C15031")["missing_communes"].startswith("Cette commune n'a ni contour")
    assert sheet.assemble(store_data, "D15")["missing_communes"] is None    # its figures are not its communes
    assert sheet.assemble(store_data, "C15014")["missing_communes"] is None      # Aurillac has both
    assert sheet.assemble(store_data, "D01")["missing_communes"] is None
