"""The map's pure logic: which levels and indicators can be mapped, class breaks, palettes,
the hideout payload (values only, never geometry), the legend, the table and the side panel.

The geometry of a level is served once by a cached, compressed Flask route, as geobuf for the map
(``/geometrie/<level>.pbf``: 35 000 communes in about 1 MB) and as GeoJSON for other uses
(``/geometrie/<level>.geojson``), see ``install_routes``. A change of indicator or quarter only sends
the view: the values packed in one string (``code,class,value,status;…``, see ``pack_values``), into the
page's dcc.Store ``carte-view``; ``assets/carte.js`` unpacks it once and restyles the drawn shapes in place.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import threading

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from . import fmt, periods, queries, search, store, territory, units
from . import palette as colours_mod
from .cache import Bounded, per_version, store_key
from .schema import STATUS_LABELS

MAP_LEVELS = ("departement", "epci", "commune")
DEFAULT_LEVEL = "departement"
MAX_CLASSES = 5
DENSE_SHAPES = 10_000            # above this many shapes: thin outlines, geobuf at 0,001°
APL_THRESHOLD = 2.5              # the plan's definition of low accessibility: always a class break
# Percentages: fixed classes, comparable from one quarter to the next: tens when the data span few of
# them (64-100 % gives 70, 80, 90), else the coarse set.
PERCENT_BREAKS = [0.0, 10.0, 25.0, 50.0, 75.0, 100.0]
PERCENT_FINE = [float(x) for x in range(10, 100, 10)]
STATUS_CODES = {"observed": "o", "estimated": "e", "demo": "d"}   # one letter each: the payload stays small

# Colour-blind-safe sequential ramps (ColorBrewer YlGnBu; viridis for context indicators, which
# carry no "better/worse"). The darkest colour always means "better" (reversed when lower is better).
_YLGNBU, _VIRIDIS = list(colours_mod.YLGNBU), list(colours_mod.VIRIDIS)      # dashboard/palette.py
NO_DATA_COLOR = colours_mod.NO_DATA


# ---- per-version memo of the store's structure (codes, quarters, catalogue per level) ----------
# The store is immutable per version, so these lookups are computed once and keyed on it; values of an
# indicator are recomputed at each call (the benchmark measures that work, not a cache hit).
_META = Bounded(256)      # dashboard/cache.py: bounded, fork-safe, keyed on the store version


def _memo(data: store.Store, key: tuple, compute):
    return _META.get_or_compute((store_key(data), *key), compute)


# ---- what can be mapped ---------------------------------------------------------------------------

def levels(data: store.Store) -> list[str]:
    """Map levels with geometry in the store, département first."""
    have = set(data.geometry_levels)
    return [lv for lv in MAP_LEVELS if lv in have]


def indicators(data: store.Store, level: str) -> list[str]:
    """Indicators defined at ``level``, in catalogue order."""
    def compute():
        ind = data.indicators
        return [i for i, lv in zip(ind.index, ind["levels"]) if level in str(lv).split("|")]
    return _memo(data, ("indicators", level), compute)


def region_codes(data: store.Store, level: str, region: str) -> pd.Index:
    """Codes of ``level`` inside the followed region (the shapes the choropleth draws); ``FR``: all of France."""
    def compute():
        t = data.territories
        inside = (t["level"] == level) & ((t["region"] == region) if region != territory.FRANCE else True)
        return pd.Index(t.index[inside].to_numpy(dtype=object))
    return _memo(data, ("codes", level, region), compute)


def quarters(data: store.Store) -> list[str]:
    return _memo(data, ("quarters",), lambda: store.quarters(data))


def _with_values(data: store.Store, level: str) -> set[str]:
    obs = data.observations
    t = data.territories
    codes = set(t.index[t["level"] == level])
    return set(obs.loc[obs["territory"].isin(codes), "indicator"].unique())


def offered(data: store.Store, level: str) -> list[str]:
    """Indicators the map offers at ``level``: those defined there that have values there, in catalogue order
    (all those defined there when none has: an empty store still shows its shapes). A map of only « pas de
    donnée » is not offered: :func:`not_offered` lists what is left out, and the page says so."""
    def compute():
        defined, having = indicators(data, level), _with_values(data, level)
        return [i for i in defined if i in having] or defined
    return _memo(data, ("offered", level), compute)


def not_offered(data: store.Store, level: str) -> list[str]:
    """Indicators defined at ``level`` without any value there."""
    shown = set(offered(data, level))
    return [i for i in indicators(data, level) if i not in shown]


def default_indicator(data: store.Store, level: str) -> str | None:
    """The first indicator offered at ``level``."""
    return next(iter(offered(data, level)), None)


def normalise(data: store.Store, indicator: str | None, level: str | None, quarter: str | None,
              selected: str | None, region: str) -> dict:
    """Validated view state: anything unknown falls back to a default (never an error)."""
    lv = level if level in levels(data) else (levels(data) or [DEFAULT_LEVEL])[0]
    ind = indicator if indicator in offered(data, lv) else default_indicator(data, lv)
    qs = quarters(data)
    default = queries.session_quarter(data, region or "FR")     # every page opens on the same quarter
    default = default if default in qs else (qs[-1] if qs else None)
    q = quarter if (periods.is_quarter(quarter) and quarter in qs) else default
    sel = selected if (territory.is_code(selected) and selected in region_codes(data, lv, region)) else None
    return {"indicator": ind, "level": lv, "quarter": q, "selected": sel}


def view_from_query(data: store.Store, query: dict, region: str) -> dict:
    """The page's state from its URL query (French names), every field validated."""
    state = normalise(data, query.get("indicateur"), query.get("niveau"), query.get("trimestre"),
                      query.get("territoire"), region)
    state["basis"] = query.get("rapport") if query.get("rapport") in BASES else None
    state["zoom"] = state["center"] = None
    try:
        zoom = float(query.get("zoom", ""))
        lat, lng = float(query.get("lat", "")), float(query.get("lng", ""))
        if 3 <= zoom <= 16 and -90 <= lat <= 90 and -180 <= lng <= 180:
            state["zoom"], state["center"] = zoom, [lat, lng]
    except (TypeError, ValueError):
        pass
    return state


