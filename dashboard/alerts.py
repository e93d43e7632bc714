"""Alerts of a quarter, each with its reason in French: what the committee should look at first.

Computed from the plan's cards (:func:`dashboard.plan.card`, hence :mod:`dashboard.queries`) for the region
and each of its départements, on the plan's headline indicators:

* ``late`` — off track: the computed status is « en retard »;
* ``slower`` — the taux d'avancement is lower than as of the previous quarter (at display precision);
* ``below_median`` — a département whose taux d'avancement is more than :data:`MEDIAN_GAP` points below the
  median of the region's départements that have a target (at least :data:`MIN_DEPARTEMENTS` of them);
* ``missing`` — no value as of the quarter (region: any plan indicator; département: an indicator other
  départements have values for);
* ``stale`` — the value is older than the indicator's frequency allows (:func:`trajectory.is_stale`).
  A département's missing or stale entry is listed only when the region's is up to date (otherwise the same
  source is late for all, and the region's alert says it once);
* ``appraisal`` — no appraisal for the quarter (:func:`dashboard.appraisal.appraisals_for`), for the region and
  each département that has a target; only when appraisals can be entered (a provider is registered).

Alerts resting on demo values say so in their reason. :data:`KINDS` is in order of severity, most severe first;
:func:`lines` gathers the alerts of one kind and indicator into one line listing the territories (the plan page and
the pack say the same lines).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from . import appraisal, fmt, periods, plan, queries, settings, territory, trajectory
from .store import Store
from .trajectory import Thresholds

KINDS = {      # in order of severity, most severe first (the order of the page's groups and of the pack's lines)
    "late": "En retard",
    "slower": "Avancement en recul",
    "below_median": "Département en décrochage",
    "missing": "Saisie manquante",
    "stale": "Donnée ancienne",
    "appraisal": "Appréciation manquante",
}
MEDIAN_GAP = 10.0       # points of taux d'avancement below the départements' median
MIN_DEPARTEMENTS = 3    # a median of fewer départements says nothing


@dataclass(frozen=True)
class Alert:
    kind: str               # a key of KINDS
    indicator: str
    label: str              # the indicator's short label
    territory: str
    territory_name: str
    reason: str
    # in a line listing the territories (:func:`lines`): the territory's own figure (« 14,3 % »), what every
    # territory of the line shares (« avancement attendu en décembre 2023 : 25,0 % ») and how bad it is (the
    # taux d'avancement: lower is worse) — so that a line says the common part once
    figure: str = ""
    shared: str = ""
    rank: float | None = None

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    @property
    def text(self) -> str:
        """« MSP en fonctionnement — Auvergne-Rhône-Alpes : avancement 16,9 % … »."""
        return f"{self.label} — {self.territory_name} : {self.reason}"


def _demo(c: plan.Card) -> str:
    return " (valeurs de démonstration)" if c.assessed_on_demo else ""


def _card_alerts(data: Store, c: plan.Card, name: str, entries: bool = True) -> list[Alert]:
    """late, slower, stale and missing (when ``entries``) alerts of one card."""
    out = []

    def add(kind, reason, figure="", shared="", rank=None):
        out.append(Alert(kind, c.indicator, c.short_label, c.territory, name, reason, figure, shared, rank))

    if c.value is None:
        if entries:
            none = f"aucune valeur au {fmt.quarter(c.as_of)}"
            add("missing", none, shared=none)
        return out
    if c.stale and entries:
        add("stale", f"dernière valeur au {fmt.quarter(c.period)}, plus ancienne que ne le permet sa fréquence "
                     f"({c.frequency})", figure=f"dernière valeur au {fmt.quarter(c.period)}",
            shared=f"plus ancienne que ne le permet sa fréquence ({c.frequency})", rank=periods.index(c.period))
    demo = " démo" if c.assessed_on_demo else ""
    if c.status == trajectory.LATE and not c.target_met:
        if c.progress is None:
            add("late", "échéance dépassée" + _demo(c), figure=demo.strip(), shared="échéance dépassée")
        else:
            expected = (f"avancement attendu en {c.observed_on} : {fmt.percent(c.expected_progress)}"
                        if c.expected_progress is not None else "avancement")
            add("late", c.progress_text + _demo(c), figure=fmt.percent(c.progress) + demo, shared=expected,
                rank=c.progress)
    if c.progress is not None:
        before_q = periods.shift(c.as_of, -1)
        before = queries.progress_of(data, c.indicator, c.territory, before_q)
        if before is not None and round(c.progress, 1) < round(before.percent, 1):
            add("slower", f"avancement {fmt.percent(c.progress)} contre {fmt.percent(before.percent)} au "
                          f"{fmt.quarter(before_q)}{_demo(c)}",
                figure=f"{fmt.percent(c.progress)} contre {fmt.percent(before.percent)}{demo}",
                shared=f"avancement au {fmt.quarter(c.as_of)} contre celui du {fmt.quarter(before_q)}",
                rank=c.progress - before.percent)
    return out


def computed(data: Store, region: str, quarter: str, thresholds: Thresholds) -> list[Alert]:
    """Every alert that depends on the data only (not on appraisals), in indicator order. Not memoised here: the
    plan page's builder (layouts.plan.overview) is, on the store version; the pack computes it once."""
    deps = plan.departements_of(data, region)[["code", "name"]].to_dict("records")
    out: list[Alert] = []
    for meta in plan.plan_indicators(data.indicators).to_dict("records"):
        ident = meta["id"]
        region_card = plan.card(data, meta, region, quarter, thresholds)
        out += _card_alerts(data, region_card, queries.name_of(data, region, region))
        dep_cards = []
        with_series = [d for d in deps if queries.latest(data, ident, d["code"]) is not None]
        for d in deps:
            if not with_series:
                break      # the indicator is followed at the regional level only
            c = plan.card(data, meta, d["code"], quarter, thresholds)
            dep_cards.append((c, d["name"]))
            # a département's late or missing entry is news only when the region's is not (same source)
            out += _card_alerts(data, c, d["name"], entries=not (region_card.stale or region_card.value is None))
        rates = [c.progress for c, _ in dep_cards if c.progress is not None]
        if len(rates) >= MIN_DEPARTEMENTS:
            median = statistics.median(rates)
            for c, name in dep_cards:
                if c.progress is not None and c.progress < median - MEDIAN_GAP:
                    below = (f"plus de {fmt.number(MEDIAN_GAP)} points sous la médiane des {len(rates)} départements "
                             f"({fmt.percent(median)})")
                    out.append(Alert("below_median", ident, c.short_label, c.territory, name,
                                     f"avancement {fmt.percent(c.progress)}, {below}{_demo(c)}",
                                     figure=fmt.percent(c.progress) + (" démo" if c.assessed_on_demo else ""),
                                     shared="avancement " + below, rank=c.progress))
    return out


