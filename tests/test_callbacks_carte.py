"""Callbacks of « Carte » called as plain functions, plus the geometry route and crafted requests."""
import gzip
import json

import pytest
from dash import no_update

from dashboard import mapping, queries, store


@pytest.fixture(scope="module")
def cb(app):
    import callbacks.carte as module

    return module


def test_restyle_sends_values_not_geometry(cb, store_data):
    q = store.latest_quarter(store_data)
    url, hideout, legend, caption, banner, _basis_hidden = cb.restyle("departement", "msp_count", q, None)
    assert url.startswith("/geometrie/departement.pbf?v=")
    assert len(mapping.unpack_values(hideout["values"])) == 12 and "coordinates" not in json.dumps(hideout)
    other = cb.restyle("departement", "cpts_coverage_pct", q, None)[1]
    assert other["values"] != hideout["values"] and other["label"] != hideout["label"]
    assert banner is None                          # MSP counts are real (baromètre DITP) in the default data
    assert cb.restyle("departement", "medicobus_count", q, None)[4] is not None   # demo: announced
    assert "région" in caption


@pytest.mark.parametrize("level, indicator, quarter", [
    ("region", "msp_count", "2023Q4"),             # not a level of the map
    ("departement", "../../etc/passwd", "2023Q4"),
    ("departement", "msp_count", "2023Q9"),
    (None, None, None),
    ({"x": 1}, ["y"], 42),
])
def test_restyle_never_fails_on_bad_input(cb, level, indicator, quarter):
    url, hideout, *_ = cb.restyle(level, indicator, quarter, "C99999")
    assert url.startswith("/geometrie/departement.pbf") and hideout["selected"] is None


def test_change_level_keeps_valid_indicator(cb):
    options, value, territories, selected, _placeholder, _hint = cb.change_level("departement", "mcs_count", "D69")
    assert value == "mcs_count" and selected == "D69"
    assert {o["value"] for o in options} >= {"msp_count", "mcs_count"}
    assert len(territories) == 12 and territories[0]["label"] == "Ain"
    _o, value, _t, selected, _p, _h = cb.change_level("inconnu", "nope", "D75")
    assert value is not None and selected is None


def test_an_indicator_without_values_at_a_level_is_not_offered_there(cb, store_data):
    """At the communes, the MSP count (defined there by the catalogue, published by département only) would be
    a map of « pas de donnée »: it is left out of the list, the page says so, and asking for it falls back."""
    obs, t = store_data.observations, store_data.territories
    at_communes = set(obs.loc[obs["territory"].isin(t.index[t["level"] == "commune"]), "indicator"])
    assert "msp_count" not in at_communes and "commune" in store_data.indicators.at["msp_count", "levels"]
    options, value, _t, _s, _p, hint = cb.change_level("commune", "msp_count", None)
    assert {o["value"] for o in options} == at_communes & set(mapping.indicators(store_data, "commune"))
    assert value in at_communes
    assert hint.startswith("Non proposés à ce niveau, faute de valeur : ")
    assert store_data.indicators.at["msp_count", "short_label"] in hint
    assert mapping.normalise(store_data, "msp_count", "commune", None, None, "R84")["indicator"] == value
    _o, _v, _t, _s, _p, hint = cb.change_level("departement", "msp_count", None)
    assert store_data.indicators.at["msp_count", "short_label"] not in hint


def test_click_selects_only_territories_of_the_map(cb):
    assert cb.click_territory({"properties": {"code": "D15", "name": "Cantal"}}, "departement") == "D15"
    assert cb.click_territory({"properties": {"code": "D75"}}, "departement") is no_update    # Paris: not R84
    assert cb.click_territory({"properties": {"code": "<img src=x>"}}, "departement") is no_update
    assert cb.click_territory(None, "departement") is no_update
    assert cb.click_territory("D15", "departement") is no_update


def test_side_panel_and_selection_patch(cb, store_data):
    panel, patch, announced = cb.show_territory("D15", store.latest_quarter(store_data), "departement")
    text = json.dumps([c.to_plotly_json() for c in panel], default=lambda o: o.to_plotly_json())
    assert "Cantal" in text and "/territoire/D15" in text
    assert "selected" in json.dumps(patch.to_plotly_json())
    assert announced == "Territoire sélectionné : Cantal."              # the live region says it, briefly
    panel, _, announced = cb.show_territory("D99", None, "departement")
    assert "Cliquez sur un territoire" in json.dumps(panel[1].to_plotly_json())
    assert announced == ""


def _names(table) -> list[str]:
    return [row.children[0].children.children for row in table.children[2].children]