# ---- values ----------------------------------------------------------------------------------

values_at = queries.values_at   # the value as of a quarter, for every shape at once


# ---- classes and colours ---------------------------------------------------------------------

def _nice(x: float) -> float:
    """Round a break to two significant digits: legends read « 12 – 25 », not « 12,37 – 24,91 »."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.2g}")


def class_breaks(values, indicator: dict, k: int = MAX_CLASSES) -> list[float]:
    """Class edges ``[e0, e1, …, en]`` (n classes, ``e0`` = min, ``en`` = max of the data).

    * percentages: fixed classes (tens, or 0-10-25-50-75-100 % over a wide range), trimmed to the data;
    * APL (consultations/inhabitant): 2.5 is always an edge (the plan's low-accessibility threshold);
    * otherwise quantiles for many values, natural breaks (Fisher-Jenks) for few (e.g. 12 départements);
    * a handful of distinct values: one class each.
    """
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if not len(v):
        return []
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        return [lo, hi]
    unit = indicator.get("unit")
    if units.of(unit).is_share:
        inner = [b for b in PERCENT_FINE if lo < b < hi]
        if len(inner) > k - 1:
            inner = [b for b in PERCENT_BREAKS if lo < b < hi]
        return [lo, *inner, hi]
    uniq = np.unique(v)
    if len(uniq) <= k:
        # one class per distinct value: edges between consecutive values
        mids = [(a + b) / 2 for a, b in zip(uniq[:-1], uniq[1:])]
        return [lo, *mids, hi]
    if len(v) >= 10 * k:
        inner = list(quantile_bins(v, k)[:-1])
    else:
        inner = list(fisher_jenks_bins(v, k)[:-1])  # exact and deterministic
    inner = sorted({_nice(b) for b in inner if lo < _nice(b) < hi})
    if unit == "consultations/hab./an" and lo < APL_THRESHOLD < hi:
        # the plan's threshold replaces the nearest data-driven break
        if len(inner) >= k - 1:
            inner.remove(min(inner, key=lambda b: abs(b - APL_THRESHOLD)))
        inner = sorted({*inner, APL_THRESHOLD})
    return [lo, *inner, hi]


def quantile_bins(values, k: int) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes (ties collapse them): mapclassify's ``Quantiles`` (BSD-3), the
    same arithmetic, without importing it — mapclassify pulls scipy and scikit-learn, 87 MB in every web
    worker for two small functions (tests/test_mapping.py checks both against mapclassify itself)."""
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    x = np.sort(np.asarray(values, dtype=float))
    scores = []
    for pct in p:                      # scipy's scoreatpercentile (« fraction »), in its order of operations
        idx = pct / 100.0 * (len(x) - 1)
        i = int(idx)
        if i == idx:
            scores.append(x[i])
        else:
            weights = np.array([(i + 1 - idx), (idx - i)], float)
            scores.append(np.add.reduce(x[i:i + 2] * weights) / weights.sum())
    return np.unique(np.array(scores))


def fisher_jenks_bins(values, k: int) -> np.ndarray:
    """Upper bounds of the ``k`` Fisher-Jenks (natural breaks) classes: mapclassify's ``FisherJenks`` without
    numba (its ``_fisher_jenks_means``, BSD-3), in float32 as it computes, so the breaks are the same."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    mat1 = np.zeros((n + 1, k + 1), dtype=np.int32)
    mat2 = np.zeros((n + 1, k + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    v = np.float32(0)
    for last in range(2, n + 1):
        s1 = s2 = w = np.float32(0)
        for m in range(1, last + 1):
            i3 = last - m + 1
            val = np.float32(x[i3 - 1])
            s2 += val * val
            s1 += val
            w += np.float32(1)
            v = s2 - (s1 * s1) / w
            i4 = i3 - 1
            if i4 != 0:
                for j in range(2, k + 1):
                    if mat2[last, j] >= v + mat2[i4, j - 1]:
                        mat1[last, j] = i3
                        mat2[last, j] = v + mat2[i4, j - 1]
        mat1[last, 1] = 1
        mat2[last, 1] = v
    bounds = np.zeros(k + 1, dtype=x.dtype)
    bounds[k] = x[n - 1]
    bounds[0] = x[0]
    top = n
    for count in range(k, 1, -1):
        pivot = mat1[top, count]
        bounds[count - 1] = x[int(pivot - 2)]
        top = int(pivot - 1)
    return np.delete(bounds, 0)


def classify(values, edges: list[float]) -> np.ndarray:
    """Class index of each value (0 … n-1); -1 for a missing value."""
    v = np.asarray(values, dtype=float)
    if len(edges) < 2:
        return np.full(len(v), -1, dtype=int)
    inner = np.asarray(edges[1:-1], dtype=float)
    # a value equal to an inner edge goes to the upper class ("2.5 and more" is not low accessibility)
    cls = np.searchsorted(inner, v, side="right")
    cls[~np.isfinite(v)] = -1
    return cls.astype(int)


def palette(polarity: str, n: int) -> list[str]:
    """``n`` colours from light to dark for increasing values; dark always means better."""
    if n <= 0:
        return []
    base = _VIRIDIS if polarity == "none" else _YLGNBU
    idx = np.linspace(0, len(base) - 1, n).round().astype(int) if n > 1 else np.array([len(base) // 2])
    colours = [base[i] for i in idx]
    return colours[::-1] if polarity == "lower" else colours


# ---- the payload and everything shown around the map ------------------------------------------

# How a count is drawn: per 100 000 inhabitants (the default, as the sheet compares them: a big département
# is not « better » for having more MSP) or as the count itself. Other units have one basis: the value.
RATE, COUNT = "taux", "nombre"
BASES = {RATE: "Pour 100 000 habitants", COUNT: "Nombre"}


def basis_of(ind: dict | None, basis: str | None) -> str | None:
    """The basis shown for ``ind``: RATE or COUNT for a count (RATE unless COUNT is asked), None otherwise."""
    if not ind or not units.of(ind.get("unit")).per_100k:
        return None
    return basis if isinstance(basis, str) and basis in BASES else RATE      # whatever a client sends


def choropleth(data: store.Store, indicator: str, level: str, quarter: str, region: str,
               selected: str | None = None, basis: str | None = None) -> dict:
    """Everything the map needs for one (indicator, level, quarter, basis): the hideout and the legend/table data.

    Computed once per (store version, indicator, level, quarter, region, basis) — a store version is immutable —
    so that a restyle costs little more than sending the values; only ``selected`` differs between calls."""
    cached = _choropleth(data, indicator, level, quarter, region, basis_of(store.indicator(data, indicator), basis))
    return {**cached, "hideout": {**cached["hideout"], "selected": selected}}


def _per_100k(data: store.Store, vals: pd.DataFrame) -> pd.DataFrame:
    """The values divided by each territory's population (a territory without population: no value)."""
    pop = data.territories["population"].reindex(vals["code"]).tolist()
    rated = [units.per_100k(v, p) for v, p in zip(vals["value"].tolist(), pop)]
    out = vals.assign(value=rated)
    return out[out["value"].notna()].reset_index(drop=True)


@per_version(maxsize=64)
def _choropleth(data: store.Store, indicator: str, level: str, quarter: str, region: str,
                basis: str | None = None) -> dict:
    ind = store.indicator(data, indicator)
    codes = region_codes(data, level, region)
    vals = values_at(data, indicator, codes, quarter) if ind and quarter else values_at(data, "", codes, "")
    if basis == RATE:        # from here on the figure is a rate: its own unit, decimals and words
        vals, ind = _per_100k(data, vals), {**ind, "unit": units.PER_100K_UNIT}
    edges = class_breaks(vals["value"].tolist(), ind or {})
    classes = classify(vals["value"].to_numpy(), edges)
    colours = palette((ind or {}).get("polarity", "none"), max(len(edges) - 1, 0))
    dec = fmt.decimals((ind or {}).get("unit", ""))
    statuses = [STATUS_CODES.get(s, "o") for s in vals["status"].tolist()]
    # {code: [class, text, status]}: the only thing that travels when the indicator or quarter changes.
    # Built from plain Python lists (tolist): 35 000 communes in a few milliseconds. The value arrives as fmt
    # writes it (« 1 234,5 »): the browser draws it, it does not format it (the class is from full precision).
    texts = [fmt.number(v, dec) for v in vals["value"].tolist()]
    hideout = {
        "values": pack_values(vals["code"].tolist(), classes.tolist(), texts, statuses),
        "colors": colours,
        "nodata": NO_DATA_COLOR,
        "palette": colours_mod.MAP,
        "status_words": {letter: STATUS_LABELS[s] for s, letter in STATUS_CODES.items()},
        "suffix": units.of((ind or {}).get("unit")).suffix,
        "unit": (ind or {}).get("unit", ""),
        "unit_text": units.of((ind or {}).get("unit")).text,
        "label": (ind or {}).get("label", ""),
        "selected": None,
        # thin, light outlines when shapes are many: at 35 000 communes dark 0,7 px outlines hide the colours
        "outline": 0.7 if len(codes) <= DENSE_SHAPES else 0.3,
        "outline_opacity": 1 if len(codes) <= DENSE_SHAPES else 0.35,
    }
    return {"hideout": hideout, "edges": edges, "colors": colours, "values": vals, "indicator": ind,
            "has_demo": bool((vals["status"] == "demo").any()), "codes": codes, "basis": basis}


# One string rather than a {code: [class, value, status]} object: Dash encodes a string of 600 KB in about
# a millisecond, where 35 000 small lists took 30 to 200 ms (bench/map.py), and the browser unpacks it once.
ROW_SEP, FIELD_SEP = ";", "|"       # fmt's texts hold commas and spaces, never these


def pack_values(codes: list, classes: list, values: list, statuses: list) -> str:
    """``code|class|text|status;…`` (class -1: no data; text as :func:`fmt.number` writes it). Codes never hold
    the separators (see territory.is_code), nor do fmt's numbers."""
    return ROW_SEP.join(f"{c}{FIELD_SEP}{k}{FIELD_SEP}{v}{FIELD_SEP}{s}"
                        for c, k, v, s in zip(codes, classes, values, statuses))


def unpack_values(packed: str) -> dict[str, list]:
    """``{code: [class, text, status]}``: what ``assets/carte.js`` reads from the packed string."""
    out = {}
    for row in filter(None, (packed or "").split(ROW_SEP)):
        code, cls, text, status = row.split(FIELD_SEP)
        out[code] = [int(cls), text, status]
    return out


def legend_items(edges: list[float], colours: list[str], unit: str) -> list[dict]:
    """Legend rows ``{color, label}`` with bounds in French format (« 2,50 à 3,10 »)."""
    dec = fmt.decimals(unit)
    rows = []
    for i, colour in enumerate(colours):
        a, b = edges[i], edges[i + 1]
        if i == 0:
            label = f"moins de {fmt.value(b, unit, dec)}" if len(colours) > 1 else f"{fmt.value(a, unit, dec)}"
        elif i == len(colours) - 1:
            label = f"{fmt.value(a, unit, dec)} et plus"
        else:
            label = f"de {fmt.value(a, unit, dec)} à moins de {fmt.value(b, unit, dec)}"
        rows.append({"color": colour, "label": label})
    return rows


# ---- the « Territoire » list and the table of values (the map's keyboard and screen-reader path) --------------

TABLE_PAGE_SIZE = 25
SORTS = {"valeur-desc": "Valeur décroissante", "valeur-asc": "Valeur croissante", "nom": "Nom (A → Z)",
         "code": "Code"}
DEFAULT_SORT = "valeur-desc"
SORT_COLUMN = {"valeur-desc": ("Valeur", "descending"), "valeur-asc": ("Valeur", "ascending"),
               "nom": ("Territoire", "ascending"), "code": ("Code", "ascending")}
QUERY_MAX = 100                     # longer typed text is cut (no name is that long; crafted requests are)


def indicator_options(data: store.Store, level: str) -> list[dict]:
    return [{"label": data.indicators.at[i, "label"], "value": i} for i in offered(data, level)]


# Up to this many territories the « Territoire » list holds them all; above (communes: 4 000 in a region,
# 35 000 in France) it is searched on the server as the user types: a Dash 4 dropdown with 4 000 options blocks
# the browser for about a second each time it receives them.
TERRITORY_LIST_MAX = 400
TERRITORY_MATCHES = 50


def territory_options(data: store.Store, level: str, region: str, typed=None, selected=None) -> list[dict]:
    """Options of the « Territoire » list, by name: all of them for a short list, else those whose name or code
    contains what was typed (accents ignored; at most TERRITORY_MATCHES), plus the selected territory."""
    def compute():     # sorted by name once per store version (35 000 names take 0,4 s to normalise)
        codes = region_codes(data, level, region)
        names = data.territories["name"].reindex(codes).tolist()
        keyed = [(search.normalise(n), c, n) for c, n in zip(codes, names)]
        return [(c, n, f"{k} {c.lower()}") for k, c, n in sorted(keyed)]
    rows = _memo(data, ("territory-list", level, region), compute)
    if len(rows) > TERRITORY_LIST_MAX:
        wanted = search.normalise(typed[:QUERY_MAX]) if isinstance(typed, str) else ""
        rows = [r for r in rows if r[0] == selected or (len(wanted) >= 2 and wanted in r[2])]
        rows = rows[:TERRITORY_MATCHES + 1]
    return [{"label": n, "value": c} for c, n, _key in rows]


@per_version(maxsize=16)   # per (store version, view): a Store is immutable
def table_rows(data: store.Store, indicator: str, level: str, quarter: str, region: str,
               basis: str | None = None) -> tuple[dict, ...]:
    """Every territory of the map with its value as shown on the map, its source, and a search key.

    Memoised on the store version: paging, filtering and sorting 35 000 communes then cost a list scan.
    Built from plain lists (a per-row DataFrame lookup takes seconds at 35 000 rows); the order is set by
    ``filter_rows``.
    """
    result = choropleth(data, indicator, level, quarter, region, basis=basis)
    unit = (result["indicator"] or {}).get("unit", "")
    vals = result["values"]
    found = {c: (v, s, p, src) for c, v, s, p, src in zip(vals["code"].tolist(), vals["value"].tolist(),
                                                          vals["status"].tolist(), vals["period"].tolist(),
                                                          vals["source"].tolist())}
    codes = list(result["codes"])
    rows = []
    for code, name in zip(codes, data.territories["name"].reindex(codes).tolist()):
        row = {"code": code, "name": name, "key": f"{search.normalise(name)} {code.lower()}"}
        if code in found:
            value, status, period, source = found[code]
            row.update(value=float(value), text=fmt.value(float(value), unit), status=STATUS_LABELS[status],
                       period=fmt.quarter(period), source=source)
        else:
            row.update(value=None, text="pas de donnée", status="", period="", source="")
        rows.append(row)
    return tuple(rows)


def _sorted(rows, sort: str) -> list[dict]:
    """No data always last; ties by name."""
    if sort == "nom":
        return sorted(rows, key=lambda r: r["key"])
    if sort == "code":
        return sorted(rows, key=lambda r: r["code"])
    sign = 1 if sort == "valeur-asc" else -1
    return sorted(rows, key=lambda r: (r["value"] is None, sign * (r["value"] or 0), r["key"]))


def filter_rows(rows, query, sort: str) -> list[dict]:
    """Rows whose name or code contains ``query`` (accents, case, hyphens ignored), in the ``sort`` order."""
    wanted = search.normalise(query[:QUERY_MAX]) if isinstance(query, str) else ""
    kept = [r for r in rows if wanted in r["key"]] if wanted else rows
    return _sorted(kept, sort if sort in SORTS else DEFAULT_SORT)


def table_page(rows: list[dict], page, size: int = TABLE_PAGE_SIZE) -> dict:
    """One page of ``rows``: the page number is clamped to the pages that exist (a stale or crafted one is fine)."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(page if isinstance(page, int) and not isinstance(page, bool) else 0, 0), pages - 1)
    return {"rows": rows[page * size:(page + 1) * size], "page": page, "pages": pages, "total": len(rows),
            "first": page * size + 1, "last": min((page + 1) * size, len(rows))}


def export_frame(data: store.Store, indicator: str, level: str, quarter: str, region: str, query=None,
                 sort: str = DEFAULT_SORT, basis: str | None = None):
    """The whole table (every page, as filtered and sorted, in the map's basis), with provenance, for the CSV
    export."""
    ind = choropleth(data, indicator, level, quarter, region, basis=basis)["indicator"] or {}   # as drawn: its unit
    rows = filter_rows(table_rows(data, indicator, level, quarter, region, basis), query, sort)
    return pd.DataFrame({
        "territoire": [r["code"] for r in rows], "nom_territoire": [r["name"] for r in rows],
        "indicateur": indicator, "libelle_indicateur": ind.get("label", ""), "unite": ind.get("unit", ""),
        "valeur": [fmt.rounded(r["value"], ind.get("unit", "")) for r in rows],      # display precision
        "statut": [r["status"] for r in rows],                                     # observée / estimée / démo
        "trimestre_de_la_valeur": [r["period"] for r in rows], "source": [r["source"] for r in rows],
    })



def panel(data: store.Store, code: str, level: str, quarter: str) -> dict | None:
    """Key figures of one territory at ``quarter``: every indicator of its level that has a value."""
    info = store.territory(data, code)
    if info is None:
        return None
    figures = []
    for ident in indicators(data, level):
        ind = store.indicator(data, ident)
        got = queries.value_at(data, ident, code, quarter)
        if got:
            figures.append({"label": ind["label"], "text": fmt.value(got["value"], ind["unit"]),
                            "status": got["status"], "period": fmt.quarter(got["period"]),
                            "source": got["source"]})
    return {"code": code, "name": info["name"], "level": territory.LEVEL_LABELS.get(info["level"], ""),
            "population": fmt.number(info["population"]) if pd.notna(info.get("population")) else "–",
            "figures": figures, "href": f"/territoire/{code}"}


# ---- structures ---------------------------------------------------------------------------------

STRUCTURE_CATEGORIES = {"603": "MSP", "124": "Centres de santé", "604": "CPTS"}


def _text(value) -> str:
    """Text of a cell; "" for a missing one (NaN would make the GeoJSON invalid JSON)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _opening(value) -> str:
    if pd.isna(value) or not str(value).strip():
        return ""
    try:
        return fmt.day(pd.Timestamp(value).date(), "popup")
    except (ValueError, TypeError):
        return str(value)


def _structure(row) -> dict:
    """One structure's properties: the map's popup and the list of structures show the same text."""
    cat = str(row.category)
    return {"cat": cat, "name": _text(row.name), "address": _text(row.address), "opening": _opening(row.opening_date),
            "finess": _text(row.id), "category": _text(row.category_label) or STRUCTURE_CATEGORIES.get(cat, cat)}


def structures_as_of(data: store.Store, quarter: str | None = None) -> pd.DataFrame:
    """The structures open at the end of ``quarter``: opened on or before its last day. An unknown opening date
    is kept (FINESS lists the structures in activity; it has no closing date: a closed structure leaves the next
    extract). Without a quarter, all of them."""
    s = data.structures
    if not periods.is_quarter(quarter) or s.empty:
        return s
    opened = pd.to_datetime(s["opening_date"], errors="coerce")
    return s[opened.isna() | (opened <= pd.Timestamp(periods.end_date(quarter)))]


def structures_geojson(data: store.Store, quarter: str | None = None) -> dict:
    """The structures open at the end of ``quarter`` as one FeatureCollection of points (clustered on the map,
    filtered by hideout)."""
    s = structures_as_of(data, quarter)
    s = s[s["lon"].notna() & s["lat"].notna()]
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(row.lon), float(row.lat)]},
                 "properties": _structure(row)} for row in s.itertuples(index=False)]
    return {"type": "FeatureCollection", "features": features}


