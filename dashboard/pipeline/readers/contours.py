"""Contours: a GeoJSON FeatureCollection of communes, EPCI or départements (régions on request).

Options (from sources.toml):
- ``contour_key``: property holding the official code (default ``code``; IGN Admin Express
  uses ``INSEE_COM``/``INSEE_DEP``, EPCI files ``SIREN``/``siren``);
- ``contour_name``: property holding the name (default: the first of nom/name/libelle present);
- ``level`` (or ``contour_level``): forces the level; needed for régions, whose 2-digit codes
  ("84") cannot be told from départements by their shape;
- ``simplify``: tolerance in degrees (default per level, see geometry.TOLERANCE; 0 keeps the
  shapes as they are).

The level is deduced from the code: 2-3 characters (01, 2A, 971) département, 5 commune,
9 digits EPCI (SIREN). Geometry is stored per level, in EPSG:4326, simplified for display.
``finalize`` dissolves EPCI outlines from the communes when no EPCI file was given, and
reports codes the territorial reference does not know: never silently dropped. (Communes merged
since the contours' year are dissolved into their commune nouvelle by the build before
``finalize``, see dashboard.pipeline.fusions; what is left here has no known successor.)
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import shapely.validation
import shapely.geometry

from ... import territory
from .. import geometry
from ..contribution import Contribution
from ..errors import InputError

SOURCE = "Contours"
NAME_KEYS = ("nom", "name", "libelle")
POLYGONS = ("Polygon", "MultiPolygon")
_HEAD = 4096
_FC_RE = re.compile(r'"type"\s*:\s*"Feature(Collection)?"')
_GEOM_RE = re.compile(r'"type"\s*:\s*"(Point|MultiPoint|LineString|MultiLineString|Polygon|MultiPolygon)"')
_WGS84 = ("EPSG:4326", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326")


def sniff(path: Path) -> bool:
    """A .geojson/.json file that starts like a FeatureCollection of polygons (first 4 KB only).

    A lone Feature (a département outline, as in france-geojson) is accepted as a collection of one.
    """
    path = Path(path)
    if path.suffix.lower() not in (".geojson", ".json"):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD).decode("utf-8-sig", errors="ignore").lstrip()
    except OSError:
        return False
    if not head.startswith("{") or not (_FC_RE.search(head) or '"features"' in head):
        return False
    # If a geometry type is visible in the head it must be polygonal (a file of points, e.g.
    # structures, is not contours). Not visible yet (long properties): accept, read() checks.
    first = _GEOM_RE.search(head)
    return first is None or first.group(1) in POLYGONS


def read(path: Path, options: dict | None = None) -> Contribution:
    options = options or {}
    key = str(options.get("contour_key") or "code")
    forced = options.get("level") or options.get("contour_level")
    if forced and forced not in ("region", "departement", "epci", "commune"):
        raise InputError(path, f"niveau de contours inconnu : « {forced} » ; attendu region, departement, "
                               "epci ou commune")
    collection = _load(path)
    features = collection["features"]
    name_key = options.get("contour_name") or _name_key(features)

    records = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(features):
        row = i + 1
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InputError(path, f"l'élément n° {row} de « features » n'est pas un objet Feature GeoJSON",
                             row=row, column="type")
        props = feature.get("properties") or {}
        if key not in props or props[key] in (None, ""):
            present = ", ".join(props) if props else "aucune"
            raise InputError(path, f"propriété « {key} » absente de la forme n° {row} ; "
                                   f"propriétés présentes : {present}. Indiquer la propriété qui porte "
                                   "le code officiel avec l'option contour_key", row=row, column=key)
        code = _code(props[key], forced, path, row, key)
        if code in seen:
            raise InputError(path, f"code {code} en double (déjà forme n° {seen[code]}) : attendu une forme "
                                   "par territoire", row=row, column=key)
        seen[code] = row
        records.append({"code": code, "name": str(props.get(name_key) or "") if name_key else "",
                        "geometry": _shape(feature.get("geometry"), path, row)})

    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=_crs(collection, path))
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    _check_lonlat(frame, path)

    contribution = Contribution(source=SOURCE, file=str(path), rows=len(frame), finalize=finalize)
    repaired = repair_invalid(frame, path)
    if repaired:
        listed = ", ".join(f"n° {n} ({code} : {why})" for n, code, why in repaired[:10])
        contribution.report.append(f"⚠ {Path(path).name} : {len(repaired)} forme(s) invalide(s) réparée(s) "
                                   f"(make_valid), à vérifier : {listed}{' …' if len(repaired) > 10 else ''}")
        contribution.facts["repaired_shapes"] = {Path(path).name: [{"feature": n, "code": c, "reason": w}
                                                                   for n, c, w in repaired]}
    tolerance = options.get("simplify")
    for level, part in frame.groupby(frame["code"].map(territory.level_of), sort=False):
        part = part.reset_index(drop=True)
        part["geometry"] = geometry.simplify(part.geometry, level,
                                             None if tolerance is None else float(tolerance))
        contribution.geometry[level] = part[["code", "name", "geometry"]]
        contribution.report.append(f"Contours : {len(part)} forme(s) de niveau {level} (clé « {key} »).")
        contribution.facts.setdefault("contours", {})[level] = len(part)
    return contribution


def finalize(contribution: Contribution, territories: pd.DataFrame) -> None:
    """Check the codes against the reference; dissolve EPCI from communes if none were given."""
    if territories is None or territories.empty:
        return
    known = set(territories["code"])
    for level, shapes in list(contribution.geometry.items()):
        unknown = sorted(set(shapes["code"]) - known)
        if unknown:
            contribution.facts.setdefault("contours_unknown_codes", {})[level] = unknown
            contribution.report.append(
                f"{len(unknown)} contour(s) de niveau {level} dont le code est absent du référentiel "
                "territorial (territoire fusionné ou supprimé depuis le millésime des contours) : "
                + geometry.format_codes(unknown))
    if "commune" in contribution.geometry and "epci" not in contribution.geometry:
        epci, lines, partial = dissolve_epci(contribution.geometry["commune"], territories)
        if len(epci):
            contribution.geometry["epci"] = epci
        contribution.report.extend(lines)
        if partial:
            contribution.facts["epci_partial"] = partial


def dissolve_epci(communes: gpd.GeoDataFrame, territories: pd.DataFrame):
    """EPCI outlines as the union of their member communes' shapes.

    Returns (GeoDataFrame[code, name, geometry], report lines, codes of EPCI missing some
    member shapes). Members are ordinary communes (arrondissements are inside their city).
    """
    terr = territories.astype({"code": str}).set_index("code")
    epci_of = terr["epci"].where(terr["epci"].notna() & (terr["epci"] != ""), None)
    placed = communes.assign(epci=communes["code"].map(epci_of)).dropna(subset=["epci"])
    parts = []
    for code, group in placed.groupby("epci", sort=True):
        union = shapely.union_all(shapely.make_valid(group.geometry.values))
        parts.append({"code": code, "name": str(terr["name"].get(code, "")), "geometry": geometry.polygonal(union)})
    epci = gpd.GeoDataFrame(parts, columns=["code", "name", "geometry"], geometry="geometry", crs="EPSG:4326")

    is_city = (terr["level"] == "commune") & (terr["commune"].isna() | (terr["commune"] == ""))
    members = terr[is_city & terr["epci"].isin(set(epci["code"]))]
    expected = members.groupby("epci").size()
    found = placed.groupby("epci").size()
    partial = sorted(e for e in expected.index if found.get(e, 0) < expected[e])
    lines = [f"EPCI : {len(epci)} contours reconstitués à partir des communes (aucun fichier de contours EPCI)."]
    if partial:
        lines.append(f"{len(partial)} EPCI incomplet(s), des communes membres n'ayant pas de contour "
                     f"(EPCI à cheval sur un autre département ?) : {geometry.format_codes(partial)}")
    return epci, lines, partial


# --- helpers ---------------------------------------------------------------------------------

def _load(path: Path) -> dict:
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise InputError(path, "fichier vide : attendu une FeatureCollection GeoJSON", row=1)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"encodage invalide ({exc.reason}) : attendu du GeoJSON en UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InputError(path, f"JSON invalide : {exc.msg} ; attendu un fichier GeoJSON",
                         row=exc.lineno, column=exc.colno) from exc
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise InputError(path, f"type GeoJSON « {found} » : attendu un objet "
                               '{"type": "FeatureCollection", "features": [...]}', row=1, column="type")
    if not isinstance(data.get("features"), list):
        raise InputError(path, "membre « features » absent ou qui n'est pas une liste : attendu la liste "
                               "des formes", row=1, column="features")
    if not data["features"]:
        raise InputError(path, "aucune forme dans « features » : attendu au moins un contour",
                         row=1, column="features")
    return data


def _name_key(features: list) -> str | None:
    """First of nom/name/libelle (any case) among the first feature's properties."""
    first = features[0].get("properties") if isinstance(features[0], dict) else None
    for wanted in NAME_KEYS:
        for k in first or {}:
            if k.lower() == wanted:
                return k
    return None


