"""The territory fact sheet as plain data (pure functions over a Store; the layout and the PDF only render it).

``assemble(store, "D15", "2023Q4")`` returns a dict with: the territory and its parents, the quarter, the
profile of every indicator available at that level (value, parent, region, France, rank among peers, an
assessment coloured by polarity), trends of the plan indicators with targets and the territory's share in
the regional progress, what changed since the previous quarter and a year before, structures, zoning and
APL, local initiatives, provenance notes, and ``table``: the flat frame the CSV export writes.

Comparison rules (the spine-chart spirit of Fingertips, documented in docs/territoire.md):

* the benchmark is the region for a territory inside it, France for a region; France has none;
* counts are compared as rates per 100 000 inhabitants; a count below ``SMALL_COUNT`` is shown as a count,
  not compared and not coloured;
* percentages differ when the gap exceeds ``PCT_POINTS`` points, other values when it exceeds ``RELATIVE``;
* indicators of context (polarity "none") are never coloured.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from . import appraisal, exports, fmt, periods, perimeters, queries, store, texts, tracking, units
from .schema import STATUS_LABELS
from .territory import LEVEL_LABELS, LEVELS, is_code

SMALL_COUNT = 5            # below this count, a comparison between territories means nothing
PCT_POINTS = 2.0           # gap (in points) for percentages to count as different
RELATIVE = 0.10            # relative gap for rates and APL
ZONING = ("zip_zac_pop_pct", "apl_mg_under_2_5_pct", "apl_mg_under_2_5_pct_65", "apl_mg_mean", "apl_mg_mean_65")

ASSESSMENTS = {
    "better": "plus favorable",
    "worse": "moins favorable",
    "similar": "proche",
    "small": "effectif trop faible pour comparer",
    "context": "indicateur de contexte (non comparé)",
    "no_benchmark": "pas de référence",
    "no_value": "pas de valeur",
    "demo": "valeur de démonstration (non comparée)",
    "other_date": "référence d'une autre date (non comparée)",
}
SECTIONS = ("Profil des indicateurs", "Évolutions et cibles du plan", "Ce qui a changé", "Structures de soins",
            "Zonage et accessibilité", "Initiatives locales", "Provenance des données")


class SheetError(ValueError):
    """Unknown territory or quarter (the page shows a friendly message)."""


# ---- territory and quarter ---------------------------------------------------------------------

def parents(data: store.Store, code: str) -> list[dict]:
    """Enclosing territories, nearest first (EPCI, département, région, France)."""
    t = store.territory(data, code)
    if t is None or code == "FR":
        return []
    out = []
    for column in ("epci", "departement", "region"):
        parent = t.get(column)
        if isinstance(parent, str) and parent != code:
            row = store.territory(data, parent)
            if row:
                out.append(_brief(row))
    out.append(_brief(store.territory(data, "FR")) if store.territory(data, "FR") else
               {"code": "FR", "name": "France", "level": "pays", "level_label": "Pays", "href": "/territoire/FR"})
    return out


def _brief(row: dict) -> dict:
    return {"code": row["code"], "name": row["name"], "level": row["level"],
            "level_label": LEVEL_LABELS.get(row["level"], row["level"]), "href": f"/territoire/{row['code']}",
            "population": _int(row.get("population"))}


def _int(value) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def default_quarter(data: store.Store, code: str) -> str | None:
    """The quarter a sheet opens on: the session's (every page's, :func:`dashboard.queries.session_quarter`),
    else the territory's latest quarter with a value, else the store's."""
    session = queries.session_quarter(data, queries.region_of(data) or "FR")
    if session:
        return session
    own = data.observations.loc[data.observations["territory"] == code, "period"]
    all_quarters = store.quarters(data)
    return own.max() if len(own) else (all_quarters[-1] if all_quarters else None)


def missing_communes(data: store.Store, terr: dict) -> str | None:
    """Why a territory, or some of its communes, is missing from the map and its figures: communes of the
    reference with neither a contour nor a value (created or restored after the edition of the contour and value
    files, e.g. four communes of CC Hautes Terres) — an EPCI computed from its communes then has no value."""
    facts = data.manifest.get("facts", {})
    no_shape = set((facts.get("without_shape") or {}).get("commune", []))
    if not no_shape:
        return None
    valued = set(data.observations["territory"].unique())
    lost = sorted(c for c in no_shape if c not in valued and c in data.territories.index)
    why = ("absente des fichiers de contours et de valeurs publiés, d'un millésime antérieur à sa création ou à "
           "son rétablissement")
    if terr["level"] == "commune":
        return f"Cette commune n'a ni contour ni valeur : {why}." if terr["code"] in lost else None
    if terr["level"] != "epci":         # a département's figures do not come from its communes: nothing missing
        return None
    members = [c for c in lost if data.territories.at[c, "epci"] == terr["code"]]
    if not members:
        return None
    names = ", ".join(str(data.territories.at[c, "name"]) for c in members)
    plural = len(members) > 1
    verb = "n'ont" if plural else "n'a"
    text = (f"{len(members)} commune{'s' if plural else ''} de ce territoire ({names}) "
            f"{verb} ni contour ni valeur : {'chacune ' if plural else ''}{why}.")
    if terr["code"] not in valued:
        text += (" Les valeurs de l'EPCI, calculées à partir de toutes ses communes, ne peuvent pas l'être : "
                 "elles sont notées « – ».")
    return text


def resolve_quarter(data: store.Store, code: str, requested: object) -> tuple[str | None, str]:
    """(quarter to show, message). Default: :func:`default_quarter`."""
    all_quarters = store.quarters(data)
    default = default_quarter(data, code)
    if requested in (None, ""):
        return default, ""
    if not periods.is_quarter(requested):
        return default, (f"Trimestre « {str(requested)[:20]} » non reconnu (format attendu : 2023Q4) : "
                         f"affichage du {fmt.quarter(default)}.")
    if not all_quarters or requested < all_quarters[0] or requested > all_quarters[-1]:
        return default, (f"Aucune donnée pour le {fmt.quarter(requested)} : affichage du {fmt.quarter(default)}.")
    return requested, ""


def region_links(data: store.Store, region: str) -> list[dict]:
    """The region then its départements (label, href), for the landing page of the sheets."""
    reg = store.territory(data, region)
    if reg is None:
        return []
    deps = store.children(data, region, "departement")
    return ([{"label": f"{reg['name']} (région)", "href": f"/territoire/{region}"}]
            + [{"label": f"{name} ({code[1:]})", "href": f"/territoire/{code}"}
               for code, name in sorted(zip(deps["code"], deps["name"]))])


def quarter_options(data: store.Store) -> list[dict]:
    return [{"label": fmt.quarter(q), "value": q} for q in reversed(store.quarters(data))]


# ---- comparisons -------------------------------------------------------------------------------

def _rate(value: float | None, population: int | None, unit: str) -> float | None:
    if value is None:
        return None
    return units.per_100k(value, population) if units.of(unit).per_100k else value


def assess(value: float | None, benchmark: float | None, polarity: str, unit: str,
           population: int | None = None, benchmark_population: int | None = None) -> str:
    """better | worse | similar | small | context | no_benchmark | no_value (see module docstring)."""
    if value is None:
        return "no_value"
    if units.of(unit).is_count and value < SMALL_COUNT:
        return "small"
    if polarity == "none":
        return "context"
    mine, ref = _rate(value, population, unit), _rate(benchmark, benchmark_population, unit)
    if mine is None or ref is None:
        return "no_benchmark"
    gap = mine - ref
    if units.of(unit).is_share:
        similar = abs(gap) <= PCT_POINTS
    else:
        similar = abs(gap) <= RELATIVE * abs(ref) if ref else gap == 0
    if similar:
        return "similar"
    return "better" if (gap > 0) == (polarity == "higher") else "worse"


def _peer_group(data: store.Store, terr: dict) -> tuple[pd.DataFrame, str]:
    level = terr["level"]
    if level == "departement" and isinstance(terr.get("region"), str):
        return store.children(data, terr["region"], "departement"), "départements de la région"
    if level == "region":
        return store.children(data, "FR", "region"), "régions"
    if level == "epci" and isinstance(terr.get("departement"), str):
        return store.children(data, terr["departement"], "epci"), "EPCI du département"
    if level == "commune" and isinstance(terr.get("departement"), str):
        return store.children(data, terr["departement"], "commune"), "communes du département"
    return data.territories.iloc[0:0], ""


def peer_position(data: store.Store, ident: str, terr: dict, quarter: str, unit: str, polarity: str) -> dict | None:
    """Rank of the territory among its peers (1 = most favourable; counts per 100 000 inhabitants)."""
    peers, group = _peer_group(data, terr)
    if not group:
        return None
    # Peers are ranked on real values of the same date as the territory's own, never on demo values nor
    # across years (a 2023 value above a 2017 one says nothing).
    own = _value(data, ident, terr["code"], quarter)
    if own is None or own["status"] == "demo":
        return None
    values = []
    for code, pop in zip(peers["code"], peers["population"]):
        row = _value(data, ident, code, quarter)
        comparable = row is not None and row["status"] != "demo" and row["period"] == own["period"]
        metric = _rate(row["value"], _int(pop), unit) if comparable else None
        if metric is not None:
            values.append((code, metric))
    if len(values) < 2 or terr["code"] not in {c for c, _ in values}:
        return None
    reverse = polarity != "lower"           # higher first, except when lower is better
    values.sort(key=lambda cv: cv[1], reverse=reverse)
    mine = dict(values)[terr["code"]]
    rank = 1 + sum(1 for _c, v in values if (v > mine if reverse else v < mine))
    n = len(values)
    quartile = None
    if n >= 4:
        quartile = min(4, 1 + int((rank - 1) * 4 / n))
    basis = " pour 100 000 habitants" if units.of(unit).per_100k else ""
    order = "valeur décroissante" if polarity == "none" else "du plus favorable au moins favorable"
    label = f"{rank}e sur {n} {group}" if rank > 1 else f"1er sur {n} {group}"
    return {"rank": rank, "n": n, "group": group, "quartile": quartile, "label": label,
            "detail": f"classement{basis}, {order}",
            "quartile_label": {1: "premier quart", 2: "deuxième quart", 3: "troisième quart",
                               4: "dernier quart"}.get(quartile, "")}


# ---- the sheet ---------------------------------------------------------------------------------

def comparators(data: store.Store, code: str, region: str) -> list[dict]:
    """Territories the sheet compares with: the nearest parent (if below the region), the region, France."""
    ps = parents(data, code)
    out = []
    if ps and ps[0]["level"] not in ("region", "pays"):
        out.append(ps[0])
    regions = [p for p in ps if p["level"] == "region"]
    if regions:
        out.append(regions[0])
    elif code != region and store.territory(data, region) and code != "FR":
        out.append(_brief(store.territory(data, region)))
    if code != "FR":
        out.append(next(p for p in ps if p["code"] == "FR") if any(p["code"] == "FR" for p in ps)
                   else _brief(store.territory(data, "FR")))
    seen, unique = set(), []
    for c in out:
        if c["code"] not in seen and c["code"] != code:
            seen.add(c["code"])
            unique.append(c)
    return unique


def _value(data: store.Store, ident: str, code: str, quarter: str) -> dict | None:
    return queries.value_at(data, ident, code, quarter)


def comparable(own: dict, other: dict) -> str | None:
    """Why two values must not be compared (« demo », « other_date »), or None: a demo value is never compared,
    nor values measured at different dates."""
    if "demo" in (own["status"], other["status"]):
        return "demo"
    return "other_date" if own["period"] != other["period"] else None


def profile(data: store.Store, terr: dict, quarter: str, comps: list[dict]) -> list[dict]:
    rows = []
    benchmark = next((c for c in comps if c["level"] == "region"), None) if terr["level"] != "region" else \
        next((c for c in comps if c["code"] == "FR"), None)
    for ident in data.indicators.index:
        ind = store.indicator(data, ident)
        if terr["level"] not in ind["levels"]:
            continue
        own = _value(data, ident, terr["code"], quarter)
        others = {c["code"]: _value(data, ident, c["code"], quarter) for c in comps}
        bench = others.get(benchmark["code"]) if benchmark else None
        state = assess(own["value"] if own else None, bench["value"] if bench else None, ind["polarity"],
                       ind["unit"], _int(terr.get("population")), benchmark["population"] if benchmark else None)
        if own and own["status"] == "demo":
            state = "demo"
        elif state in ("better", "worse", "similar"):
            state = comparable(own, bench) or state
        rows.append({
            "indicator": ident, "label": ind["label"], "short_label": ind["short_label"], "unit": ind["unit"],
            "polarity": ind["polarity"], "plan": bool(ind["plan"]), "theme": ind["theme"],
            "definition": ind["definition"], "indicator_source": ind["source"],
            "own": own, "comparators": others,
            "benchmark": benchmark["code"] if benchmark else None,
            "assessment": state, "assessment_label": ASSESSMENTS[state],
            "peers": peer_position(data, ident, terr, quarter, ind["unit"], ind["polarity"]) if own else None,
        })
    return rows


def trends(data: store.Store, terr: dict, quarter: str, region: str, appraisals: dict | None = None,
           thresholds=None) -> list[dict]:
    """Plan indicators with values here: the series up to ``quarter``, the target, the taux d'avancement, and
    the team's appraisal of this territory when given (``{(indicator, territory): Appraisal}``, internal only)."""
    appraisals = appraisals or {}
    out = []
    for ident in data.indicators.index:
        ind = store.indicator(data, ident)
        if not ind["plan"] or terr["level"] not in ind["levels"]:
            continue
        series = queries.series(data, ident, terr["code"], quarter)
        if not len(series):
            continue
        out.append({"indicator": ident, "label": ind["label"], "short_label": ind["short_label"],
                    "unit": ind["unit"], "polarity": ind["polarity"], "series": series,
                    "target": queries.target_of(data, ident, terr["code"]),
                    "progress": progress(data, ident, terr, quarter, region, ind, thresholds),
                    "appraisal": appraisals.get((ident, terr["code"]))})
    return out