def structure_rows(data: store.Store, categories, quarter: str | None = None) -> list[dict]:
    """The structures of the chosen categories open at ``quarter`` as rows (the keyboard's and screen reader's
    way to the map's points), by commune then name; with the commune's name from the store."""
    keep = {str(c) for c in categories or []} if isinstance(categories, (list, tuple)) else set()
    s = structures_as_of(data, quarter)
    s = s[s["category"].astype(str).isin(keep)]
    rows = [{**_structure(row), "commune": queries.name_of(data, _text(row.commune), _text(row.commune))}
            for row in s.itertuples(index=False)]
    return sorted(rows, key=lambda r: (search.normalise(r["commune"]), search.normalise(r["name"])))


def structure_counts(data: store.Store, quarter: str | None = None) -> dict[str, int]:
    cats = structures_as_of(data, quarter)["category"].astype(str)
    return {cat: int((cats == cat).sum()) for cat in STRUCTURE_CATEGORIES}


# ---- the geometry route ------------------------------------------------------------------------

_GEO_LOCK = threading.Lock()


def _new_locks() -> None:
    """In a forked child (a background job), locks held by a thread of the parent would never be released."""
    global _GEO_LOCK
    _GEO_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_locks)
_GEO_CACHE: dict[tuple, tuple[bytes, bytes, str]] = {}
_GEO_CODES: dict[tuple, list] = {}    # codes of the shapes per (root, version, level, region): counts, layers
CONTEXT = "contexte"   # all départements of France, drawn as background when there are no tiles


