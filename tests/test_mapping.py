"""Pure logic of the map: class breaks, palettes, legend, hideout payload, geometry route."""
import gzip
import json

import numpy as np
import pytest

from dashboard import fmt, mapping, queries, store
from dashboard.schema import STATUS_LABELS

APL = {"unit": "consultations/hab./an", "polarity": "higher"}
PCT = {"unit": "%", "polarity": "lower"}
COUNT = {"unit": "nombre", "polarity": "higher"}


def test_apl_always_breaks_at_2_5():
    rng = np.random.default_rng(0)
    for values in (rng.gamma(3, 1.1, 4000), rng.uniform(1, 6, 12), [1.0, 2.0, 2.4, 2.6, 3.1, 4.0, 5.5, 6.0]):
        edges = mapping.class_breaks(list(values), APL)
        assert mapping.APL_THRESHOLD in edges[1:-1]
        assert edges == sorted(edges) and len(edges) - 1 <= mapping.MAX_CLASSES
    # 2.5 itself is not "low accessibility": it goes to the upper class
    edges = mapping.class_breaks([1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0], APL)
    cls = mapping.classify([2.49, 2.5], edges)
    assert cls[1] == cls[0] + 1


def test_percentages_use_fixed_classes_within_the_data_range():
    assert mapping.class_breaks([55.0, 60.0, 78.0, 83.0], PCT) == [55.0, 60.0, 70.0, 80.0, 83.0]
    assert mapping.class_breaks([64.1, 72.3, 100.0], PCT) == [64.1, 70.0, 80.0, 90.0, 100.0]
    assert mapping.class_breaks([5.0, 95.0], PCT) == [5.0, 10.0, 25.0, 50.0, 75.0, 95.0]


def test_counts_quantiles_or_natural_breaks_and_few_values():
    many = list(np.random.default_rng(1).poisson(30, 2000).astype(float))
    edges = mapping.class_breaks(many, COUNT)
    assert 3 <= len(edges) - 1 <= mapping.MAX_CLASSES and edges[0] == min(many) and edges[-1] == max(many)
    few = [6.0, 13, 13, 22, 24, 25, 25, 30, 30, 31, 32, 132]       # 12 départements: Fisher-Jenks
    edges = mapping.class_breaks(few, COUNT)
    assert edges[0] == 6 and edges[-1] == 132 and len(edges) >= 3
    assert mapping.class_breaks([1.0, 2.0, 2.0], COUNT) == [1.0, 1.5, 2.0]      # one class per value
    assert mapping.class_breaks([3.0, 3.0], COUNT) == [3.0, 3.0]
    assert mapping.class_breaks([], COUNT) == []


def test_classify_marks_missing_values():
    assert mapping.classify([1, 5, float("nan")], [0, 2, 10]).tolist() == [0, 1, -1]
    assert mapping.classify([1, 2], []).tolist() == [-1, -1]


def test_palette_respects_polarity_and_context():
    higher, lower, none = mapping.palette("higher", 5), mapping.palette("lower", 5), mapping.palette("none", 5)
    assert lower == higher[::-1]                 # dark always means "better"
    assert set(none).isdisjoint(higher)          # context indicators: another (viridis) ramp
    assert len(set(higher)) == 5 and mapping.NO_DATA_COLOR not in higher + none


def test_legend_labels_in_french_format():
    items = mapping.legend_items([0.5, 2.5, 1234.5], ["#a", "#b"], "consultations/hab./an")
    assert items[0]["label"] == "moins de 2,50"
    assert items[1]["label"] == f"2,50 et plus"
    items = mapping.legend_items([1.0, 10.0, 25.0, 80.0], ["#a", "#b", "#c"], "%")
    assert items[1]["label"] == f"de 10,0{fmt.NBSP}% à moins de 25,0{fmt.NBSP}%"


def test_hideout_payload_holds_values_only(store_data):
    data = store_data
    quarter = store.latest_quarter(data)
    result = mapping.choropleth(data, "msp_count", "departement", quarter, "R84", basis="nombre")
    hideout = result["hideout"]
    assert set(hideout) >= {"values", "colors", "nodata", "palette", "status_words", "label", "selected"}
    assert "geometry" not in json.dumps(hideout) and "coordinates" not in json.dumps(hideout)
    # one packed string (Dash encodes it in a millisecond); every value comes from the store; class in range
    assert isinstance(hideout["values"], str)
    values = mapping.unpack_values(hideout["values"])
    for code, (cls, text, status) in values.items():
        got = queries.value_at(data, "msp_count", code, quarter)
        assert text == fmt.number(got["value"])          # formatted by the server: the browser only draws it
        assert status == mapping.STATUS_CODES[got["status"]]
        assert hideout["status_words"][status] == STATUS_LABELS[got["status"]]
        assert 0 <= cls < len(hideout["colors"])
    assert set(values) <= set(mapping.region_codes(data, "departement", "R84"))
    assert len(values) == 12
    assert result["has_demo"] == any(s == "d" for _c, _v, s in values.values())