def test_table_pages_filters_and_sorts(cb, store_data):
    table, status, page, *disabled = cb.show_table("departement", "msp_count", "2023Q4", None, None, None)
    # counts per 100 000 inhabitants by default (as the sheet compares them), the highest first
    t = store_data.territories
    rates = {t.at[d, "name"]: queries.value_at(store_data, "msp_count", d, "2023Q4")["value"] / t.at[d, "population"]
             for d in mapping.region_codes(store_data, "departement", "R84")}
    assert len(_names(table)) == 12 and _names(table)[0] == max(rates, key=rates.get) != "Rhône"
    assert "(pour 100 000 habitants)" in table.children[0].children
    table, *_ = cb.show_table("departement", "msp_count", "2023Q4", None, None, None, basis="nombre")
    assert _names(table)[0] == "Rhône" and "100 000" not in table.children[0].children    # the count itself
    assert status == "Lignes 1 à 12 sur 12 (page 1 sur 1)." and page == 0 and disabled == ["true"] * 4
    table, status, *_ = cb.show_table("departement", "msp_count", "2023Q4", "  RHÔNE ", "nom", 0)
    assert _names(table) == ["Rhône"]
    table, status, *_ = cb.show_table("departement", "msp_count", "2023Q4", "D15", "nom", 0)   # by code
    assert _names(table) == ["Cantal"]
    table, *_ = cb.show_table("departement", "msp_count", "2023Q4", None, "nom", 0)
    assert _names(table) == sorted(_names(table), key=lambda n: n.replace("Â", "A"))
    table, status, *_ = cb.show_table("departement", "msp_count", "2023Q4", "zzz", "<script>", "x")
    assert _names(table) == [] and status == "Aucun territoire ne correspond à « zzz »."


def test_table_pages_at_35000_rows(cb):
    """A national commune table: one page of 25 at a time; a stale or crafted page number is clamped."""
    from layouts import carte as view

    rows = tuple({"code": f"C{k:05d}", "name": f"Commune {k}", "value": None if k % 7 == 0 else float(k % 1000),
                  "text": "", "status": "", "period": "", "source": "", "key": f"commune {k} c{k:05d}"}
                 for k in range(35_000))
    ordered = mapping.filter_rows(rows, None, "valeur-desc")
    page = mapping.table_page(ordered, 1)
    assert len(page["rows"]) == 25 and page["rows"] == ordered[25:50]
    assert (page["first"], page["last"], page["total"], page["pages"]) == (26, 50, 35_000, 1400)
    assert mapping.table_page(list(rows), 10 ** 6)["page"] == 1399 and mapping.table_page(list(rows), -3)["page"] == 0
    assert mapping.table_page(list(rows), True)["page"] == 0
    assert rows[0]["value"] is None and ordered[-1]["value"] is None    # highest first, no data last
    ascending = mapping.filter_rows(rows, None, "valeur-asc")
    assert ascending[0]["value"] == 0.0 and ascending[-1]["value"] is None       # no data last, both ways
    found = mapping.filter_rows(rows, "c34999", "nom")
    assert [r["name"] for r in found] == ["Commune 34999"]


def test_table_export_is_the_whole_filtered_table(cb, store_data):
    got = cb.export_table(1, "departement", "msp_count", "2023Q4", "a", "code")
    lines = got["content"].lstrip("\ufeff").splitlines()
    assert lines[1].split(";")[4] == "pour 100 000 habitants"           # the CSV says the map's basis
    counted = cb.export_table(1, "departement", "msp_count", "2023Q4", "a", "code", "nombre")
    assert counted["content"].lstrip("\ufeff").splitlines()[1].split(";")[4] == "nombre"
    assert got["filename"] == "carte-msp_count-departement-2023Q4.csv"
    assert lines[0].split(";")[:3] == ["territoire", "nom_territoire", "indicateur"] and "source" in lines[0]
    codes = [line.split(";")[0] for line in lines[1:]]
    assert codes == sorted(codes) and "D15" in codes and "D69" not in codes       # « Rhône » has no « a »
    assert cb.export_table(None, "departement", "msp_count", "2023Q4", None, None) is no_update