GEOBUF_PRECISION = 4   # decimal digits kept in the geobuf: 0,0001° ≈ 11 m, far below the contours' simplification
FORMATS = {"geojson": "application/geo+json", "pbf": "application/x-protobuf"}


def geometry_bytes(data: store.Store, level: str, region: str, form: str = "geojson") -> tuple[bytes, bytes, str] | None:
    """(raw, gzipped, etag) of the shapes of ``level`` restricted to the region, memoised per version, as
    GeoJSON (``form="geojson"``) or geobuf (``form="pbf"``: the map's format, a quarter of the bytes).

    Only ``code`` and ``name`` travel as properties; the values come through the hideout.
    """
    key = (data.root, data.version, level, region, form)
    hit = _GEO_CACHE.get(key)
    if hit:
        return hit
    doc = _geometry_doc(data, level, region)
    if doc is None:
        return None
    if form == "pbf":
        import geobuf   # dash-leaflet's own dependency, which its geobuf reader decodes

        # many shapes (France's communes): 0,001° (≈ 100 m) still sits below the contours' 0,004° simplification
        # and keeps 35 000 communes to 1,6 MB gzipped (2,3 MB at 0,0001°): the first map load's budget
        # the backdrop is already on a 0,005° grid (CONTEXT_GRID): three decimals hold it exactly
        digits = GEOBUF_PRECISION if len(doc["features"]) <= DENSE_SHAPES and level != CONTEXT else GEOBUF_PRECISION - 1
        raw = geobuf.encode(doc, digits)
    else:
        raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    packed = gzip.compress(raw, compresslevel=6, mtime=0)
    etag = '"' + hashlib.sha1(f"{data.version}:{level}:{region}:{form}".encode()).hexdigest()[:16] + '"'
    with _GEO_LOCK:
        for old in [k for k in _GEO_CACHE if k[0] == data.root and k[1] != data.version]:
            del _GEO_CACHE[old]
            _GEO_CODES.pop(old[:4], None)
        _GEO_CACHE[key] = (raw, packed, etag)
        _GEO_CODES[key[:4]] = [f.get("properties", {}).get("code") for f in doc["features"]]
    return raw, packed, etag


