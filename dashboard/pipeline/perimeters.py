"""Dated commune memberships (CPTS perimeters, zoning decrees) → population shares per territory and quarter.

Pure functions over frames with the columns of ``schema.TABLES["perimeters"]``. One rule, written once:
a membership is *in force* at a quarter when it started on or before the quarter's last day and had not ended
by then (``valid_from <= end < valid_to``). A CPTS covers its communes from its signature date; a zoning decree
applies from its date until the next decree. Values are computed for every quarter where something changes
and kept only where they change: the store's « value as of a quarter » (queries.value_at) fills the rest.

Scope: an ARS list or decree describes its region(s) only. Shares are computed for the communes, EPCI,
départements and regions entirely inside the regions the file names, and for France only when every region
is named; elsewhere there is no value (no data is not 0 %).
"""
from __future__ import annotations

import pandas as pd

from .. import periods, schema
from ..perimeters import in_force, quarter_day  # noqa: F401  (the one validity rule, shared with the app)

COLUMNS = schema.TABLES["perimeters"]


def event_quarters(perimeters: pd.DataFrame) -> list[str]:
    """Every quarter from the first start to the last start or end: where shares may change."""
    dates = [d for d in pd.concat([perimeters["valid_from"], perimeters["valid_to"]]).fillna("") if d]
    if not dates:
        return []
    return periods.span(periods.from_date(min(dates)), periods.from_date(max(dates)))


def in_force_quarters(perimeters: pd.DataFrame) -> list[str]:
    """The quarters a decree starts in, where it is still in force at the quarter's end (a decree replaced
    within its first quarter never shows). Shares are constant while a decree is in force."""
    starts = sorted({periods.from_date(d) for d in perimeters["valid_from"] if d})
    return [q for q in starts if in_force(perimeters, quarter_day(q)).any()]


def chain_decrees(frames: list[pd.DataFrame], territories: pd.DataFrame) -> list[pd.DataFrame]:
    """A decree applies until the next decree of the same region: set ``valid_to`` of each zoning row to the
    next decree date of its commune's region (a commune the next decree does not list is then « hors zone »)."""
    region = territories.loc[territories["level"] == "commune"].set_index("code")["region"].fillna("")
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    dates = rows.assign(region=rows["commune"].map(region)).groupby("region")["valid_from"].apply(
        lambda s: sorted(set(s)))
    out = []
    for f in frames:
        f = f.copy()
        regions = f["commune"].map(region)
        f["valid_to"] = [next((d for d in dates.get(r, []) if d > start), "") for r, start in
                         zip(regions, f["valid_from"])]
        out.append(f)
    return out


def base_communes(territories: pd.DataFrame) -> pd.DataFrame:
    """The communes populations are summed over: a city with arrondissements (Lyon, Paris, Marseille) is counted
    through its arrondissements. Index: code; columns population, city, epci, departement, region."""
    t = territories[territories["level"] == "commune"].copy()
    t = t.fillna({"commune": "", "epci": "", "departement": "", "region": ""})
    t["city"] = t["commune"].where((t["commune"] != "") & (t["commune"] != t["code"]), "")
    cities = set(t["city"]) - {""}
    t = t[~t["code"].isin(cities)].set_index("code")
    t["population"] = pd.to_numeric(t["population"], errors="coerce").fillna(0.0)
    return t[["population", "city", "epci", "departement", "region"]]


def expand_cities(perimeters: pd.DataFrame, territories: pd.DataFrame) -> pd.DataFrame:
    """A membership naming a whole city (C69123) stands for each of its arrondissements."""
    t = territories[territories["level"] == "commune"].fillna({"commune": ""})
    arr = t[(t["commune"] != "") & (t["commune"] != t["code"])][["code", "commune"]]
    if arr.empty:
        return perimeters
    hit = perimeters.merge(arr.rename(columns={"commune": "_city", "code": "_arr"}), left_on="commune",
                           right_on="_city", how="left")
    hit["commune"] = hit["_arr"].where(hit["_arr"].notna(), hit["commune"])
    return hit[perimeters.columns].drop_duplicates().reset_index(drop=True)