def test_counts_are_mapped_per_100000_inhabitants_by_default(store_data):
    """A count is compared per 100 000 inhabitants (the sheet's rule, units.per_100k): a big département is not
    « better » for having more MSP; « nombre » shows the count itself. Other units have one basis."""
    data, quarter = store_data, "2023Q4"
    result = mapping.choropleth(data, "msp_count", "departement", quarter, "R84")
    assert result["basis"] == mapping.RATE and result["hideout"]["unit_text"] == "pour 100 000 habitants"
    for code, (_cls, text, _status) in mapping.unpack_values(result["hideout"]["values"]).items():
        count = queries.value_at(data, "msp_count", code, quarter)["value"]
        assert text == fmt.number(count / data.territories.at[code, "population"] * 100_000, 1), code
    assert mapping.choropleth(data, "apl_mg_mean", "departement", quarter, "R84", basis="nombre")["basis"] is None
    assert mapping.choropleth(data, "msp_count", "departement", quarter, "R84", basis="<x>")["basis"] == mapping.RATE


def test_packed_values_round_trip():
    packed = mapping.pack_values(["D15", "C69123"], [2, -1], ["1\u202f234,25", "12"], ["o", "d"])
    assert packed == "D15|2|1\u202f234,25|o;C69123|-1|12|d"
    assert mapping.unpack_values(packed) == {"D15": [2, "1\u202f234,25", "o"], "C69123": [-1, "12", "d"]}
    assert mapping.unpack_values("") == {}


def test_values_are_the_last_known_at_the_quarter(store_data):
    vals = mapping.values_at(store_data, "msp_count", mapping.region_codes(store_data, "departement", "R84"), "2019Q2")
    assert len(vals) and (vals["period"] <= "2019Q2").all()
    assert mapping.values_at(store_data, "msp_count", ["D01"], "1990Q1").empty
    assert mapping.values_at(store_data, "no_such", ["D01"], "2023Q4").empty


def test_normalise_falls_back_on_anything_unknown(store_data):
    ok = mapping.normalise(store_data, "msp_count", "departement", "2023Q4", "D69", "R84")
    assert ok == {"indicator": "msp_count", "level": "departement", "quarter": "2023Q4", "selected": "D69"}
    bad = mapping.normalise(store_data, "<script>", "planete", "2099Q9", "D75", "R84")   # D75 not in the region
    assert bad["level"] == "departement" and bad["indicator"] in mapping.indicators(store_data, "departement")
    assert bad["quarter"] == queries.session_quarter(store_data, "R84") == "2024Q2" and bad["selected"] is None
    assert store.latest_quarter(store_data) == "2024Q3"        # selectable, not the default (APL, no plan figure)
    assert mapping.normalise(store_data, None, None, None, ["x"], "R84")["selected"] is None
    view = mapping.view_from_query(store_data, {"zoom": "99", "lat": "abc"}, "R84")
    assert view["zoom"] is None and view["center"] is None
    view = mapping.view_from_query(store_data, {"zoom": "8", "lat": "45.5", "lng": "4.8"}, "R84")
    assert view["zoom"] == 8 and view["center"] == [45.5, 4.8]


def test_panel_and_table(store_data):
    q = store.latest_quarter(store_data)
    info = mapping.panel(store_data, "D15", "departement", q)
    assert info["name"] == "Cantal" and info["href"] == "/territoire/D15" and info["figures"]
    assert mapping.panel(store_data, "D99", "departement", q) is None
    rows = mapping.filter_rows(mapping.table_rows(store_data, "msp_count", "departement", q, "R84"), None,
                               "valeur-desc")
    values = [r["value"] for r in rows if r["value"] is not None]
    assert values == sorted(values, reverse=True) and len(rows) == 12
    shown = {c: v for c, v, *_ in zip(*(mapping.choropleth(store_data, "msp_count", "departement", q, "R84")["values"][k]
                                        for k in ("code", "value")))}
    assert all(r["value"] == shown[r["code"]] for r in rows if r["value"] is not None)   # the map's values


def test_geometry_bytes_region_only_and_compressed(store_data):
    raw, packed, etag = mapping.geometry_bytes(store_data, "departement", "R84")
    doc = json.loads(raw)
    assert {f["properties"]["code"] for f in doc["features"]} == set(mapping.region_codes(store_data, "departement", "R84"))
    assert gzip.decompress(packed) == raw and len(packed) < len(raw) / 3
    assert mapping.geometry_bytes(store_data, "departement", "R84")[2] == etag   # memoised
    context = json.loads(mapping.geometry_bytes(store_data, mapping.CONTEXT, "R84")[0])
    assert len(context["features"]) == 101
    communes = json.loads(mapping.geometry_bytes(store_data, "commune", "R84")[0])   # real IGN contours
    assert len(communes["features"]) > 4000
    assert mapping.geometry_bytes(store_data, "region", "R84") is None           # no region contours by default


