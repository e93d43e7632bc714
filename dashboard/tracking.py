"""The plan tracking, computed once by the build: one record per plan indicator × territory × quarter.

A record holds what every view of the plan shows of a figure as of a quarter — the value as of the quarter and
its date, the previous observation and the change since it, the change over a year, the target, the baseline
and the taux d'avancement, what was expected by then, the status (with « donnée ancienne »), the recent pace and
the projection (:class:`dashboard.trajectory.Assessment`), the annual rate (:mod:`dashboard.milestones`). The
rules are those of :mod:`dashboard.queries`, :mod:`dashboard.trajectory` and :mod:`dashboard.milestones`;
this module only applies them, with the thresholds the build was given (recorded in the manifest), and
writes/reads the result: the store's ``tracking`` table (``tracking_public`` for the public instance, computed
on the public values only).

Pages, the pack, the kiosk, the sheet, exports, the API and ``pipeline progress`` read these records
(:func:`of`) and compute nothing but their formatting; a new threshold or a new value takes a build. Only a
store that has no table — a saisie preview of unpublished values, the small stores of tests — or a quarter
outside the table computes on the fly, with the same function (:func:`compute`).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import pandas as pd

from . import milestones, periods, queries, trajectory
from .cache import per_version
from .milestones import AnnualProgress, Milestone
from .queries import BASELINE_QUARTER, Change
from .store import Store
from .thresholds import Thresholds
from .trajectory import Assessment

#: Columns of the store's ``tracking`` table: the key, three columns to filter on, and the record (JSON).
COLUMNS = ["indicator", "territory", "quarter", "status", "progress", "value", "record"]


@dataclass(frozen=True)
class Tracked:
    """One plan indicator in one territory as of a quarter (raw numbers; texts are the views')."""

    indicator: str
    territory: str
    as_of: str
    value: dict | None              # the observation shown (queries.value_at): period, value, status, source…
    change_previous: Change | None  # since the previous observation
    change_year: Change | None      # against the observation about a year before the one shown
    target: dict | None
    baseline: dict | None           # the taux d'avancement's starting point (queries.baseline_of)
    progress: float | None          # taux d'avancement, %
    expected_progress: float | None  # expected by the observation's date on the linear path, %
    stale: bool                     # the value is older than its frequency allows
    assessed_on_demo: bool          # the series (hence the status) is made of demo values
    assessment: Assessment
    annual: AnnualProgress | None

    @property
    def status(self) -> str | None:
        """The assessment's status, at the date of the observation shown; « donnée ancienne » (no colour)
        once that observation is older than the indicator's frequency allows: it says nothing of the quarter."""
        if self.stale and self.target is not None and self.value is not None:
            return trajectory.STALE
        return self.assessment.status

    @property
    def progress_of(self) -> queries.Progress | None:
        """The taux d'avancement with its value, baseline and target (:func:`dashboard.queries.progress_of`)."""
        return None if self.progress is None else queries.Progress(self.progress, self.value, self.baseline,
                                                                   self.target)

    @property
    def target_met(self) -> bool:
        """Only an observed value meets a target (an estimate or a demo value never says « cible atteinte »)."""
        return self.assessment.target_met and (self.value or {}).get("status") == "observed"


def _frequency(meta: dict) -> str:
    freq = meta.get("frequency") or "année"
    return freq if freq in periods.FREQUENCY_QUARTERS else "année"


def _stale(meta: dict, shown: dict | None, as_of: str) -> bool:
    return trajectory.is_stale(None if shown is None else shown["period"], as_of, _frequency(meta))


def compute(data: Store, meta: dict, territory: str, as_of: str, thresholds: Thresholds,
            baseline_quarter: str = BASELINE_QUARTER) -> Tracked:
    """The record of one indicator (``meta``: its catalogue row) in ``territory`` as of ``as_of``."""
    ident = meta["id"]
    tgt = queries.target_of(data, ident, territory)
    base = queries.baseline_of(data, ident, territory, baseline_quarter)
    a = trajectory.assess(queries.pairs(data, ident, territory),
                          baseline=(base["period"], base["value"]) if base else None,
                          target=(tgt["period"], tgt["value"]) if tgt else None,
                          as_of=as_of, polarity=meta.get("polarity"), thresholds=thresholds)
    a = dataclasses.replace(a, observations=())   # nobody reads them back; the series is in the store
    r = queries.value_at(data, ident, territory, as_of)
    prog = queries.progress_of(data, ident, territory, as_of, baseline_quarter)
    expected = None
    if prog is not None and a.expected_value_at_latest is not None:
        expected = queries.progress(a.expected_value_at_latest, prog.baseline["value"], prog.target["value"])
    return Tracked(
        indicator=ident, territory=territory, as_of=as_of, value=r,
        change_previous=queries.change_since_previous(data, ident, territory, as_of),
        change_year=queries.change_year(data, ident, territory, as_of),
        target=tgt, baseline=prog.baseline if prog else None,
        progress=prog.percent if prog else None, expected_progress=expected,
        stale=_stale(meta, r, as_of),
        assessed_on_demo=queries.is_demo(data, ident, territory),
        assessment=a,
        annual=milestones.annual_progress(data, ident, territory, as_of, baseline_quarter) if tgt else None,
    )


# ---- what the build writes ------------------------------------------------------------------------------

def plan_metas(data: Store) -> list[dict]:
    """The plan's indicators (catalogue ``plan`` flag), catalogue rows in catalogue order."""
    ind = data.indicators
    flag = ind["plan"].map(lambda v: str(v).strip().lower() in ("1", "true", "yes", "oui"))
    return ind[flag].to_dict("records")


def span(data: Store) -> list[str]:
    """The quarters tracked: from the first to the last observation of a plan indicator."""
    ids = [m["id"] for m in plan_metas(data)]
    obs = data.observations[data.observations["indicator"].isin(ids)]
    return periods.span(obs["period"].min(), obs["period"].max()) if len(obs) else []


def keys(data: Store) -> list[tuple[str, str]]:
    """Every (plan indicator, territory) with a value or a target."""
    ids = {m["id"] for m in plan_metas(data)}
    found = {k for k in data._slices if k[0] in ids}
    t = data.targets
    if t is not None and len(t):
        found |= {k for k in zip(t["indicator"], t["territory"]) if k[0] in ids and k[1] in data.territories.index}
    return sorted(found)


def table(data: Store, thresholds: Thresholds, baseline_quarter: str = BASELINE_QUARTER) -> pd.DataFrame:
    """The ``tracking`` table of a store: one row per plan indicator × territory with a value or a target ×
    tracked quarter (:func:`span`)."""
    metas = {m["id"]: m for m in plan_metas(data)}
    quarters = span(data)
    rows = []
    for ident, code in keys(data):
        meta = metas[ident]
        # Every rule of a record reads the series as of the quarter, i.e. up to the observation shown; only
        # the staleness (and the quarter itself) depend on the quarter. A yearly series shows one observation
        # for four quarters: its record is computed once and copied with the quarter's staleness (5× fewer
        # computations; tests/test_tracking.py checks every record against compute()).
        at_observation: dict = {}
        texts: dict = {}                         # and its JSON, once per staleness
        for q in quarters:
            shown = queries.value_at(data, ident, code, q)
            key = None if shown is None else shown["period"]
            t = at_observation.get(key)
            if t is None:
                t = at_observation[key] = compute(data, meta, code, q, thresholds, baseline_quarter)
            elif t.as_of != q:
                t = dataclasses.replace(t, as_of=q, stale=_stale(meta, shown, q))
            rows.append({"indicator": ident, "territory": code, "quarter": q, "status": t.status,
                         "progress": t.progress, "value": None if t.value is None else t.value["value"],
                         "record": texts.get((key, t.stale)) or texts.setdefault((key, t.stale), encode(t))})
    return pd.DataFrame(rows, columns=COLUMNS)


_ASSESSMENT_FIELDS = dataclasses.fields(Assessment)


def encode(t: Tracked) -> str:
    """A record as JSON (the key columns are the table's)."""
    # a shallow copy of the fields, not dataclasses.asdict: its deep copy was a third of the build's tracking
    a = {f.name: getattr(t.assessment, f.name) for f in _ASSESSMENT_FIELDS if f.name != "observations"}

    def change(c: Change | None):
        return None if c is None else {"now": c.now, "before": c.before}
    annual = None if t.annual is None else {"percent": t.annual.percent, "start": t.annual.start,
                                            "value": t.annual.value,
                                            "milestone": dataclasses.asdict(t.annual.milestone)}
    return json.dumps({"value": t.value, "change_previous": change(t.change_previous),
                       "change_year": change(t.change_year), "target": t.target, "baseline": t.baseline,
                       "progress": t.progress, "expected_progress": t.expected_progress, "stale": t.stale,
                       "assessed_on_demo": t.assessed_on_demo, "assessment": a, "annual": annual},
                      ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def decode(indicator: str, territory: str, as_of: str, text: str) -> Tracked:
    d = json.loads(text)
    a = d["assessment"]
    a["recent_points"] = tuple(a.get("recent_points") or ())
    an = d["annual"]

    def change(c):
        return None if c is None else Change(c["now"], c["before"])
    return Tracked(
        indicator=indicator, territory=territory, as_of=as_of, value=d["value"],
        change_previous=change(d["change_previous"]), change_year=change(d["change_year"]),
        target=d["target"], baseline=d["baseline"], progress=d["progress"],
        expected_progress=d["expected_progress"], stale=d["stale"], assessed_on_demo=d["assessed_on_demo"],
        assessment=Assessment(**a),
        annual=None if an is None else AnnualProgress(an["percent"], an["start"], an["value"],
                                                      Milestone(**an["milestone"])))


# ---- what the views read ------------------------------------------------------------------------------

@per_version(maxsize=4)
def _index(data: Store) -> dict[tuple[str, str, str], int]:
    t = data.tracking
    if t is None or not len(t):
        return {}
    return {k: i for i, k in enumerate(zip(t["indicator"], t["territory"], t["quarter"]))}


@per_version(maxsize=4096)
def _read(data: Store, indicator: str, territory: str, as_of: str) -> Tracked | None:
    i = _index(data).get((indicator, territory, as_of))
    return None if i is None else decode(indicator, territory, as_of, data.tracking["record"].iat[i])


def of(data: Store, meta: dict, territory: str, as_of: str, thresholds: Thresholds | None = None) -> Tracked:
    """The record of one indicator in ``territory`` as of ``as_of``: read from the store's table; computed only
    when the store has none for it (a preview, a test's store, a quarter outside the span) or when other
    ``thresholds`` than the build's are asked for (a saisie preview under the settings')."""
    if thresholds is None or thresholds == data.thresholds:
        found = _read(data, meta["id"], territory, as_of)
        if found is not None:
            return found
    return compute(data, meta, territory, as_of, thresholds or data.thresholds)
