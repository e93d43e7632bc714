"""Communes merged since a file's millésime → their commune nouvelle (official table of changes).

One rule, :func:`successor_map`: a commune code the territorial reference does not know is mapped to its
successor when the table of changes (``data/raw/communes_fusionnees/``, INSEE's COG) names one the reference
knows; a code the reference knows is never touched. The build applies it to every file that names communes,
then each kind of input is carried over with the rule that suits it:

- codes (CPTS and zoning memberships, FINESS structures): the code is replaced (:func:`remap_column`);
- contours: the shapes of the former communes are dissolved into one shape (:func:`dissolve`);
- commune values: combined per indicator and period (:func:`combine`): counts summed, other values (APL,
  shares) averaged with the population weights the file gives (APL: population standardisée), else the
  reference's, by the very rule of the aggregations (:func:`readers._common.weighted_mean`).

A file that still lists the former communes predates the merger: when it also has a row for the successor's
code, that row describes the former commune whose code the commune nouvelle kept (its chef-lieu, usually), not
the commune nouvelle. So the successor's own shape or value joins the union, the sum or the mean with its former
neighbours (in the embedded IGN 2018 contours, 46 of the 47 communes nouvelles are in this case).

Pure functions over frames; :func:`report_line` writes the build report's line per file.
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd

from .readers._common import weighted_mean
from .. import territory
from ..schema import STATUSES

SUM_UNITS = ("nombre",)   # counts add up; any other unit is averaged with population weights
SUM_METHOD = "somme des communes fusionnées"
MEAN_METHOD = "moyenne pondérée par la {basis} des communes fusionnées"
MAX_CHAIN = 10            # old → newer → current: a table may list a commune under an intermediate successor


def successor_map(codes: Iterable[str], successors: pd.DataFrame | None, known: set[str]) -> tuple[dict, list]:
    """Store codes of communes unknown to the reference → their successor known to it.

    ``successors``: columns old, new (store codes), as read by ``readers.successors``. Returns
    ({old: new}, codes unknown to the reference with no known successor, sorted)."""
    table = dict(zip(successors["old"], successors["new"])) if successors is not None and len(successors) else {}
    stale = sorted({c for c in codes if isinstance(c, str) and c} - known)
    remapped = {}
    for code in stale:
        new, steps = table.get(code), 0
        while new is not None and new not in known and steps < MAX_CHAIN:
            new, steps = table.get(new), steps + 1
        if new in known:
            remapped[code] = new
    return remapped, [c for c in stale if c not in remapped]


def commune_codes(codes: Iterable[str]) -> list[str]:
    """The commune codes (C…) among store codes."""
    return [c for c in codes if isinstance(c, str) and c.startswith("C") and territory.is_code(c)]


def remap_column(frame: pd.DataFrame, column: str, mapping: dict) -> pd.DataFrame:
    """``frame`` with the codes of ``column`` replaced by their successor."""
    if not mapping or frame is None or frame.empty:
        return frame
    out = frame.copy()
    out[column] = out[column].map(lambda c: mapping.get(c, c))
    return out


def dissolve(shapes, mapping: dict, names: dict | None = None):
    """Shapes (GeoDataFrame[code, name, geometry]) with the former communes of each commune nouvelle
    dissolved into one shape under the successor's code (its own shape in the file included, see the
    module's note), named as in the reference (``names``)."""
    if not mapping or shapes is None or shapes.empty:
        return shapes
    import geopandas as gpd
    import shapely

    from .geometry import polygonal

    target = shapes["code"].map(lambda c: mapping.get(c, c))
    touched = target.isin(set(mapping.values()))
    rows = []
    for code, group in shapes[touched].groupby(target[touched], sort=True):
        own = group.loc[group["code"] == code, "name"]
        name = (names or {}).get(code) or (own.iloc[0] if len(own) else "")
        union = shapely.union_all(shapely.make_valid(group.geometry.to_numpy()))
        rows.append({"code": code, "name": name, "geometry": polygonal(union)})
    merged = gpd.GeoDataFrame(rows, columns=["code", "name", "geometry"], geometry="geometry", crs=shapes.crs)
    return pd.concat([shapes[~touched], merged], ignore_index=True)


