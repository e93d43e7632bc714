"""Geography layers of the map as of a quarter (dashboard/map_layers.py) on the fictitious CPTS list and decrees."""
from __future__ import annotations

import json

import pytest
import shapely
import shapely.geometry

from dashboard import map_layers, perimeters, store


@pytest.fixture(scope="module")
def geo_data(geo_built_store):
    return store.open_store(geo_built_store)


def test_zone_layer_says_what_the_sheet_says(geo_data):
    for quarter in ("2021Q4", "2022Q1", "2023Q4", "2024Q1"):
        zones = map_layers.zones(geo_data, quarter, "R84")
        for code in ("C15014", "C15012", "C15187", "C15120", "C15162", "C43157", "C15001", "C63113"):
            got = perimeters.zone_of(geo_data, code, quarter)
            assert zones.get(code, "HZ") == (got["zone"] if got else "HZ"), (code, quarter)
    assert map_layers.zones(geo_data, "2021Q4", "R84") == {}                 # before the first decree
    assert map_layers.decree_date(geo_data, "2024Q1") == "2024-02-15"


def test_cpts_perimeters_dissolved_from_their_communes_as_of_the_quarter(geo_data):
    raw, packed, etag, n = map_layers.cpts_bytes(geo_data, "2023Q4", "R84")
    doc = json.loads(raw)
    by_id = {f["properties"]["code"]: f for f in doc["features"]}
    assert n == 4 and set(by_id) == {"CPTS-15-001", "CPTS-15-002", "CPTS-43-001", "CPTS-69-001"}
    assert by_id["CPTS-15-001"]["properties"]["communes"] == 5
    # the dissolved outline covers its communes' union (and nothing of a commune outside it)
    communes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
                for f in json.loads(geo_data.geometry_file("commune").read_text())["features"]}
    aurillac = shapely.geometry.shape(by_id["CPTS-15-001"]["geometry"])
    assert aurillac.buffer(1e-4).contains(communes["C15014"]) and not aurillac.intersects(communes["C15187"].buffer(-1e-3))
    # Yssingeaux left the Velay CPTS on 31/01/2024; Saint-Flour's CPTS was signed on 20/11/2023
    assert json.loads(map_layers.cpts_bytes(geo_data, "2024Q1", "R84")[0])["features"][2]["properties"]["communes"] == 1
    assert {f["properties"]["code"] for f in json.loads(map_layers.cpts_bytes(geo_data, "2023Q3", "R84")[0])["features"]} \
        == {"CPTS-15-001", "CPTS-43-001", "CPTS-69-001"}
    # two quarters with the same perimeters share one response (same ETag)
    assert map_layers.cpts_bytes(geo_data, "2022Q3", "R84")[2] == map_layers.cpts_bytes(geo_data, "2022Q4", "R84")[2]


def test_layer_view_uncovered_and_unavailable_layers(geo_data, built_store):
    shapes = map_layers.shape_codes(geo_data, "R84")
    info = map_layers.view(geo_data, ["blanches", "zonage", "inconnue"], "2023Q4", "R84")
    assert info["active"] == ["blanches", "zonage"] and info["cpts_url"] == ""
    assert info["blanches"]["codes"] == perimeters.uncovered(geo_data, shapes, "2023Q4")
    assert "C15014" not in info["blanches"]["codes"] and "C63113" in info["blanches"]["codes"]
    # the default data hold no CPTS list and no decree: nothing to draw, nothing fetched
    default = store.open_store(built_store)
    assert map_layers.available(default, "R84") == {"cpts": False, "blanches": False, "zonage": False}
    assert map_layers.view(default, list(map_layers.LAYERS), "2023Q4", "R84")["active"] == []