def progress(data: store.Store, ident: str, terr: dict, quarter: str, region: str, ind: dict,
             thresholds=None) -> dict | None:
    """The territory's own target and taux d'avancement (:func:`queries.progress_of`), and the region's as
    context; None when neither has a target."""
    meta = {**ind, "id": ident}
    own_t = tracking.of(data, meta, terr["code"], quarter, thresholds)
    reg_t = tracking.of(data, meta, region, quarter, thresholds) if terr["code"] != region else None
    own, reg = own_t.progress_of, reg_t and reg_t.progress_of
    if own is None and reg is None:
        return None
    status = own_t.status if own is not None else None   # the plan page's status, « donnée ancienne » included
    return {"own": own, "region": reg, "region_name": queries.name_of(data, region, region), "status": status,
            "quarter": quarter, "is_region": terr["code"] == region}


def progress_text(tr: dict) -> str | None:
    """« Cible du territoire : 24 au T4 2026 ; avancement 16,9 % (en retard). Cible régionale : … »"""
    p = tr.get("progress")
    if not p:
        return None
    unit = tr["unit"]
    parts = []

    def describe(prog: queries.Progress) -> str:
        return (f"{fmt.target(prog.target['value'], unit)} au {fmt.quarter(prog.target['period'])} ; valeur "
                f"{fmt.value(prog.value['value'], unit)} en {queries.month_of(prog.value)}, avancement "
                f"{fmt.percent(prog.percent)} depuis {fmt.value(prog.baseline['value'], unit)} en "
                f"{queries.month_of(prog.baseline)}")

    if p["own"] is not None:
        own = ("Cible régionale : " if p["is_region"] else "Cible de ce territoire : ") + describe(p["own"])
        if p["status"]:
            own += f" — statut : {p['status']}"
        parts.append(own + ".")
    else:
        parts.append("Pas de cible propre à ce territoire.")
    if p["region"] is not None:
        parts.append(f"Contexte régional ({p['region_name']}) : cible {describe(p['region'])}.")
    return " ".join(parts)