def combine(obs: pd.DataFrame, mapping: dict, sum_indicators: set[str], weights: pd.DataFrame | None = None,
            population: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Commune values of former communes → one value of their successor per (indicator, period).

    A lone former commune takes its successor's code (its value and status unchanged, a note says so).
    Several values (former communes, with the successor's own value when the file has one) are combined
    into a value no file published: status ``estimated`` (``demo`` if one input is), the method and the
    communes in ``source``: the sum for ``sum_indicators`` (counts), else the mean weighted by ``weights``
    (columns indicator, territory, period, weight, basis: the file's own weights, e.g. the APL's
    standardised population) or else the reference ``population`` ({code: inhabitants}). Values that
    cannot be weighted (a former commune has no population anywhere) are not combined: the former
    communes' values are dropped, the successor's own value kept.

    Rows marked ``_hand`` (typed by people: an unknown code is an error the build reports) are left alone.
    Returns (observations, {"remapped": {old: new}, "unweighted": [old codes dropped]})."""
    done = {"remapped": {}, "unweighted": []}
    if not mapping or obs is None or obs.empty:
        return obs, done
    hand = obs["_hand"].eq(True) if "_hand" in obs.columns else pd.Series(False, index=obs.index)
    target = obs["territory"].where(hand, obs["territory"].map(lambda c: mapping.get(c, c)))
    moved = target != obs["territory"]
    if not moved.any():
        return obs, done
    key = ["indicator", "period"]
    groups = pd.MultiIndex.from_arrays([obs["indicator"], obs["period"], target])
    hit = groups.isin(groups[moved.to_numpy()]) & ~hand.to_numpy()
    rest, todo = obs[~hit], obs[hit].assign(_target=target[hit])
    size = todo.groupby(key + ["_target"])["value"].transform("size")

    lone = todo[size == 1]
    lone = lone.assign(territory=lone["_target"], note=[
        _join(n, f"commune fusionnée {old[1:]} rattachée à {new[1:]}") for n, old, new in
        zip(lone["note"].fillna(""), lone["territory"], lone["_target"])])
    many = todo[size > 1]
    out = [rest, lone.drop(columns="_target")]
    if len(many):
        out.append(_combined(many, sum_indicators, weights, population or {}, done))
    result = pd.concat([f for f in out if len(f)], ignore_index=True) if any(len(f) for f in out) else obs.iloc[:0]
    gone = set(done["unweighted"])
    done["remapped"] = {old: mapping[old] for old in sorted(set(obs.loc[moved, "territory"])) if old not in gone}
    return result, done


def _combined(many: pd.DataFrame, sum_indicators: set[str], weights, population: dict, done: dict) -> pd.DataFrame:
    key = ["indicator", "period", "_target"]
    many = many.copy()
    basis = "population"
    if weights is not None and len(weights):
        w = weights.set_index(["indicator", "territory", "period"])["weight"]
        w = w[~w.index.duplicated()]
        many["_w"] = pd.MultiIndex.from_frame(many[["indicator", "territory", "period"]]).map(w.to_dict().get)
        basis = str(weights["basis"].iloc[0]) if "basis" in weights.columns else basis
    else:
        many["_w"] = None
    many["_w"] = pd.to_numeric(many["_w"], errors="coerce")
    fallback = many["territory"].map(population)
    many["_w"] = many["_w"].fillna(pd.to_numeric(fallback, errors="coerce"))
    summed = many["indicator"].isin(sum_indicators)
    unweighted = ~summed & many.groupby(key)["_w"].transform(lambda s: s.isna().any()).astype(bool)
    if unweighted.any():
        bad = many[unweighted]
        done["unweighted"] = sorted(set(bad.loc[bad["territory"] != bad["_target"], "territory"]))
        # the successor's own value stays, its former communes' values go
        own = bad[bad["territory"] == bad["_target"]].drop(columns=["_target", "_w"])
        many = many[~unweighted]
        summed = summed[~unweighted]
    else:
        own = many.iloc[:0].drop(columns=["_target", "_w"])
    parts = [own]
    if summed.any():
        s = many[summed].groupby(key, sort=True)["value"].sum().rename("value").reset_index()
        parts.append(_describe(s, many[summed], SUM_METHOD))
    if (~summed).any():
        m = weighted_mean(many[~summed], "value", "_w", key)
        parts.append(_describe(m.drop(columns="weight"), many[~summed], MEAN_METHOD.format(basis=basis)))
    return pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else own


def _describe(values: pd.DataFrame, inputs: pd.DataFrame, method: str) -> pd.DataFrame:
    """Rows of combined values: status and provenance from the inputs, the method and communes in ``source``."""
    key = ["indicator", "period", "_target"]
    g = inputs.groupby(key, sort=True)
    rank = {s: i for i, s in enumerate(STATUSES)}
    meta = pd.DataFrame({
        "status": g["status"].agg(lambda s: STATUSES[max(max(rank[x] for x in s), rank["estimated"])]),
        "_codes": g["territory"].agg(lambda s: ", ".join(sorted(c[1:] for c in s))),
        "_sources": g["source"].agg(lambda s: " ; ".join(dict.fromkeys(x for x in s if x))),
        "note": g["note"].agg(lambda s: " | ".join(dict.fromkeys(x for x in s.fillna("") if x))),
    })
    extra = [c for c in inputs.columns if c.startswith("_") and c not in ("_target", "_w", "_hand")]
    if extra:   # where it was read: the first input's cell (for the plausibility messages)
        meta = meta.join(g[extra].first())
    out = values.join(meta, on=key)
    out["source"] = [f"{method} ({codes}) à partir de {src}" if src else f"{method} ({codes})"
                     for codes, src in zip(out["_codes"], out["_sources"])]
    return out.rename(columns={"_target": "territory"}).drop(columns=["_codes", "_sources"])


def _join(note: str, more: str) -> str:
    return f"{note} | {more}" if note else more


def report_line(name: str, remapped: dict, pairs: int = 10) -> str:
    """« apl_mg.xlsx : 12 communes fusionnées rattachées à 5 communes nouvelles (01330→01187, …) »."""
    n, m = len(remapped), len(set(remapped.values()))
    shown = ", ".join(f"{a[1:]}→{b[1:]}" for a, b in sorted(remapped.items())[:pairs])
    more = " …" if n > pairs else ""
    return (f"{name} : {n} commune{'s' if n > 1 else ''} fusionnée{'s' if n > 1 else ''} "
            f"rattachée{'s' if n > 1 else ''} à {m} commune{'s' if m > 1 else ''} nouvelle{'s' if m > 1 else ''} "
            f"({shown}{more})")
