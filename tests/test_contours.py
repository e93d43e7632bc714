"""Contours reader (GeoJSON) and the pure geometry helpers of the build."""
from __future__ import annotations

import gzip
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from dashboard.pipeline import geometry
from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import contours, reference

from .conftest import ROOT

REFERENCE = ROOT / "data" / "raw" / "reference" / "territories.csv"
DEPARTEMENTS = ROOT / "data" / "raw" / "reference" / "departements.geojson"


@pytest.fixture(scope="module")
def territories():
    return reference.read(REFERENCE, {}).territories


# --- real samples ----------------------------------------------------------------------------

def test_sniff_real_files(opendata):
    folder = opendata / "contours"
    for name in ("communes-15-cantal.geojson", "communes-69-rhone.geojson",
                 "departements-version-simplifiee.geojson", "departement-15-cantal.geojson"):
        assert contours.sniff(folder / name), name
    assert not contours.sniff(opendata / "barometre" / "ind-311-ara.csv")
    assert not contours.sniff(REFERENCE)


def test_cantal_communes(opendata):
    path = opendata / "contours" / "communes-15-cantal.geojson"
    c = contours.read(path, {})
    assert c.source == "Contours" and c.rows == 247
    assert list(c.geometry) == ["commune"]
    communes = c.geometry["commune"]
    assert list(communes.columns) == ["code", "name", "geometry"]
    assert communes.crs.to_epsg() == 4326
    assert len(communes) == 247 and communes["code"].is_unique
    aurillac = communes.set_index("code").loc["C15014"]
    assert aurillac["name"] == "Aurillac"
    assert aurillac.geometry.geom_type in ("Polygon", "MultiPolygon") and aurillac.geometry.is_valid
    # Aurillac is at about 2.44 E, 44.93 N
    assert aurillac.geometry.contains(shapely.Point(2.444, 44.926))


def test_departements_metropolitan(opendata):
    c = contours.read(opendata / "contours" / "departements-version-simplifiee.geojson", {})
    deps = c.geometry["departement"]
    assert len(deps) == 96
    assert {"D01", "D2A", "D2B", "D15", "D69", "D95"} <= set(deps["code"])
    assert not any(code.startswith("D97") for code in deps["code"])


def test_embedded_departements_cover_the_reference(territories):
    deps = contours.read(DEPARTEMENTS, {}).geometry["departement"]
    expected = set(territories.loc[territories["level"] == "departement", "code"])
    assert set(deps["code"]) == expected          # 101, overseas as D971…D976
    assert DEPARTEMENTS.stat().st_size < 500_000
    assert deps.set_index("code").loc["D15", "name"] == "Cantal"


def test_simplified_size_rhone_cantal(opendata, tmp_path):
    frames = [contours.read(opendata / "contours" / f"communes-{d}.geojson", {}).geometry["commune"]
              for d in ("15-cantal", "69-rhone")]
    communes = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    assert len(communes) == 525
    out = tmp_path / "communes.geojson"
    size = geometry.write_geojson(communes, out)
    raw = sum((opendata / "contours" / f"communes-{d}.geojson").stat().st_size for d in ("15-cantal", "69-rhone"))
    # ~4 000 communes in a region: ~8x these two départements; served gzip-compressed.
    assert size < raw / 2 and size < 350_000
    assert len(gzip.compress(out.read_bytes())) < 100_000
    back = gpd.read_file(out)
    assert len(back) == 525 and back.is_valid.mean() > 0.99
    # shared borders stay shared: simplified communes still tile without overlaps
    assert shapely.coverage_is_valid(communes.geometry.values)


def test_dissolve_epci_from_communes(opendata, territories):
    c = contours.read(opendata / "contours" / "communes-15-cantal.geojson", {})
    c.finalize(c, territories)
    epci = c.geometry["epci"].set_index("code")
    assert "E241500230" in epci.index                      # CA du Bassin d'Aurillac
    aurillac = c.geometry["commune"].set_index("code").loc["C15014"].geometry
    assert epci.loc["E241500230"].geometry.contains(aurillac.representative_point())
    assert epci.loc["E241500230", "name"]
    assert all(code.startswith("E") for code in epci.index)
    # every Cantal EPCI from the reference is there
    cantal_epci = set(territories.loc[(territories["level"] == "epci") & (territories["departement"] == "D15"), "code"])
    assert cantal_epci <= set(epci.index)
    # EPCI straddling another département are reported, not hidden
    assert any("EPCI incomplet" in line for line in c.report)
    assert set(c.facts["epci_partial"]) <= set(epci.index)
    # a 2018 commune merged since then is reported with its code
    assert c.facts["contours_unknown_codes"]["commune"]
    assert any(code in " ".join(c.report) for code in c.facts["contours_unknown_codes"]["commune"])


