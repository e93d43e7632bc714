"""Appraisals (« appréciations »): the team's judgement on a plan indicator, beside the computed status.

An appraisal is given per plan indicator × quarter × territory (the region by a validator, a département by
its contributor): one of four levels, a synthesis (what happened, risks, next actions), its author and date.
It is shown *beside* the computed status (never instead of it), with a visible mark when the two disagree
strongly (:func:`disagreement`). Appraisals are internal: never shown on the public instance.

Where appraisals come from is not this module's business: a *provider* — a function ``quarter ->
iterable of Appraisal`` — is registered once at start (:func:`dashboard.saisie.appraisals.configure`, called by the app factory and by
``python -m dashboard.pack``): on the internal instance, the appraisals entered on /saisie
(:mod:`dashboard.saisie.appraisals`); on the public one, none. With no provider, there are no appraisals (an
empty dict), and no « appréciation manquante » alert either (nobody can enter one).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Iterable

from . import fmt, trajectory

SECURED = "objectif sécurisé"
REACHABLE = "objectif atteignable"
SUPPORT = "appuis nécessaires"
COMPROMISED = "objectif compromis"
#: The four levels, from the most to the least confident; identifiers are stored, labels shown.
LEVELS = {"securise": SECURED, "atteignable": REACHABLE, "appuis": SUPPORT, "compromis": COMPROMISED}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Appraisal:
    indicator: str
    territory: str          # R84, D01…
    quarter: str            # 2024Q2
    level: str              # a key of LEVELS
    synthesis: str          # what happened, risks, next actions (free text)
    author: str
    date: dt.date

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"niveau d'appréciation inconnu : {self.level!r} (attendu {', '.join(LEVELS)})")

    @property
    def label(self) -> str:
        return LEVELS[self.level]

    @property
    def byline(self) -> str:
        """« Marie Dupont, 12/07/2024 »."""
        return f"{self.author}, {fmt.short_date(self.date)}"


Provider = Callable[[str], Iterable[Appraisal]]
_provider: Provider | None = None


def register(provider: Provider | None) -> None:
    """Install the provider of appraisals for this process (None: no appraisals)."""
    global _provider
    _provider = provider


def enabled() -> bool:
    """Whether appraisals can be entered at all (a provider is registered)."""
    return _provider is not None


def appraisals_for(quarter: str | None) -> dict[tuple[str, str], Appraisal]:
    """The appraisals of a quarter, keyed by (indicator, territory); empty with no provider.

    A failing provider (database down) must not take the plan page or the pack down: it is logged and the
    page shows no appraisal, exactly as if none had been entered.
    """
    if _provider is None or not quarter:
        return {}
    try:
        items = list(_provider(quarter))
    except Exception:  # any provider failure: the computed figures must still be served
        log.exception("appréciations du %s illisibles", quarter)
        return {}
    return {(a.indicator, a.territory): a for a in items if a.quarter == quarter}


def of_territory(code: str, quarter: str | None) -> dict[tuple[str, str], Appraisal]:
    """The appraisals of one territory for a quarter: its sheet's page, CSV and PDF (empty with no provider)."""
    return {key: a for key, a in appraisals_for(quarter).items() if key[1] == code}


# ---- disagreement ---------------------------------------------------------------------------------

#: The strong disagreements (appraisal level, computed status): the team is confident while the figures say
#: late, or gives up while the figures say on track. Milder gaps (« atteignable » while « en retard ») are a
#: legitimate judgement (an acceleration the figures do not show yet) and are not flagged.
STRONG = {
    ("securise", trajectory.LATE): "jugé sécurisé alors que l'indicateur est en retard",
    ("compromis", trajectory.ON_TRACK): "jugé compromis alors que l'indicateur est en bonne voie",
}


def disagreement(level: str | None, status: str | None) -> str | None:
    """Why an appraisal strongly disagrees with the computed status (French), or None. ``status`` is the
    assessment's (a met target is « en bonne voie » there)."""
    return STRONG.get((level, status))


# ---- exports --------------------------------------------------------------------------------------

EXPORT_COLUMNS = ["appreciation", "appreciation_auteur", "appreciation_date", "appreciation_synthese", "desaccord"]


def export_row(ap: Appraisal | None, status: str | None) -> list:
    """The values of EXPORT_COLUMNS for one appraisal beside its computed status (all None without one)."""
    if ap is None:
        return [None] * len(EXPORT_COLUMNS)
    return [ap.label, ap.author, ap.date.isoformat(), ap.synthesis, disagreement(ap.level, status) or ""]


def with_appraisals(table, lookup: Callable[[str], dict]):
    """The plan's export table (plan.quarterly_table) with each row's appraisal beside its ``statut_plan``:
    level, author, date, synthesis and the strong disagreement, if any. ``lookup``: :func:`appraisals_for`."""
    table = table.copy()
    found = {q: lookup(q) for q in table["trimestre"].unique()} if len(table) else {}
    rows = []
    for ind, code, q, status in zip(table["indicateur"], table["territoire"], table["trimestre"], table["statut_plan"]):
        a = found.get(q, {}).get((ind, code))
        computed = next((s for s in trajectory.STATUSES if isinstance(status, str) and status.startswith(s)), None)
        rows.append(export_row(a, computed))
    return _columns(table, rows)


def _columns(table, rows: list[list]):
    for i, column in enumerate(EXPORT_COLUMNS):
        table[column] = [r[i] for r in rows]
    return table


def with_sheet_appraisals(table, code: str, trends: list[dict]):
    """The territory sheet's table (dashboard.sheet.table) with the appraisal of each plan indicator on the rows
    of the territory's own values (comparators' rows stay empty): the same columns as the plan's export."""
    table = table.copy()
    found = {tr["indicator"]: export_row(tr["appraisal"], (tr.get("progress") or {}).get("status"))
             for tr in trends if tr.get("appraisal")}
    empty = export_row(None, None)
    rows = [found.get(ind, empty) if terr == code else empty
            for ind, terr in zip(table["indicateur"], table["territoire"])]
    return _columns(table, rows)