def _geometry_doc(data: store.Store, level: str, region: str) -> dict | None:
    file_level = "departement" if level == CONTEXT else level
    path = data.geometry_file(file_level)
    if path is None or not path.exists():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    if level != CONTEXT:
        keep = set(region_codes(data, level, region))
        doc["features"] = [f for f in doc["features"] if f.get("properties", {}).get("code") in keep]
    else:
        doc["features"] = [_backdrop(f) for f in doc["features"]]
    return doc


CONTEXT_TOLERANCE = 0.02      # degrees (about 2 km): the backdrop is drawn grey and thin, under the data
CONTEXT_GRID = 0.005          # coordinates on a 500 m grid


def _backdrop(feature: dict) -> dict:
    """A département of the background, simplified and rounded (a third of the bytes: the map page's budget)."""
    geom = shapely.geometry.shape(feature["geometry"]).simplify(CONTEXT_TOLERANCE, preserve_topology=True)
    geom = shapely.set_precision(geom, CONTEXT_GRID)
    return {"type": "Feature", "properties": {k: feature.get("properties", {}).get(k) for k in ("code", "name")},
            "geometry": shapely.geometry.mapping(geom)}


_BOUNDS: dict[tuple, list] = {}
DEFAULT_BOUNDS = [[41.3, -5.2], [51.1, 9.6]]   # metropolitan France, used when no geometry is published