def test_no_dissolve_when_epci_given(territories, tmp_path):
    path = write(tmp_path, [feature({"code": "200066389"}, SQUARE), feature({"code": "15014"}, square(2))])
    c = contours.read(path, {})
    assert set(c.geometry) == {"epci", "commune"}
    c.finalize(c, territories)
    assert list(c.geometry["epci"]["code"]) == ["E200066389"]


def test_lyon_whole_city(opendata, territories):
    c = contours.read(opendata / "contours" / "communes-69-rhone.geojson", {})
    assert "C69123" in set(c.geometry["commune"]["code"])
    c.finalize(c, territories)
    lyon_epci = territories.set_index("code").loc["C69123", "epci"]
    assert lyon_epci in set(c.geometry["epci"]["code"])


# --- options ---------------------------------------------------------------------------------

SQUARE = [[[2.0, 45.0], [2.1, 45.0], [2.1, 45.1], [2.0, 45.1], [2.0, 45.0]]]


def square(x):
    return [[[x, 45.0], [x + 0.1, 45.0], [x + 0.1, 45.1], [x, 45.1], [x, 45.0]]]


def feature(props, coords=SQUARE, kind="Polygon"):
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}


def write(tmp_path, features, name="contours.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1), encoding="utf-8")
    return path


def test_configured_key_name_and_levels(tmp_path):
    path = write(tmp_path, [feature({"INSEE_COM": "15014", "NOM_M": "AURILLAC", "libelle": "Aurillac"}),
                            feature({"INSEE_COM": 15012, "libelle": "Arpajon"}, square(2.2))])
    c = contours.read(path, {"contour_key": "INSEE_COM"})
    communes = c.geometry["commune"]
    assert list(communes["code"]) == ["C15014", "C15012"]
    assert list(communes["name"]) == ["Aurillac", "Arpajon"]
    c = contours.read(path, {"contour_key": "INSEE_COM", "contour_name": "NOM_M"})
    assert c.geometry["commune"]["name"][0] == "AURILLAC"


def test_numeric_codes_get_their_leading_zero(tmp_path):
    path = write(tmp_path, [feature({"code": 1001}), feature({"code": 1}, square(3))])
    c = contours.read(path, {})
    assert list(c.geometry["commune"]["code"]) == ["C01001"]
    assert list(c.geometry["departement"]["code"]) == ["D01"]


def test_regions_on_request(tmp_path):
    path = write(tmp_path, [feature({"code": "84", "nom": "Auvergne-Rhône-Alpes"})])
    assert list(contours.read(path, {}).geometry) == ["departement"]
    assert list(contours.read(path, {"level": "region"}).geometry["region"]["code"]) == ["R84"]


def test_lambert93_crs_is_reprojected(tmp_path):
    path = tmp_path / "l93.geojson"
    ring = [[650000, 6860000], [660000, 6860000], [660000, 6870000], [650000, 6870000], [650000, 6860000]]
    path.write_text(json.dumps({"type": "FeatureCollection",
                                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
                                "features": [feature({"code": "75056"}, [ring])]}), encoding="utf-8")
    shape = contours.read(path, {}).geometry["commune"].geometry[0]
    assert 2.2 < shape.centroid.x < 2.5 and 48.7 < shape.centroid.y < 49.0


# --- malformed files: each names file, row, column and what was expected ---------------------

def raises(path, options=None):
    with pytest.raises(InputError) as info:
        contours.read(path, options or {})
    assert info.value.file == str(path)
    return info.value


def test_invalid_json(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",, }\n]}', encoding="utf-8")
    err = raises(path)
    assert (err.row, err.column) == (3, 22)
    assert err.message.startswith("JSON invalide") and "GeoJSON" in err.message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text("  \n", encoding="utf-8")
    err = raises(path)
    assert err.row == 1 and "fichier vide" in err.message and "FeatureCollection" in err.message


def test_not_a_feature_collection(tmp_path):
    path = tmp_path / "geom.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": SQUARE}), encoding="utf-8")
    err = raises(path)
    assert (err.row, err.column) == (1, "type")
    assert "« Polygon »" in err.message and "FeatureCollection" in err.message


def test_no_features(tmp_path):
    err = raises(write(tmp_path, []))
    assert err.column == "features" and "aucune forme" in err.message


def test_missing_key_property(tmp_path):
    path = write(tmp_path, [feature({"code": "15014", "nom": "Aurillac"}),
                            feature({"nom": "Arpajon", "insee": "15012"}, square(2.2))])
    err = raises(path)
    assert (err.row, err.column) == (2, "code")
    assert "propriété « code » absente" in err.message
    assert "propriétés présentes : nom, insee" in err.message and "contour_key" in err.message


def test_wrong_configured_key(tmp_path):
    path = write(tmp_path, [feature({"code": "15014", "nom": "Aurillac"})])
    err = raises(path, {"contour_key": "INSEE_COM"})
    assert (err.row, err.column) == (1, "INSEE_COM")
    assert "« INSEE_COM » absente" in err.message and "code, nom" in err.message


