"""The map's geography layers « as of » the map's quarter: CPTS perimeters, communes covered by no CPTS
(« zones blanches ») and the doctors' zoning (ZIP / ZAC / ZV / hors zone).

What travels, and when:

* CPTS perimeters: dissolved on the server from their communes' contours (a region has tens of CPTS, so the
  dissolved shapes weigh a few kB; dissolving 4 000 communes in the browser would need a geometry library),
  served once per set of memberships in force by ``/geometrie/cpts.geojson?v=<version>&trimestre=<q>``
  (gzip, ETag, long cache: two quarters with the same perimeters share one response);
* zones blanches and zoning: the commune contours the choropleth already uses (same cached URL), plus a
  values-only ``hideout`` — the uncovered codes, or ``{code: zone}`` for the communes a decree classifies
  (every other commune is « hors zone »).

Every « in force » question goes through ``dashboard.perimeters`` (one rule).
"""
from __future__ import annotations

import gzip
import hashlib
import json

import pandas as pd
import shapely
import shapely.geometry

from . import fmt, mapping, palette, perimeters, store
from .cache import Bounded, store_key

LAYERS = {"cpts": "Périmètres des CPTS signées", "blanches": "Communes couvertes par aucune CPTS (zones blanches)",
          "zonage": "Zonage médecins généralistes"}
# Zone colours: a sequential red ramp (the darker, the more fragile); « hors zone » is left unfilled.
ZONE_COLORS = palette.ZONES
ZONE_LEGEND = {"ZIP": "zone d'intervention prioritaire (ZIP)", "ZAC": "zone d'action complémentaire (ZAC)",
               "ZV": "zone de vigilance (ZV)", "HZ": "hors zone"}
LEVEL = "commune"            # perimeters are lists of communes


def _city(data: store.Store) -> pd.Series:
    """Commune code → the code whose contour draws it (a city's arrondissements → the city)."""
    t = data.territories
    city = t["commune"].fillna("") if "commune" in t else pd.Series("", index=t.index)
    return pd.Series(city.where(city != "", t.index), index=t.index)


def shape_codes(data: store.Store, region: str) -> list[str]:
    """Codes of the commune contours drawn for the region (what the layers can show)."""
    return mapping.shape_codes(data, LEVEL, region)


def available(data: store.Store, region: str) -> dict[str, bool]:
    """Which layers can be drawn: commune contours, and a CPTS list / a zoning decree loaded."""
    kinds = set(data.perimeters["kind"]) if len(data.perimeters) else set()
    shapes = bool(shape_codes(data, region))
    return {"cpts": shapes and "cpts" in kinds, "blanches": shapes and "cpts" in kinds,
            "zonage": shapes and "zonage" in kinds}


# ---- values-only payloads ------------------------------------------------------------------------

def uncovered(data: store.Store, quarter: str, region: str) -> list[str]:
    """Commune contours of the region covered by no signed CPTS at the end of ``quarter``."""
    return perimeters.uncovered(data, shape_codes(data, region), quarter)


def zones(data: store.Store, quarter: str, region: str) -> dict[str, str]:
    """``{code: zone}`` of the contours a decree in force classifies ZIP, ZAC or ZV (others: hors zone).
    A city given by arrondissements takes the most favourable class listed (as ``perimeters.zone_of``)."""
    z = perimeters.as_of(data, "zonage", quarter)
    if z.empty:
        return {}
    keep = set(shape_codes(data, region))
    rank = {k: i for i, k in enumerate(perimeters.ZONES)}
    frame = pd.DataFrame({"code": z["commune"].map(_city(data)).fillna(z["commune"]), "zone": z["group"]})
    frame = frame[frame["code"].isin(keep) & frame["zone"].isin(rank)]
    frame = frame.assign(rank=frame["zone"].map(rank)).sort_values(["code", "rank"]).drop_duplicates("code")
    return {c: zn for c, zn in zip(frame["code"], frame["zone"]) if zn != "HZ"}


def decree_date(data: store.Store, quarter: str) -> str:
    """Date of the zoning decree in force at the end of ``quarter`` ("" when none yet)."""
    z = perimeters.as_of(data, "zonage", quarter)
    return str(z["valid_from"].max()) if len(z) else ""


# ---- dissolved CPTS perimeters ----------------------------------------------------------------------

_CACHE = Bounded(16)      # (raw, gzipped, etag, count) per perimeters in force; dashboard/cache.py (fork-safe)


def _shapes(data: store.Store, region: str) -> dict:
    def compute():
        got = mapping.geometry_bytes(data, LEVEL, region)
        feats = json.loads(got[0])["features"] if got else []
        return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in feats if f.get("geometry")}
    return mapping._memo(data, ("layer-geoms", region), compute)