def _code(value, forced: str | None, path, row: int, key: str) -> str:
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        # A code stored as a number lost its leading zero (1001 for 01001, 1 for 01).
        value = str(value)
        value = {1: value.zfill(2), 4: value.zfill(5), 8: value.zfill(9)}.get(len(value), value)
    text = str(value).strip().upper()
    level = forced or {2: "departement", 3: "departement", 5: "commune", 9: "epci"}.get(len(text))
    try:
        if level is None:
            raise ValueError
        return territory.make(level, text)
    except ValueError:
        raise InputError(path, f"code « {value} » invalide ; attendu un code officiel : département (01, 2A, "
                               "971), commune INSEE (15014), EPCI SIREN (200066389), ou une région (84) avec "
                               "l'option level = region", row=row, column=key) from None


def repair_invalid(frame: gpd.GeoDataFrame, path) -> list[tuple[int, str, str]]:
    """Repair self-intersecting or otherwise invalid shapes in place with ``make_valid`` (a published invalid
    shape breaks the EPCI outlines dissolved from it); returns (feature number, code, GEOS's reason) of
    each. A shape with no area left once repaired is refused with its feature number."""
    invalid = ~frame.geometry.is_valid
    out = []
    for i in frame.index[invalid]:
        why = shapely.validation.explain_validity(frame.geometry[i])
        fixed = geometry.polygonal(shapely.make_valid(frame.geometry[i]))
        if fixed is None or fixed.is_empty or fixed.area == 0:
            raise InputError(path, f"forme n° {i + 1} ({frame.at[i, 'code']}) invalide ({why}) et sans surface une fois "
                                   "réparée : attendu un contour fermé", row=i + 1, column="geometry")
        frame.at[i, "geometry"] = fixed
        out.append((i + 1, frame.at[i, "code"], why))
    return out