def appraisal_alerts(data: Store, region: str, quarter: str,
                     appraisals: dict[tuple[str, str], appraisal.Appraisal]) -> list[Alert]:
    """« Appréciation manquante » for the region and each département with a target, on plan indicators with a
    target; none when appraisals cannot be entered at all."""
    if not appraisal.enabled():
        return []
    codes = [region] + plan.departements_of(data, region)["code"].tolist()
    out = []
    for meta in plan.plan_indicators(data.indicators).to_dict("records"):
        for code in codes:
            if queries.target_of(data, meta["id"], code) is None or (meta["id"], code) in appraisals:
                continue
            none = f"aucune appréciation saisie pour le {fmt.quarter(quarter)}"
            out.append(Alert("appraisal", meta["id"], meta.get("short_label") or meta["label"], code,
                             queries.name_of(data, code, code), none, shared=none))
    return out


def alerts_for(data: Store, region: str, quarter: str, thresholds: Thresholds | None = None,
               appraisals: dict | None = None) -> list[Alert]:
    """Every alert of the quarter, grouped by kind (KINDS order), then by indicator as in the plan."""
    if appraisals is None:
        appraisals = appraisal.appraisals_for(quarter)
    thresholds = thresholds or data.thresholds
    found = computed(data, region, quarter, thresholds)
    found = found + appraisal_alerts(data, region, quarter, appraisals)
    order = list(KINDS)
    return sorted(found, key=lambda a: order.index(a.kind))      # stable: indicator order kept within a kind


SEMICOLON = "\u202f; "     # French typography: a narrow no-break space, so that no line starts with « ; »


@dataclass(frozen=True)
class Line:
    """The alerts of one kind and one indicator: « Appréciation manquante — MSP en fonctionnement : Auvergne-
    Rhône-Alpes, Ain, Allier, … ; aucune appréciation saisie pour le T4 2023 »."""
    kind: str
    indicator: str
    label: str              # « MSP en fonctionnement »
    title: str              # « En retard — MSP en fonctionnement »
    text: str               # the territories, each with its figure, then what they share
    territories: tuple[str, ...]


def _named(a: Alert, with_shared: bool) -> str:
    detail = SEMICOLON.join(t for t in (a.figure, a.shared if with_shared else "") if t)
    return f"{a.territory_name} ({detail})" if detail else a.territory_name


def lines(alerts: list[Alert]) -> list[Line]:
    """One line per kind and indicator, most severe first (KINDS order, then the plan's indicator order): the
    region first, then the départements from the worst figure (``rank``) to the least bad, each territory once.
    What all the line's territories share is said once at its end (each territory's own when they differ)."""
    groups: dict[tuple[str, str], list[Alert]] = {}
    for a in alerts:
        groups.setdefault((a.kind, a.indicator), []).append(a)
    order = list(KINDS)
    out = []
    for (kind, ident), group in sorted(groups.items(), key=lambda kv: order.index(kv[0][0])):    # stable
        group = sorted(group, key=lambda a: (territory.level_of(a.territory) != "region",
                                             a.rank is None, a.rank if a.rank is not None else 0))
        shared = {a.shared for a in group}
        names = ", ".join(_named(a, len(shared) > 1) for a in group)
        text = names + (SEMICOLON + shared.pop() if len(shared) == 1 and "" not in shared else "")
        out.append(Line(kind, ident, group[0].label, f"{KINDS[kind]} — {group[0].label}", text,
                        tuple(a.territory for a in group)))
    return out
