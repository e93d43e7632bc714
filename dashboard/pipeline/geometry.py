"""Pure geometry helpers of the build: simplification, join reports, compact GeoJSON.

Shapes are GeoDataFrames with columns ``code`` (store code, e.g. ``C15014``), ``name``
and ``geometry`` in EPSG:4326 (see Contribution.geometry).
"""
from __future__ import annotations

import json
import os
from typing import Iterable

import numpy as np
import shapely

# Simplification tolerance per level, in degrees (0.004 ° ≈ 300-450 m in France, about one pixel
# when a département fills the screen). Measured on the real IGN samples: the 525 communes of
# Rhône + Cantal go from 792 KB to ~250 KB of GeoJSON (~55 KB gzipped, as served), so a
# region's ~4 000 communes stay around 2 MB raw / 450 KB compressed. The map is a choropleth
# seen at région/département zoom, not a cadastre. Overridable per file (option `simplify`).
TOLERANCE = {"commune": 0.004, "epci": 0.004, "departement": 0.004, "region": 0.006, "pays": 0.01}

DIGITS = 5  # 1e-5 ° ≈ 1 m: far below what the simplified shapes can show
MAX_CODES = 20  # codes listed per line of the build report


def simplify(geoms: Iterable, level: str, tolerance: float | None = None) -> np.ndarray:
    """Simplify a set of polygons that tile a territory, keeping shared borders shared.

    ``coverage_simplify`` simplifies each border once for both neighbours, so no gaps or
    overlaps appear between communes (plain ``simplify`` would move each side differently).
    It requires a valid coverage; when the input is not one (overlaps in a user's file), we
    fall back to per-shape simplification, which only costs slivers on screen.
    """
    arr = np.asarray(list(geoms), dtype=object)
    if len(arr) == 0:
        return arr
    tol = TOLERANCE.get(level, 0.004) if tolerance is None else float(tolerance)
    arr = np.array([polygonal(g) for g in shapely.make_valid(arr)], dtype=object)
    if tol <= 0:
        return arr
    try:
        if shapely.coverage_is_valid(arr):
            out = shapely.coverage_simplify(arr, tol)
        else:
            out = shapely.simplify(arr, tol, preserve_topology=True)
    except shapely.errors.GEOSException:
        out = shapely.simplify(arr, tol, preserve_topology=True)
    # A tiny island may vanish at this tolerance: keep the original rather than an empty shape.
    empty = shapely.is_empty(out)
    out[empty] = arr[empty]
    return out


def polygonal(geom):
    """Polygonal part of a geometry: ``make_valid`` may add stray lines or points to a polygon."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def round_coordinates(geom, digits: int = DIGITS):
    """Round coordinates (smaller files) and drop the points that became duplicates."""
    if geom is None:
        return None
    rounded = shapely.transform(geom, lambda xy: np.round(xy, digits))
    try:
        return shapely.remove_repeated_points(rounded)
    except shapely.errors.GEOSException:
        # a ring smaller than the grid collapsed to two points (a tiny island): snap the shape to the grid,
        # which drops collapsed parts; a shape that collapses whole keeps its unrounded coordinates
        snapped = shapely.set_precision(geom, 10.0 ** -digits)
        return geom if snapped.is_empty else snapped


def geojson_text(gdf, digits: int = DIGITS, name_key: str = "name") -> str:
    """Compact GeoJSON text: properties ``code`` and ``name`` (or ``name_key``) only, no whitespace."""
    features = []
    for code, name, geom in zip(gdf["code"], gdf["name"], gdf.geometry):
        geometry = None if geom is None else json.loads(shapely.to_geojson(round_coordinates(geom, digits)))
        features.append({
            "type": "Feature",
            "properties": {"code": code, name_key: name},
            "geometry": geometry,
        })
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":"))


def write_geojson(gdf, path: str | os.PathLike, digits: int = DIGITS, name_key: str = "name") -> int:
    """Write ``gdf`` as compact GeoJSON (UTF-8); returns the size in bytes."""
    data = geojson_text(gdf, digits, name_key).encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def join_report(level: str, shape_codes: Iterable[str], data_codes: Iterable[str]) -> dict:
    """Which shapes have data and which data have no shape, for one level."""
    shapes = set(shape_codes)
    data = set(data_codes)
    return {
        "level": level,
        "shapes": len(shapes),
        "with_data": len(shapes & data),
        "shapes_without_data": sorted(shapes - data),
        "data_without_shape": sorted(data - shapes),
    }


def format_codes(codes: list[str]) -> str:
    """Up to MAX_CODES codes, comma-separated, then how many more."""
    shown = ", ".join(codes[:MAX_CODES])
    return shown + (f", … (et {len(codes) - MAX_CODES} autres)" if len(codes) > MAX_CODES else "")


LEVEL_PLURALS = {"pays": "pays", "region": "régions", "departement": "départements",
                 "epci": "EPCI", "commune": "communes"}


def report_lines(report: dict) -> list[str]:
    """Lines in French for the build report (counts, then up to MAX_CODES codes per list)."""
    what = LEVEL_PLURALS.get(report["level"], report["level"])
    lines = [f"Contours des {what} : {report['shapes']} formes, dont {report['with_data']} avec des données."]
    missing = report["data_without_shape"]
    unused = report["shapes_without_data"]
    if missing:
        lines.append(f"{len(missing)} territoire(s) avec des données mais sans contour (non cartographiés) : "
                     f"{format_codes(missing)}")
    if unused:
        lines.append(f"{len(unused)} contour(s) sans données (affichés sans valeur) : {format_codes(unused)}")
    if not missing and not unused:
        lines.append("Jointure complète : chaque contour a des données et chaque territoire un contour.")
    return lines