def test_duplicate_codes(tmp_path):
    path = write(tmp_path, [feature({"code": "15014"}), feature({"code": "15012"}, square(2.2)),
                            feature({"code": "15014"}, square(2.4))])
    err = raises(path)
    assert (err.row, err.column) == (3, "code")
    assert "C15014 en double (déjà forme n° 1)" in err.message


def test_point_geometry(tmp_path):
    path = write(tmp_path, [feature({"code": "15014"}), feature({"code": "15012"}, [2.4, 44.9], "Point")])
    err = raises(path)
    assert (err.row, err.column) == (2, "geometry")
    assert "« Point »" in err.message and "attendu Polygon ou MultiPolygon" in err.message
    assert not contours.sniff(write(tmp_path, [feature({"code": "15012"}, [2.4, 44.9], "Point")], "points.geojson"))


def test_null_geometry(tmp_path):
    path = write(tmp_path, [{"type": "Feature", "properties": {"code": "15014"}, "geometry": None}])
    err = raises(path)
    assert (err.row, err.column) == (1, "geometry") and "« aucune »" in err.message


@pytest.mark.parametrize("value", ["1501", "ABCDE", "2C", "15014X", "123456789012"])
def test_invalid_code(tmp_path, value):
    path = write(tmp_path, [feature({"code": "15014"}), feature({"code": value}, square(2.2))])
    err = raises(path)
    assert (err.row, err.column) == (2, "code")
    assert f"code « {value} » invalide" in err.message and "attendu un code officiel" in err.message


def test_coordinates_not_lonlat(tmp_path):
    ring = [[650000, 6860000], [660000, 6860000], [660000, 6870000], [650000, 6860000]]
    err = raises(write(tmp_path, [feature({"code": "75056"}, [ring])]))
    assert err.column == "geometry" and "EPSG:2154" in err.message


def test_unknown_level_option(tmp_path):
    err = raises(write(tmp_path, [feature({"code": "84"})]), {"level": "canton"})
    assert "niveau de contours inconnu" in err.message


# --- geometry helpers ------------------------------------------------------------------------

def test_join_report():
    report = geometry.join_report("commune", ["C15014", "C15012", "C69123"], ["C15014", "C69381", "C15012"])
    assert report == {"level": "commune", "shapes": 3, "with_data": 2,
                      "shapes_without_data": ["C69123"], "data_without_shape": ["C69381"]}


def test_report_lines_french_and_truncated():
    codes = [f"C15{i:03d}" for i in range(25)]
    lines = geometry.report_lines(geometry.join_report("commune", codes, codes[:2] + ["C99999"]))
    assert lines[0] == "Contours des communes : 25 formes, dont 2 avec des données."
    assert lines[1].startswith("1 territoire(s) avec des données mais sans contour") and "C99999" in lines[1]
    assert lines[2].startswith("23 contour(s) sans données")
    assert lines[2].count("C15") == 20 and lines[2].endswith("… (et 3 autres)")
    complete = geometry.report_lines(geometry.join_report("departement", ["D15"], ["D15"]))
    assert complete[1].startswith("Jointure complète")


def test_write_geojson_compact(tmp_path):
    gdf = gpd.GeoDataFrame({"code": ["C15014"], "name": ["Aurillac"], "extra": [1],
                            "geometry": [shapely.Polygon([(2.123456789, 44.1), (2.2, 44.1), (2.2, 44.2)])]},
                           crs="EPSG:4326")
    path = tmp_path / "out.geojson"
    size = geometry.write_geojson(gdf, path)
    text = path.read_text(encoding="utf-8")
    assert size == len(text.encode("utf-8"))
    assert " " not in text and "\n" not in text
    data = json.loads(text)
    assert data["features"][0]["properties"] == {"code": "C15014", "name": "Aurillac"}
    assert data["features"][0]["geometry"]["coordinates"][0][0] == [2.12346, 44.1]


def test_a_ring_smaller_than_the_grid_does_not_crash_the_build():
    """A tiny island collapses to two points once rounded to 1e-5°: it is dropped, the shape kept (GEOS used to
    raise « Invalid number of points in LinearRing », an unexpected error for the user)."""
    import shapely

    from dashboard.pipeline import geometry

    island = shapely.Polygon([(2.000001, 45.000001), (2.000004, 45.000001), (2.000002, 45.000004)])
    commune = shapely.MultiPolygon([shapely.box(2.0, 45.0, 2.1, 45.1), island])
    rounded = geometry.round_coordinates(commune)
    assert rounded.is_valid and abs(rounded.area - 0.01) < 1e-9
    alone = geometry.round_coordinates(island)                  # nothing left once rounded: kept as it was
    assert not alone.is_empty