def changes(data: store.Store, terr: dict, quarter: str) -> list[dict]:
    """Each indicator with a value: its change since the previous observation and over a year
    (:func:`queries.change_since_previous`, :func:`queries.change_year`: the observation about a year before)."""
    out = []
    for ident in data.indicators.index:
        ind = store.indicator(data, ident)
        if terr["level"] not in ind["levels"]:
            continue
        now = _value(data, ident, terr["code"], quarter)
        if now is None:
            continue
        out.append({"indicator": ident, "label": ind["label"], "unit": ind["unit"], "polarity": ind["polarity"],
                    "now": now, "previous": queries.change_since_previous(data, ident, terr["code"], quarter),
                    "year": queries.change_year(data, ident, terr["code"], quarter)})
    return out


def when_text(v: dict | None, quarter: str) -> str:
    """« (T2 2023) » after a value older than the quarter shown (each indicator keeps its frequency): the page and
    the PDF write it after every value, the territory's and each comparator's."""
    return f" ({fmt.quarter(v['period'])})" if v and v.get("period") and v["period"] != quarter else ""


def change_text(change: queries.Change | None, unit: str) -> str:
    """« +23 depuis le T2 2023 », « pas de valeur nouvelle » or « – » (the plan cards' wording)."""
    return texts.change(change, unit)


