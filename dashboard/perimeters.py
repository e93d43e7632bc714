"""CPTS perimeters and zoning *as of* a quarter, and our CPTS coverage beside the baromètre's (pure, over a Store).

The one rule of validity (also the pipeline's): a membership is in force at a quarter when it started on or
before the quarter's last day and had not ended by then. A map or a sheet « as of » a quarter therefore uses
the CPTS signed by then and the zoning decree in force then (a quarter before a decree's date: the previous one).
"""
from __future__ import annotations

import pandas as pd

from . import fmt, periods, queries
from .store import Store

ZONES = {"ZIP": "zone d'intervention prioritaire (ZIP)", "ZAC": "zone d'action complémentaire (ZAC)",
         "ZV": "zone de vigilance (ZV)", "HZ": "hors zone"}
SIGNED = "signée"
#: our computation → the official figure it is shown beside (never replacing it)
RECONCILED = {"cpts_coverage_calc_pct": "cpts_coverage_pct"}


def quarter_day(quarter: str) -> str:
    """The day a quarter's situation is read at: its last day (ISO)."""
    return periods.end_date(quarter).isoformat()


def in_force(perimeters: pd.DataFrame, day: str) -> pd.Series:
    """Rows in force on ``day`` (ISO date)."""
    start, end = perimeters["valid_from"].fillna(""), perimeters["valid_to"].fillna("")
    return (start != "") & (start <= day) & ((end == "") | (end > day))


def as_of(data: Store, kind: str, quarter: str) -> pd.DataFrame:
    """Memberships of ``kind`` ("cpts", "zonage") in force at the end of ``quarter``."""
    p = data.perimeters
    p = p[p["kind"] == kind]
    return p[in_force(p, quarter_day(quarter))]


def _communes(data: Store, code: str) -> set[str]:
    """A commune, or a whole city's arrondissements (perimeters name arrondissements)."""
    t = data.territories
    inner = set(t.loc[t["commune"] == code, "code"]) if "commune" in t else set()
    return {code} | inner


def cpts_of(data: Store, code: str, quarter: str) -> list[dict]:
    """CPTS covering a commune at the end of ``quarter`` (signed), then those in project that name it."""
    p = data.perimeters
    p = p[(p["kind"] == "cpts") & p["commune"].isin(_communes(data, code))]
    if p.empty:
        return []
    signed = p[in_force(p, quarter_day(quarter))]
    project = p[(p["stage"] != SIGNED) & ~p["group"].isin(signed["group"])]
    out = []
    for frame, label in ((signed, "signée"), (project, "en projet")):
        for g in frame.drop_duplicates("group").itertuples():
            since = f", accord signé le {fmt.short_date(g.valid_from)}" if label == "signée" and g.valid_from else ""
            out.append({"id": g.group, "name": g.name, "stage": label, "since": g.valid_from,
                        "text": f"{g.name} ({label}{since})"})
    return out


def zone_of(data: Store, code: str, quarter: str) -> dict | None:
    """The commune's zone under the decree in force at the end of ``quarter`` (None: no decree loaded)."""
    z = as_of(data, "zonage", quarter)
    hit = z[z["commune"].isin(_communes(data, code))]
    if hit.empty:
        if not len(data.perimeters[data.perimeters["kind"] == "zonage"]):
            return None
        return {"zone": "HZ", "label": ZONES["HZ"], "decree": "", "text": "hors zone (non classée par l'arrêté "
                                                                            "en vigueur)"}
    # arrondissements share their city's zone; the most favourable class listed first
    row = hit.sort_values("group", key=lambda s: s.map(list(ZONES).index)).iloc[0]
    return {"zone": row["group"], "label": ZONES.get(row["group"], row["group"]), "decree": row["valid_from"],
            "text": f"{ZONES.get(row['group'], row['group'])}, arrêté du {fmt.short_date(row['valid_from'])}"}


def uncovered(data: Store, codes, quarter: str) -> list[str]:
    """Communes among ``codes`` covered by no signed CPTS at the end of ``quarter`` (« zones blanches »).
    Empty when no CPTS list was loaded (no list is not « nothing covered »)."""
    if not (data.perimeters["kind"] == "cpts").any():
        return []
    covered = set(as_of(data, "cpts", quarter)["commune"])
    t = data.territories
    city_of = t["commune"].fillna("") if "commune" in t else pd.Series("", index=t.index)
    # a city is covered when all its arrondissements are (grouped once: 35 000 codes in milliseconds)
    parts = city_of[city_of != ""]
    arrondissements = {city: set(group.index) for city, group in parts.groupby(parts)}
    return [c for c in codes if c not in covered
            and not ((arrondissements.get(c, set()) - {c}) and arrondissements[c] <= covered)]


def reconcile(data: Store, code: str, quarter: str) -> dict | None:
    """Our computed coverage beside the baromètre's, as of ``quarter``, with the gap:
    « calcul 81,2 % ; baromètre 83,0 % (écart −1,8 point) ». None when either is missing."""
    for ours, official in RECONCILED.items():
        mine = queries.value_at(data, ours, code, quarter)
        theirs = queries.value_at(data, official, code, quarter)
        if mine is None or theirs is None or theirs["status"] != "observed":
            continue
        gap = mine["value"] - theirs["value"]
        return {"ours": mine, "official": theirs, "gap": gap,
                "text": f"calcul {fmt.value(mine['value'], '%')} ({fmt.quarter(mine['period'])}) ; baromètre "
                        f"{fmt.value(theirs['value'], '%')} ({fmt.quarter(theirs['period'])}) — écart "
                        f"{fmt.delta(gap, '%')}"}
    return None
