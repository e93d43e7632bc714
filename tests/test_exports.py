"""The big export: pure function (every value, labels, provenance; public store filtered) and in the browser."""
import io

import pandas as pd
import pytest

from dashboard import exports, store

from .helpers import wait_ready


def _read(text: str) -> pd.DataFrame:
    assert text.startswith("\ufeff")
    return pd.read_csv(io.StringIO(text[1:]), sep=";", decimal=",", keep_default_na=False)


def test_all_values_has_every_observation_with_labels_and_provenance(store_data):
    frame = exports.all_values(store_data)
    assert list(frame.columns) == [c for c, _ in exports.COLUMNS]
    assert len(frame) == len(store_data.observations)
    assert (frame["libelle_indicateur"] != "").all() and (frame["nom_territoire"] != "").all()
    assert set(frame["statut"]) <= {"observée", "estimée", "démo"}
    msp = frame[(frame["indicateur"] == "msp_count") & (frame["territoire"] == "R84")]
    assert len(msp) and (msp["source"] != "").all()
    assert msp.iloc[0]["libelle_indicateur"] == store_data.indicators.loc["msp_count", "label"]


def test_csv_round_trips_in_french_format(store_data):
    frame = exports.all_values(store_data)
    back = _read(exports.to_csv(frame))
    assert len(back) == len(frame)
    assert back["valeur"].sum() == pytest.approx(frame["valeur"].sum())
    assert exports.filename(store_data).endswith(f"{store_data.version}.csv")


def test_public_store_exports_only_public_observed_values(built_store):
    public = store.open_store(built_store, public=True)
    frame = exports.all_values(public)
    internal = store.open_store(built_store)
    assert set(frame["statut"]) <= {"observée"}
    hidden = set(internal.indicators.index[~internal.indicators["public"]])
    assert not set(frame["indicateur"]) & hidden
    assert len(frame) < len(internal.observations)


@pytest.mark.browser
def test_export_button_downloads_the_csv(live_server, page, store_data):
    page.goto(live_server.url + "/indicateurs")
    wait_ready(page)
    button = page.get_by_role("button", name="Exporter toutes les valeurs (CSV)")
    with page.expect_download(timeout=60000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"acces-soins-valeurs-{store_data.version}.csv"
    text = open(download.path(), encoding="utf-8").read()
    assert len(_read(text)) == len(store_data.observations)
    page.wait_for_selector("#indicateurs-export-result:has-text('Export prêt')")
    assert not button.is_disabled()


# ---- every export at display precision, in French, and the XLSX ready to read ------------------------------

def _decimals_ok(frame: pd.DataFrame, value: str = "valeur", unit: str = "unite") -> bool:
    """Every value has at most its unit's display decimals (fmt.DECIMALS): no « 14,60253517542283 »."""
    from dashboard import fmt

    known = frame[frame[value].notna() & (frame[value] != "")]
    return all(round(float(v), fmt.decimals(u)) == float(v) for v, u in zip(known[value], known[unit]))


def test_plan_and_sheet_csv_share_statuses_and_rounded_values(store_data):
    """The plan's CSV and the territory sheet's CSV, read back as a spreadsheet would: the same French statuses,
    values at display precision, and the same value for the same indicator, territory and quarter."""
    from dashboard import plan, sheet
    from dashboard.schema import STATUS_LABELS

    region = "R84"
    quarter = plan.resolve_state(store_data, region).quarter
    plan_csv = _read(plan.to_csv(plan.quarterly_table(store_data, region, quarter)))
    fiche = sheet.assemble(store_data, "D15", quarter)
    sheet_csv = _read(sheet.csv_text(fiche))
    french = set(STATUS_LABELS.values())
    assert set(plan_csv["statut_donnee"]) <= french and set(sheet_csv["statut"]) <= french
    assert not ({"observed", "estimated", "demo"} & (set(plan_csv["statut_donnee"]) | set(sheet_csv["statut"])))
    assert _decimals_ok(plan_csv) and _decimals_ok(sheet_csv)
    mine = sheet_csv[sheet_csv["territoire"] == "D15"]
    both = mine.merge(plan_csv, left_on=["indicateur", "territoire", "trimestre_demande"],
                      right_on=["indicateur", "territoire", "trimestre"], suffixes=("_fiche", "_plan"))
    assert len(both) >= 3
    assert (both["valeur_fiche"] == both["valeur_plan"]).all()
    assert (both["statut"] == both["statut_donnee"]).all()


def test_every_csv_export_is_at_display_precision(store_data):
    from dashboard import mapping

    frame = _read(exports.csv_export(store_data))
    assert _decimals_ok(frame, unit="unite")
    apl = mapping.export_frame(store_data, "apl_mg_mean", "commune", "2023Q4", "R84")
    valued = apl[apl["valeur"].notna()]
    assert len(valued) and _decimals_ok(apl) and set(valued["statut"]) <= {"observée", "estimée", "démo"}
    assert (apl.loc[apl["valeur"].isna(), "statut"] == "").all()            # a commune without value: no status


def test_build_notes_write_numbers_the_french_way(store_data):
    """Notes the build writes (« autre valeur 380 (observée, …) ») use fmt: no decimal point in French text."""
    import re

    notes = store_data.observations["note"].fillna("")
    generated = notes[notes.str.contains("autre valeur")]
    assert len(generated)                                # the default data has competing values
    assert not generated.str.contains(r"autre valeur -?\d+\.\d").any()
    assert all(re.search(r"autre valeur [−-]?[\d\u202f]+(,\d+)? \(", n) for n in generated)


def test_xlsx_is_ready_to_read(store_data):
    """The plan's XLSX: every sheet with its header frozen, an auto-filter, columns as wide as their content; a
    « Définitions » sheet with each indicator's definition, unit and source from the catalogue."""
    import openpyxl

    from dashboard import plan

    quarter = plan.resolve_state(store_data, "R84").quarter
    table = plan.quarterly_table(store_data, "R84", quarter)
    content = plan.to_xlsx(table, readme=[("Version des données", store_data.version)],
                           definitions=exports.definitions(store_data, table["indicateur"].unique()))
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["Suivi du plan", "Lisez-moi", "Définitions"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.auto_filter.ref.endswith(str(ws.max_row))
        assert all(ws.column_dimensions[c[0].column_letter].width >= len(str(c[0].value)) for c in ws.iter_cols(max_row=1))
    data = wb["Suivi du plan"]
    libelle = [c.column_letter for c in data[1] if c.value == "libelle"][0]
    assert data.column_dimensions[libelle].width > 30                # as wide as the labels, not Excel's 8.43
    definitions = wb["Définitions"]
    header = [c.value for c in definitions[1]]
    assert header == [col for col, _ in exports.DEFINITION_COLUMNS]
    rows = {r[0]: dict(zip(header, r)) for r in definitions.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(table["indicateur"])
    msp = store_data.indicators.loc["msp_count"]
    assert rows["msp_count"]["definition"] == msp["definition"] and rows["msp_count"]["unite"] == msp["unit"]
    assert rows["msp_count"]["source"] == msp["source"]
    values = [c.value for c in data[[c.column_letter for c in data[1] if c.value == "valeur"][0]][1:]]
    assert all(v is None or isinstance(v, (int, float)) for v in values)    # numbers, not text