def _communes_of(data: store.Store, terr: dict) -> set[str]:
    t = data.territories
    level, code = terr["level"], terr["code"]
    if level == "pays":
        return set(t.loc[t["level"] == "commune", "code"])
    if level == "commune":
        inner = set(t.loc[t["commune"] == code, "code"]) if "commune" in t else set()
        return {code} | inner
    column = {"region": "region", "departement": "departement", "epci": "epci"}[level]
    return set(t.loc[(t["level"] == "commune") & (t[column] == code), "code"])


def structures(data: store.Store, terr: dict) -> pd.DataFrame:
    """FINESS structures located in the territory (MSP 603, CDS 124, CPTS 604), by category then name."""
    frame = data.structures
    if not len(frame):
        return frame.copy()
    communes = _communes_of(data, terr)
    codes = frame["commune"].astype(str)
    codes = codes.where(codes.str.startswith("C"), "C" + codes)
    return frame[codes.isin(communes)].sort_values(["category", "name"]).reset_index(drop=True)


def zoning(data: store.Store, terr: dict, quarter: str, comps: list[dict]) -> list[dict]:
    out = []
    for ident in ZONING:
        ind = store.indicator(data, ident)
        if ind is None:
            continue
        available = terr["level"] in ind["levels"]
        out.append({"indicator": ident, "label": ind["label"], "unit": ind["unit"], "available": available,
                    "own": _value(data, ident, terr["code"], quarter) if available else None,
                    "comparators": {c["code"]: _value(data, ident, c["code"], quarter) for c in comps}})
    return out