def _members(data: store.Store, quarter: str, region: str) -> pd.DataFrame:
    """(group, name, valid_from, code) of the signed memberships in force, on the codes of the contours."""
    p = perimeters.as_of(data, "cpts", quarter)
    shapes = set(shape_codes(data, region))
    out = p.assign(code=p["commune"].map(_city(data)).fillna(p["commune"]))
    return out[out["code"].isin(shapes)][["group", "name", "valid_from", "code"]].drop_duplicates(["group", "code"])


def cpts_bytes(data: store.Store, quarter: str, region: str) -> tuple[bytes, bytes, str, int]:
    """(raw, gzipped, etag, count) of the CPTS perimeters in force at ``quarter``, dissolved from communes.
    Memoised per version on the memberships in force (quarters with the same perimeters share one entry).
    A CPTS naming some arrondissements of a city is drawn over the whole city (the contours' finest unit)."""
    members = _members(data, quarter, region)
    ident = hashlib.sha1(f"{data.version}:{region}:".encode()
                         + members[["group", "code"]].to_csv(index=False).encode()).hexdigest()[:16]
    key = (store_key(data), ident)
    hit = _CACHE.get(key, None)
    if hit is not None:
        return hit
    geoms = _shapes(data, region)
    features = []
    for group, rows in members.groupby("group", sort=True):
        shape = shapely.union_all([geoms[c] for c in rows["code"]], grid_size=1e-5)
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(shape),
                         "properties": {"code": group, "name": str(rows["name"].iloc[0]),
                                        "communes": int(len(rows)),
                                        "since": fmt.short_date(rows["valid_from"].min())}})
    raw = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                     separators=(",", ":")).encode("utf-8")
    got = (raw, gzip.compress(raw, compresslevel=6, mtime=0), f'"{ident}"', len(features))
    _CACHE.put(key, got)
    return got


def cpts_url(data: store.Store, quarter: str) -> str:
    return f"/geometrie/cpts.geojson?v={data.version}&trimestre={quarter}"


# ---- what the page shows -------------------------------------------------------------------------

def view(data: store.Store, active, quarter: str | None, region: str) -> dict:
    """URLs, hideouts and legend rows of the layers ``active`` at ``quarter`` (those not drawable are ignored)."""
    can = available(data, region)
    on = [k for k in LAYERS if isinstance(active, (list, tuple)) and k in active and can[k]] if quarter else []
    communes = mapping.geometry_url(data, LEVEL)
    out = {"active": on, "cpts_url": "", "blanches_url": "", "zonage_url": "",
           "blanches": {"codes": [], "palette": palette.MAP},
           "zonage": {"zones": {}, "colors": ZONE_COLORS, "palette": palette.MAP}, "legend": []}
    day = fmt.quarter_end(quarter) if quarter else ""
    if "cpts" in on:
        n = cpts_bytes(data, quarter, region)[3]
        out["cpts_url"] = cpts_url(data, quarter)
        out["legend"].append({"kind": "cpts", "label": f"{LAYERS['cpts']} au {day} : {fmt.number(n)}"})
    if "blanches" in on:
        codes = uncovered(data, quarter, region)
        out["blanches_url"] = communes
        out["blanches"] = {"codes": codes, "palette": palette.MAP}
        out["legend"].append({"kind": "blanches",
                              "label": f"Commune couverte par aucune CPTS signée au {day} : {fmt.number(len(codes))}"})
    if "zonage" in on:
        got = zones(data, quarter, region)
        date = decree_date(data, quarter)
        out["zonage_url"] = communes
        out["zonage"] = {"zones": got, "colors": ZONE_COLORS, "palette": palette.MAP}
        counts = pd.Series(list(got.values()), dtype=object).value_counts()
        rest = len(shape_codes(data, region)) - len(got)
        out["legend"].append({"kind": "zonage", "label": (f"{LAYERS['zonage']}, arrêté du {fmt.short_date(date)}"
                                                          if date else f"{LAYERS['zonage']} : aucun arrêté en "
                                                                       f"vigueur au {day}"),
                              "zones": [{"zone": z, "label": f"{ZONE_LEGEND[z]} ({fmt.number(int(counts.get(z, 0)) if z != 'HZ' else rest)})",
                                         "color": ZONE_COLORS[z]} for z in ZONE_COLORS]})
    return out


def install_routes(server, conf) -> None:
    """``/geometrie/cpts.geojson?trimestre=<q>``: the dissolved CPTS perimeters in force at a quarter."""
    from flask import Response, abort, request

    from . import periods

    @server.route("/geometrie/cpts.geojson")
    def carte_cpts():
        try:
            data = store.get()
        except store.StoreUnavailable:
            abort(503)
        quarter = request.args.get("trimestre", "")
        if not periods.is_quarter(quarter) or not available(data, conf.region)["cpts"]:
            abort(404)
        raw, packed, etag, _n = cpts_bytes(data, quarter, conf.region)
        headers = {"ETag": etag, "Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return Response(packed, mimetype="application/geo+json", headers={**headers, "Content-Encoding": "gzip"})
        return Response(raw, mimetype="application/geo+json", headers=headers)
