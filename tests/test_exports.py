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