def region_bounds(data: store.Store, region: str) -> list[list[float]]:
    """[[south, west], [north, east]] of the region's shapes (memoised per version)."""
    key = (data.root, data.version, region)
    if region == territory.FRANCE:
        # metropolitan France: the bounds of every shape would reach the overseas départements (a view
        # centred on the Atlantic); overseas territories are reached by the list, the table or panning
        return DEFAULT_BOUNDS
    if key not in _BOUNDS:
        out = DEFAULT_BOUNDS
        for level in levels(data):
            got = geometry_bytes(data, level, region)
            feats = json.loads(got[0])["features"] if got else []
            geoms = [shapely.geometry.shape(f["geometry"]) for f in feats if f.get("geometry")]
            if geoms:
                w, s_, e, n = shapely.total_bounds(geoms)
                out = [[round(float(s_), 4), round(float(w), 4)], [round(float(n), 4), round(float(e), 4)]]
                break
        _BOUNDS[key] = out
    return _BOUNDS[key]


def fit_view(bounds: list[list[float]], width_px: int = 800, height_px: int = 520) -> dict:
    """Center and zoom showing ``bounds`` in a map of about ``width_px`` x ``height_px`` (Web Mercator)."""
    (south, west), (north, east) = bounds
    lon_span = max(east - west, 1e-6)
    y = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    merc_span = max(y(north) - y(south), 1e-6)
    zoom_x = math.log2(width_px * 360 / (256 * lon_span))
    zoom_y = math.log2(height_px * 2 * math.pi / (256 * merc_span))
    return {"center": [round((south + north) / 2, 4), round((west + east) / 2, 4)],
            "zoom": max(3.0, min(14.0, math.floor(2 * min(zoom_x, zoom_y)) / 2))}   # the map snaps to half zooms