def test_fit_view_covers_the_region():
    view = mapping.fit_view([[44.1, 2.0], [46.8, 7.2]])
    assert 6 <= view["zoom"] <= 8 and view["center"] == [45.45, 4.6]


def test_structures_geojson_empty_by_default(store_data):
    assert mapping.structures_geojson(store_data) == {"type": "FeatureCollection", "features": []}
    assert sum(mapping.structure_counts(store_data).values()) == 0


def test_structures_as_one_point_collection(store_data):
    import dataclasses

    import pandas as pd

    frame = pd.DataFrame([
        {"id": "010012345", "category": "603", "category_label": "Maison de santé (L.6223-3)", "name": "MSP du Val",
         "address": "1 rue de la Gare 01000 Bourg", "commune": "C01053", "opening_date": "2019-03-01",
         "lon": 5.22, "lat": 46.2, "source": "FINESS"},
        {"id": "150000001", "category": "124", "category_label": "Centre de Santé", "name": "CDS <b>X</b>",
         "address": None, "commune": "C15014", "opening_date": None, "lon": 2.44, "lat": 44.93, "source": "FINESS"},
        {"id": "690000002", "category": "604", "category_label": "", "name": "Sans position", "address": "",
         "commune": "C69123", "opening_date": "", "lon": None, "lat": None, "source": "FINESS"},
    ])
    data = dataclasses.replace(store_data, structures=frame)
    doc = mapping.structures_geojson(data)
    assert [f["properties"]["finess"] for f in doc["features"]] == ["010012345", "150000001"]
    first = doc["features"][0]
    assert first["geometry"]["coordinates"] == [5.22, 46.2] and first["properties"]["opening"] == "01/03/2019"
    assert doc["features"][1]["properties"]["address"] == "" and doc["features"][1]["properties"]["cat"] == "124"
    assert mapping.structure_counts(data) == {"603": 1, "124": 1, "604": 1}
    # as of a quarter: opened on or before its last day; an unknown opening date is kept (FINESS lists the
    # structures in activity)
    assert mapping.structure_counts(data, "2019Q1") == {"603": 1, "124": 1, "604": 1}   # opened 1 March 2019
    assert mapping.structure_counts(data, "2018Q4") == {"603": 0, "124": 1, "604": 1}
    assert [f["properties"]["finess"] for f in mapping.structures_geojson(data, "2018Q4")["features"]] == ["150000001"]
    assert [r["finess"] for r in mapping.structure_rows(data, ["603", "124"], "2018Q4")] == ["150000001"]


def test_france_opens_on_metropolitan_france_and_arrondissements_are_not_missing_shapes(app, store_data):
    """A national instance opens on metropolitan France (the bounds of every shape would centre the view on
    the Atlantic); the municipal arrondissements, communes without a contour of their own, are not reported as
    missing contours."""
    from layouts import carte

    assert mapping.region_bounds(store_data, "FR") == mapping.DEFAULT_BOUNDS
    assert mapping.fit_view(mapping.region_bounds(store_data, "FR"))["center"][0] > 45
    assert mapping.arrondissement_count(store_data, "commune", "R84") == 9           # Lyon's
    assert mapping.arrondissement_count(store_data, "departement", "R84") == 0
    result = {"indicator": {"label": "APL"}, "values": [1] * 10, "codes": list(range(4030))}
    assert "seulement" not in carte.caption(result, "commune", "2023Q4", 4021, "R84", 9)
    assert "Les 9 arrondissements municipaux" in carte.caption(result, "commune", "2023Q4", 4021, "R84", 9)
    assert "Contours chargés pour 4" in carte.caption(result, "commune", "2023Q4", 4000, "R84", 9)


@pytest.mark.parametrize("seed", range(40))
def test_class_bounds_are_mapclassify_s(seed):
    """The two classifiers of the map, written here to keep scipy and scikit-learn out of the web workers,
    give mapclassify's own bounds (the reference, a dev dependency only) on values like the map's."""
    import warnings

    import mapclassify

    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    n = int(rng.integers(k + 1, 10 * k))
    values = np.round(rng.gamma(2.0, 3.0, n) * (10 ** int(rng.integers(0, 4))), int(rng.integers(0, 3)))
    big = np.round(rng.normal(100, 30, int(rng.integers(10 * k, 3000))), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # « Numba not installed », « not enough unique values »
        if len(np.unique(values)) > k:
            assert list(mapping.fisher_jenks_bins(values, k)) == list(mapclassify.FisherJenks(values, k=k).bins)
        assert list(mapping.quantile_bins(big, k)) == list(mapclassify.Quantiles(big, k=k).bins)