def initiatives(data: store.Store, terr: dict) -> list[dict]:
    """Initiatives of the territory, of its parents, and of the territories inside it, each with its source."""
    frame = data.initiatives
    if not len(frame):
        return []
    names = data.territories["name"]
    parent_codes = {p["code"] for p in parents(data, terr["code"])}
    t = data.territories
    if terr["level"] == "pays":
        inside = set(t["code"]) - {"FR"}
    else:
        inside = _communes_of(data, terr) | (set(t.loc[t["epci"].isin([terr["code"]]) | t["departement"].isin(
            [terr["code"]]) | t["region"].isin([terr["code"]]), "code"]))
    out = []
    for row in frame.to_dict("records"):
        code = row["territory"]
        where = ("ici" if code == terr["code"] else "parent" if code in parent_codes else
                 "dedans" if code in inside else None)
        if where is None:
            continue
        out.append({**store._plain(row), "where": where, "territory_name": names.get(code, code),
                    "where_label": {"ici": "ce territoire", "parent": "territoire englobant",
                                    "dedans": "dans ce territoire"}[where]})
    order = {"ici": 0, "dedans": 1, "parent": 2}
    return sorted(out, key=lambda r: (order[r["where"]], -int(r["year"] or 0), r["title"]))


def provenance(rows: list[dict]) -> dict:
    """Counts by status and the distinct sources (with their quarters) of every value on the sheet."""
    counts = {s: 0 for s in STATUS_LABELS}
    sources: dict[tuple, set] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        sources.setdefault((row["status"], row["source"]), set()).add(row["period"])
    listed = [{"status": s, "status_label": STATUS_LABELS.get(s, s), "source": src,
               "periods": sorted(ps), "periods_label": _period_range(sorted(ps))}
              for (s, src), ps in sources.items()]
    order = {"observed": 0, "estimated": 1, "demo": 2}
    listed.sort(key=lambda r: (order.get(r["status"], 9), r["source"]))
    return {"counts": counts, "sources": listed, "has_demo": counts.get("demo", 0) > 0}


def _period_range(ps: list[str]) -> str:
    if not ps:
        return ""
    return fmt.quarter(ps[0]) if len(ps) == 1 else f"{fmt.quarter(ps[0])} à {fmt.quarter(ps[-1])}"


TABLE_COLUMNS = ["rubrique", "indicateur", "libelle", "territoire", "nom_territoire", "trimestre_demande",
                 "trimestre_valeur", "valeur", "unite", "statut", "source", "note"]