def shape_codes(data: store.Store, level: str, region: str) -> list[str]:
    """Codes of the contours of ``level`` published for the region (may be fewer than its territories)."""
    def compute():
        # noted while the map's geobuf is built (the route would build it anyway): no second parse
        got = geometry_bytes(data, level, region, "pbf")
        return _GEO_CODES.get((data.root, data.version, level, region), []) if got else []
    return _memo(data, ("shapes", level, region), compute)


def shape_count(data: store.Store, level: str, region: str) -> int:
    """Number of contours of ``level`` published for the region (may be fewer than its territories)."""
    return len(shape_codes(data, level, region))


def arrondissement_count(data: store.Store, level: str, region: str) -> int:
    """Municipal arrondissements (Paris, Lyon, Marseille) among the level's territories: communes in the
    reference, with no contour of their own (their city is drawn)."""
    def compute():
        if level != "commune":
            return 0
        parents = data.territories.reindex(region_codes(data, level, region))["commune"]
        return int(parents.notna().sum())
    return _memo(data, ("arrondissements", level, region), compute)


def geometry_url(data: store.Store, level: str) -> str:
    """The map's (geobuf) URL, versioned: a new store version gets a new URL, so the response can be cached
    for long. The GeoJSON components that load it say ``format="geobuf"``."""
    return f"/geometrie/{level}.pbf?v={data.version}"