def test_geometry_route_cached_and_gzipped(app, store_data):
    client = app.server.test_client()
    r = client.get("/geometrie/departement.geojson?v=1", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert "max-age" in r.headers["Cache-Control"] and r.headers["ETag"]
    doc = json.loads(gzip.decompress(r.data))
    assert len(doc["features"]) == 12
    again = client.get("/geometrie/departement.geojson", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    assert client.get("/geometrie/region.geojson").status_code == 404       # no such geometry in the store
    sneaky = client.get("/geometrie/..%2Fmanifest.geojson")     # no file is ever read from the URL
    assert sneaky.status_code == 404 or b"sha256" not in sneaky.data
    assert client.get("/geometrie/contexte.geojson").status_code == 200


def test_map_geometry_is_geobuf_with_the_same_shapes(app, store_data):
    """The map reads geobuf (35 000 synthetic communes: 1,3 MB gzipped, against 2,9 MB of GeoJSON — bench/map.py):
    same codes, same shapes at 11 m."""
    import geobuf
    import shapely.geometry

    client = app.server.test_client()
    r = client.get("/geometrie/departement.pbf?v=1", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-protobuf"
    assert r.headers["Content-Encoding"] == "gzip" and r.headers["ETag"]
    doc = geobuf.decode(gzip.decompress(r.data))
    plain_response = client.get("/geometrie/departement.geojson", headers={"Accept-Encoding": "gzip"})
    plain = json.loads(gzip.decompress(plain_response.data))
    assert len(r.data) < 0.7 * len(plain_response.data)
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in doc["features"]}
    assert set(shapes) == {f["properties"]["code"] for f in plain["features"]}
    for f in plain["features"]:
        original = shapely.geometry.shape(f["geometry"])
        assert shapes[f["properties"]["code"]].symmetric_difference(original).area < original.area * 0.001


def test_crafted_callback_request_is_not_a_500(app):
    client = app.server.test_client()
    client.get("/carte")
    body = {
        "output": "..carte-geojson.url...carte-view.data...carte-legend.children..."
                  "carte-caption.children...carte-banner.children...carte-basis-field.hidden..",
        "outputs": [{"id": "carte-geojson", "property": "url"}, {"id": "carte-view", "property": "data"},
                    {"id": "carte-legend", "property": "children"}, {"id": "carte-caption", "property": "children"},
                    {"id": "carte-banner", "property": "children"}, {"id": "carte-basis-field", "property": "hidden"}],
        "inputs": [{"id": "carte-level", "property": "value", "value": "commune'; DROP"},
                   {"id": "carte-indicator", "property": "value", "value": {"$gt": ""}},
                   {"id": "carte-quarter", "property": "value", "value": "9999Q9"},
                   {"id": "carte-basis", "property": "value", "value": ["taux"]}],
        "state": [{"id": "carte-territory", "property": "value", "value": "C00000"}],
        "changedPropIds": ["carte-indicator.value"],
    }
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    payload = r.get_json()["response"]
    assert payload["carte-geojson"]["url"].startswith("/geometrie/departement.pbf")


def test_basemap_from_settings(app, app_settings):
    import dataclasses

    from dashboard import settings
    from layouts import carte

    def layer_types(tree):
        found, stack = [], [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, (list, tuple)):
                stack.extend(node)
            elif hasattr(node, "to_plotly_json"):
                found.append(type(node).__name__ + ":" + str(getattr(node, "id", "")))
                stack.append(getattr(node, "children", None))
        return found

    plain = layer_types(carte.layout())
    assert "GeoJSON:carte-context" in plain and not any(t.startswith("TileLayer") for t in plain)
    settings.use(dataclasses.replace(app_settings, tile_url="http://127.0.0.1:1/{z}/{x}/{y}.png"))
    try:
        tiled = layer_types(carte.layout(niveau="departement", zoom="8", lat="45", lng="4"))
    finally:
        settings.use(app_settings)
    assert any(t.startswith("TileLayer") for t in tiled) and "GeoJSON:carte-context" not in tiled


def test_long_territory_lists_are_searched_not_sent_whole(cb, store_data):
    """4 000 communes: the list holds what was typed (accents ignored) and the selection, never all of them."""
    from layouts import carte as view

    assert len(mapping.territory_options(store_data, "departement", "R84")) == 12
    assert mapping.territory_options(store_data, "commune", "R84") == []
    found = mapping.territory_options(store_data, "commune", "R84", "rouget")
    assert {"label": "Le Rouget-Pers", "value": "C15268"} in found
    assert "C15268" in {o["value"] for o in mapping.territory_options(store_data, "commune", "R84", "15268")}
    assert len(mapping.territory_options(store_data, "commune", "R84", "sa")) == mapping.TERRITORY_MATCHES + 1
    kept = mapping.territory_options(store_data, "commune", "R84", "zz", selected="C15014")
    assert [o["value"] for o in kept] == ["C15014"]
    assert "Tapez" in view.territory_placeholder(store_data, "commune", "R84")