def _shape(geom, path, row: int):
    if not isinstance(geom, dict) or geom.get("type") not in POLYGONS:
        found = geom.get("type") if isinstance(geom, dict) else "aucune"
        raise InputError(path, f"géométrie « {found} » pour la forme n° {row} : attendu Polygon ou "
                               "MultiPolygon", row=row, column="geometry")
    try:
        shape = shapely.geometry.shape(geom)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        raise InputError(path, f"coordonnées illisibles pour la forme n° {row} ({exc}) : attendu des anneaux "
                               "de paires [longitude, latitude]", row=row, column="geometry") from None
    if shape.is_empty:
        raise InputError(path, f"géométrie vide pour la forme n° {row} : attendu un contour",
                         row=row, column="geometry")
    return shape


def _crs(collection: dict, path) -> str:
    """RFC 7946 GeoJSON is WGS84; older files may name another CRS (e.g. Lambert 93) in ``crs``."""
    name = ((collection.get("crs") or {}).get("properties") or {}).get("name")
    if not name or name in _WGS84:
        return "EPSG:4326"
    from pyproj import CRS
    from pyproj.exceptions import CRSError
    try:
        return CRS.from_user_input(name).to_string()
    except CRSError:
        raise InputError(path, f"système de coordonnées inconnu : « {name} » ; attendu WGS84 (EPSG:4326) "
                               "ou un code EPSG", row=1, column="crs") from None


def _check_lonlat(frame: gpd.GeoDataFrame, path) -> None:
    minx, miny, maxx, maxy = frame.total_bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InputError(path, "coordonnées hors des bornes longitude/latitude : attendu du WGS84 "
                               "(EPSG:4326, RFC 7946) ou un membre « crs » nommant la projection "
                               "(ex. EPSG:2154 pour Lambert 93)", column="geometry")

