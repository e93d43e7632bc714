"""Yearly milestones and the *annual* rate (« taux d'avancement annuel »), beside the global rate.

The State publishes two rates for a plan indicator: the global one (from the plan's baseline to the final
target, :func:`dashboard.queries.progress_of`) and an annual one (from the value at the start of the year to
that year's milestone). This module computes the second with the same formula (:func:`queries.progress`):

    annual rate = 100 × (value as of the quarter − value as of the end of the previous year)
                        / (milestone of the year − value as of the end of the previous year), clamped to 0–100.

The year's milestone, in this order:

1. the catalogue's: a target may carry ``milestones = [{period = "2024Q4", value = …}]`` (data/raw/catalogue,
   stored in the ``milestones`` table); the last one dated in the year;
2. the final target itself, when its quarter falls in the year;
3. otherwise the **linear path** from the baseline to the target (:func:`trajectory.expected_path`) at the end
   of the year (its Q4) — *not* a milestone anyone set: it is labelled « trajectoire linéaire, aucun jalon au
   catalogue » wherever it is shown, so that nobody reads it as an official figure.

No annual rate before the baseline's year nor after the target's year, nor without a value at the end of the
previous year.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import fmt, periods, queries, trajectory
from .queries import BASELINE_QUARTER
from .store import Store

CATALOGUE, TARGET, LINEAR = "catalogue", "cible", "linéaire"


@dataclass(frozen=True)
class Milestone:
    period: str
    value: float
    kind: str       # CATALOGUE | TARGET | LINEAR
    source: str

    @property
    def origin_text(self) -> str:
        return {CATALOGUE: "jalon du catalogue", TARGET: "cible finale",
                LINEAR: "trajectoire linéaire, aucun jalon au catalogue"}[self.kind]


def year_end(year: int) -> str:
    return f"{year}Q4"


def milestone_of(data: Store, indicator: str, code: str, year: int,
                 baseline_quarter: str = BASELINE_QUARTER) -> Milestone | None:
    """The milestone of ``year`` for a territory (see the module's docstring for the order), or None."""
    hits = [r for r in queries.rows_by_key(data, "milestones").get((indicator, code), ())
            if str(r["period"])[:4] == str(year)]
    if hits:
        r = sorted(hits, key=lambda h: str(h["period"]))[-1]
        return Milestone(r["period"], float(r["value"]), CATALOGUE, r.get("source") or "")
    target = queries.target_of(data, indicator, code)
    base = queries.baseline_of(data, indicator, code, baseline_quarter)
    if target is None or base is None:
        return None
    target_year = periods.parse(target["period"])[0]
    if year == target_year:
        return Milestone(target["period"], target["value"], TARGET, target["source"])
    if year > target_year or year <= periods.parse(base["period"])[0]:
        return None
    path = dict(trajectory.expected_path(base["period"], base["value"], target["period"], target["value"]))
    end = year_end(year)
    return Milestone(end, path[end], LINEAR, "") if end in path else None


@dataclass(frozen=True)
class AnnualProgress:
    percent: float          # taux d'avancement annuel, 0–100
    start: dict             # the value as of the end of the previous year
    value: dict             # the value as of the quarter
    milestone: Milestone

    def text(self, unit: str) -> str:
        """« avancement annuel 67,5 % (vers 403 au T4 2023 : trajectoire linéaire, aucun jalon au catalogue) »."""
        return (f"avancement annuel {fmt.percent(self.percent)} (vers {fmt.value(self.milestone.value, unit)} au "
                f"{fmt.quarter(self.milestone.period)} : {self.milestone.origin_text})")


def annual_progress(data: Store, indicator: str, code: str, quarter: str,
                    baseline_quarter: str = BASELINE_QUARTER) -> AnnualProgress | None:
    """The annual rate of a territory as of ``quarter`` (None when it cannot be computed): that of the year of
    the observation shown, never of a later year it says nothing about (a value of 2023 read at T3 2026 is
    measured against 2023's milestone)."""
    now = queries.value_at(data, indicator, code, quarter)
    if now is None:
        return None
    year = periods.parse(now["period"])[0]
    milestone = milestone_of(data, indicator, code, year, baseline_quarter)
    start = queries.value_at(data, indicator, code, year_end(year - 1))
    if milestone is None or start is None:
        return None
    return AnnualProgress(queries.progress(now["value"], start["value"], milestone.value), start, now, milestone)