def warm(region: str) -> None:
    """What the map's first visitor would otherwise wait for: each level's geometry (geobuf, counted), the
    backdrop's, and its default view's values and table — seconds at 35 000 communes. Run by the web layer's
    warm-up thread (dashboard/server.py), once per process and store version, with the pages' default views."""
    import logging

    try:
        data = store.get()
        qs = quarters(data)
        geometry_bytes(data, CONTEXT, region, "pbf")      # the background every map page loads first
        for level in levels(data):
            shape_count(data, level, region)
            territory_options(data, level, region)
            ind = default_indicator(data, level)
            if ind and qs:
                table_rows(data, ind, level, normalise(data, ind, level, None, None, region)["quarter"], region)
    except Exception:  # a warm-up only saves time: whatever fails here fails again, and is reported, on request
        logging.getLogger(__name__).debug("préparation de la carte interrompue", exc_info=True)


def install_routes(server, conf) -> None:
    """Register ``/geometrie/<level>.geojson`` and ``.pbf`` on the Flask server (from dashboard.server.install)."""
    from flask import Response, abort, request

    @server.route("/geometrie/<level>.geojson", defaults={"form": "geojson"})
    @server.route("/geometrie/<level>.pbf", defaults={"form": "pbf"})
    def carte_geometrie(level: str, form: str):
        if level not in (*MAP_LEVELS, CONTEXT):
            abort(404)
        try:
            data = store.get()
        except store.StoreUnavailable:
            abort(503)
        got = geometry_bytes(data, level, conf.region, form)
        if got is None:
            abort(404)
        raw, packed, etag = got
        headers = {"ETag": etag, "Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return Response(packed, mimetype=FORMATS[form], headers={**headers, "Content-Encoding": "gzip"})
        return Response(raw, mimetype=FORMATS[form], headers=headers)