def groups(base: pd.DataFrame, scope_regions: set[str], all_regions: set[str]) -> dict[str, pd.Series]:
    """Territory code of each base commune per level, restricted to the territories entirely in scope."""
    inside = base["region"].isin(scope_regions)
    out = {"commune": pd.Series(base.index, index=base.index).where(inside, "")}
    out["city"] = base["city"].where(inside, "")
    for level in ("epci", "departement", "region"):
        whole = inside.groupby(base[level]).all()
        out[level] = base[level].where(base[level].map(whole).fillna(False).astype(bool) & (base[level] != ""), "")
    out["pays"] = pd.Series("FR" if scope_regions >= all_regions and all_regions else "", index=base.index)
    return out


def shares(base: pd.DataFrame, members_at: dict[str, set[str]], scope_regions: set[str],
           all_regions: set[str]) -> pd.DataFrame:
    """Population share (%) of member communes per territory and quarter, kept only where it changes.

    ``members_at``: quarter → store codes of the base communes counted (covered, in ZIP/ZAC…).
    Returns territory, period, value, level."""
    by_level = groups(base, scope_regions, all_regions)
    pop = base["population"]
    frames = []
    for quarter, members in members_at.items():
        flag = base.index.isin(list(members)) * pop
        for level, codes in by_level.items():
            ok = codes != ""
            if not ok.any():
                continue
            num = flag[ok].groupby(codes[ok]).sum()
            den = pop[ok].groupby(codes[ok]).sum()
            den = den[den > 0]
            frames.append(pd.DataFrame({"territory": den.index, "period": quarter,
                                        "value": (100.0 * num[den.index] / den).to_numpy(), "level": level}))
    if not frames:
        return pd.DataFrame(columns=["territory", "period", "value", "level"])
    return only_changes(pd.concat(frames, ignore_index=True))


def only_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the first value of each territory and every value that differs from the one before it."""
    frame = frame.sort_values(["territory", "period"], kind="stable").reset_index(drop=True)
    same_terr = frame["territory"].eq(frame["territory"].shift())
    same_value = frame["value"].round(9).eq(frame["value"].round(9).shift())
    return frame[~(same_terr & same_value)].reset_index(drop=True)


def observations(values: pd.DataFrame, indicator: str, source: str, note: str = "",
                 levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rows of the observations table (status ``estimated``: computed by us, the method in ``source``)."""
    v = values if levels is None else values[values["level"].isin(levels)]
    records = [{"indicator": indicator, "territory": t, "period": p, "value": float(x), "status": "estimated",
                "source": source, "note": note} for t, p, x in zip(v["territory"], v["period"], v["value"])]
    return pd.DataFrame.from_records(records, columns=schema.TABLES["observations"])


def scope(perimeters: pd.DataFrame, base: pd.DataFrame) -> set[str]:
    """Regions a list or decree describes: those of the communes it names."""
    return set(base.loc[base.index.intersection(perimeters["commune"].unique()), "region"]) - {""}


def all_regions(territories: pd.DataFrame) -> set[str]:
    d = territories[territories["level"] == "departement"]
    return set(d["region"].fillna("")) - {""}


def remap_successors(perimeters: pd.DataFrame, successors: pd.DataFrame, known: set[str]) -> tuple[pd.DataFrame, dict]:
    """Communes merged since the file was written → their successor (official table of changes, the rule of
    :func:`.fusions.successor_map`); memberships of communes still unknown are dropped (and reported).

    Returns the remapped frame and what was done: {"remapped": {old: new}, "unknown": [codes]}."""
    from . import fusions

    if perimeters.empty:
        return perimeters, {"remapped": {}, "unknown": []}
    remapped, unknown = fusions.successor_map(perimeters["commune"].unique(), successors, known)
    out = fusions.remap_column(perimeters, "commune", remapped)
    out = out[out["commune"].isin(known)].drop_duplicates().reset_index(drop=True)
    return out, {"remapped": remapped, "unknown": unknown}


def report_remap(what: str, done: dict) -> list[str]:
    from . import fusions

    lines = [fusions.report_line(what, done["remapped"])] if done["remapped"] else []
    if done["unknown"]:
        codes = ", ".join(c[1:] for c in done["unknown"][:10]) + (" …" if len(done["unknown"]) > 10 else "")
        lines.append(f"⚠ {what} : {len(done['unknown'])} commune(s) hors du référentiel ou de la région "
                     f"construite, ignorée(s) ({codes})")
    return lines