def table(data: store.Store, terr: dict, quarter: str, prof: list[dict], zon: list[dict],
          comps: list[dict]) -> pd.DataFrame:
    """Every value shown on the sheet, one row each, with its provenance (the CSV export)."""
    names = {terr["code"]: terr["name"], **{c["code"]: c["name"] for c in comps}}
    rows = []

    def add(section, ident, label, unit, code, value):
        if value is None:
            return
        rows.append({"rubrique": section, "indicateur": ident, "libelle": label, "territoire": code,
                     "nom_territoire": names.get(code, code), "trimestre_demande": quarter,
                     "trimestre_valeur": value["period"], "valeur": fmt.rounded(value["value"], unit), "unite": unit,
                     "statut": STATUS_LABELS.get(value["status"], value["status"]), "source": value["source"],
                     "note": value["note"]})

    for section, items in (("Profil", prof), ("Zonage et accessibilité", zon)):
        for item in items:
            add(section, item["indicator"], item["label"], item["unit"], terr["code"], item["own"])
            for code, value in item["comparators"].items():
                add(section, item["indicator"], item["label"], item["unit"], code, value)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def assemble(data: store.Store, code: object, quarter: object = None, region: str | None = None,
             appraisals: dict | None = None, thresholds=None, today: dt.date | None = None) -> dict:
    """The whole sheet; raises SheetError for an unknown territory (an unknown quarter falls back, with a message).
    ``appraisals``: the quarter's appraisals (:func:`dashboard.appraisal.appraisals_for`; internal instance only).
    ``thresholds``: the settings' (``Settings.thresholds``, the plan page's), also when not given."""
    if not is_code(code) or store.territory(data, code) is None:
        raise SheetError(f"territoire inconnu : {str(code)[:20]!r}")
    region = region or queries.region_of(data) or "FR"
    terr = store.territory(data, code)
    terr = {**terr, "population": _int(terr.get("population")), "level_label": LEVEL_LABELS[terr["level"]]}
    q, message = resolve_quarter(data, code, quarter)
    if q is None:
        raise SheetError("aucune donnée publiée")
    comps = comparators(data, code, region)
    prof = profile(data, terr, q, comps)
    zon = zoning(data, terr, q, comps)
    flat = table(data, terr, q, prof, zon, comps)
    records = [{"status": v["status"], "source": v["source"], "period": v["period"]}
               for item in prof + zon for v in [item["own"], *item["comparators"].values()] if v]
    trend = trends(data, terr, q, region, appraisals, thresholds)
    if appraisals is not None:          # internal instance: the team's appraisals go with the figures
        flat = appraisal.with_sheet_appraisals(flat, code, trend)
    for tr in trend:
        records += [{"status": s, "source": src, "period": p}
                    for s, src, p in zip(tr["series"]["status"], tr["series"]["source"], tr["series"]["period"])]
    return {
        "territory": terr, "code": code, "level_rank": LEVELS.index(terr["level"]),
        "parents": parents(data, code), "comparators": comps, "region": region,
        "region_name": queries.name_of(data, region, region),
        "quarter": q, "quarter_label": fmt.quarter(q), "quarter_message": message, "quarter_hint": texts.default_quarter(default_quarter(data, code)),
        "previous_quarter": periods.shift(q, -1), "year_before": periods.shift(q, -4),
        "version": data.version, "built_at": data.built_at,
        "freshness": queries.freshness_text(data, today or dt.date.today(), territory=code),
        "permalink": f"/territoire/{code}?trimestre={q}",
        "profile": prof, "trends": trend, "changes": changes(data, terr, q),
        "structures": structures(data, terr), "structures_total": len(data.structures),
        "zoning": zon, "initiatives": initiatives(data, terr),
        "cpts": perimeters.cpts_of(data, code, q) if terr["level"] == "commune" else [],
        "zone": perimeters.zone_of(data, code, q) if terr["level"] == "commune" else None,
        "reconciliation": perimeters.reconcile(data, code, q),
        "provenance": provenance(records), "table": flat, "sections": list(SECTIONS),
        "missing_communes": missing_communes(data, terr),
    }


def csv_text(sheet: dict) -> str:
    """The sheet's table as CSV (UTF-8 with BOM for spreadsheet software, « ; » separator, decimal comma)."""
    return exports.to_csv(sheet["table"])


def csv_filename(sheet: dict) -> str:
    return f"fiche-territoire-{sheet['code']}-{sheet['quarter']}.csv"
