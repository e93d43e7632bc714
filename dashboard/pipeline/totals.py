"""A region's count from its départements, once every one of them has reported the quarter.

A quarter is collected département by département (the saisie, a DITP row per département): the region's
figure of a count (an MSP count, MCS doctors) may come last or never. Counts add up (``units``: a count is
whole and additive), so once *every* département of a region has a value *of that quarter* and the region has
none of its own, the build writes the region's as their sum — named as such in its source, never replacing a
regional figure entered or published. Shares and rates do not add up: never summed here.

Its status is the weakest of its parts: observed when every département's value is observed, estimated
otherwise; a demo part gives no sum at all (a demo value never sits in a real series).
"""
from __future__ import annotations

import pandas as pd

from .. import units

METHOD = "somme des {n} départements"


def regional_sums(observations: pd.DataFrame, indicators: pd.DataFrame,
                  territories: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(the observations with the regions' sums added, report lines)."""
    levels = {i: set(str(lv).split("|")) for i, lv in zip(indicators["id"], indicators["levels"])}
    counts = [i for i, u in zip(indicators["id"], indicators["unit"])
              if units.of(u).is_count and "region" in levels.get(i, set())]
    deps = territories.loc[territories["level"] == "departement", ["code", "region"]]
    deps = deps[deps["region"].fillna("").astype(str).str.startswith("R")]
    if not counts or deps.empty or observations.empty:
        return observations, []
    size = deps.groupby("region")["code"].nunique()
    region_of = dict(zip(deps["code"], deps["region"]))
    obs = observations
    parts = obs[obs["indicator"].isin(counts) & obs["territory"].isin(region_of)].copy()
    if parts.empty:
        return observations, []
    parts["_region"] = parts["territory"].map(region_of)
    for column in ("date", "release"):          # optional in a contribution's frame
        if column not in parts.columns:
            parts[column] = ""
    grouped = parts.groupby(["indicator", "_region", "period"], sort=True)
    agg = grouped.agg(n=("territory", "nunique"), value=("value", "sum"),
                      demo=("status", lambda s: bool((s == "demo").any())),
                      observed=("status", lambda s: bool((s == "observed").all())),
                      date=("date", lambda s: max((str(d) for d in s if isinstance(d, str) and d), default="")),
                      release=("release", lambda s: max((str(r) for r in s if isinstance(r, str) and r),
                                                        default="")))
    agg = agg.reset_index()
    agg = agg[(agg["n"] == agg["_region"].map(size)) & ~agg["demo"]]
    have = pd.MultiIndex.from_frame(obs[["indicator", "territory", "period"]])
    keys = pd.MultiIndex.from_arrays([agg["indicator"], agg["_region"], agg["period"]])
    agg = agg[~keys.isin(have)]
    if agg.empty:
        return observations, []
    added = pd.DataFrame({
        "indicator": agg["indicator"].to_numpy(), "territory": agg["_region"].to_numpy(),
        "period": agg["period"].to_numpy(), "value": agg["value"].astype(float).to_numpy(),
        "status": ["observed" if o else "estimated" for o in agg["observed"]],
        "source": [METHOD.format(n=int(n)) for n in agg["n"]],
        "note": [f"{METHOD.format(n=int(n))} (pas de valeur régionale publiée pour ce trimestre)" for n in agg["n"]],
        "date": agg["date"].to_numpy(), "release": agg["release"].to_numpy(),
    })
    added = added.reindex(columns=obs.columns)
    out = pd.concat([obs, added], ignore_index=True)
    return out, [f"{len(added)} valeur(s) régionale(s) de comptage calculée(s) comme somme des départements "
                 f"(chaque département ayant publié le trimestre, la région non) : "
                 f"{', '.join(sorted(set(added['indicator'])))}"]
