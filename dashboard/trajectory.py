"""Trajectory engine: where an indicator stands against its plan target.

Pure functions over a series of (quarter, value) observations — no store, no Dash.

Vocabulary (all paces are in units of the indicator per quarter):

- *baseline*: the value and quarter the plan starts from (defaults to the first observation);
- *target*: the value to reach and the quarter it must be reached by;
- *required pace*: ``(target − baseline) / (target quarter − baseline quarter)``;
- *expected value* at a quarter: the straight line from the baseline to the target
  (the target value itself once the target quarter is passed);
- *progress share*: ``(latest − baseline) / (expected at latest − baseline)``, i.e. the share of the
  progress expected by now that was actually achieved. The formula is direction-free, so it is right
  for decreasing targets too (APL < 2,5 to be reduced: a fall counts as progress);
- *recent pace*: least-squares slope of the observations dated from four quarters before the latest
  one up to the latest one, both included; with fewer than two such points, the slope through the
  last two observations (sparse series: semester or yearly points, gaps). Quarters are the x axis, so
  irregular spacing is taken into account;
- *projected quarter*: when the target would be reached continuing at the recent pace, rounded up to
  a whole quarter; ``None`` ("pas à ce rythme") when that pace is zero or goes the wrong way;
- *needed pace from now*: ``(target − latest) / quarters left``, the units needed per remaining quarter.

Example (real figures, MSP in ARA, see DOMAIN.md §5): baseline 341 at 2022Q4, 360 at 2023Q2, 383 at
2023Q4, target 590 at 2026Q4 → required 15,6 per quarter, expected 403,25 at 2023Q4, 67 % of the expected
progress, *en retard*; recent pace 10,5 per quarter (2022Q4, 2023Q2, 2023Q4) → target reached in 2028Q4
(19,7 quarters after 2023Q4, rounded up); 17,25 per quarter needed from now on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple, Union

import pandas as pd

from . import periods, settings

from .texts import LATE, NOT_AT_THIS_PACE, ON_TRACK, STALE, STATUSES, WATCH  # noqa: F401  (re-exported)
from .thresholds import Thresholds  # noqa: F401  (re-exported)

RECENT_WINDOW = 4  # quarters before the latest observation included in the recent pace
FALLBACK_BAND_SHARE = 0.25  # band = ± this share of the pace when the slope has no standard error

Observation = tuple[str, float]
SeriesLike = Union[pd.Series, Mapping[str, float], Iterable[Observation]]


@dataclass(frozen=True)
class Assessment:
    """Where an indicator stands "as of" its latest observation (see :func:`assess`).

    Every field is ``None`` when it cannot be computed (no observation, no target, a single point…).
    ``quarters_left`` is negative once the target quarter is passed.
    """

    latest_period: str | None
    latest_value: float | None
    baseline_period: str | None = None
    baseline_value: float | None = None
    target_period: str | None = None
    target_value: float | None = None
    polarity: str = "higher"
    required_pace: float | None = None
    expected_value_at_latest: float | None = None
    progress_share: float | None = None
    recent_pace: float | None = None
    recent_pace_se: float | None = None  # standard error of the slope (≥ 3 points), else None
    recent_points: tuple[str, ...] = ()
    projected_period: str | None = None
    projected_quarters: float | None = None
    status: str | None = None
    needed_pace_from_now: float | None = None
    target_met: bool = False
    quarters_left: int | None = None
    elapsed_quarters: int | None = None  # latest − baseline, in quarters
    observations: tuple[Observation, ...] = field(default=(), repr=False)

    @property
    def direction(self) -> int:
        """+1 when progress means going up, −1 when it means going down."""
        return -1 if self.polarity == "lower" else 1


class ProjectionPoint(NamedTuple):
    period: str
    value: float
    low: float
    high: float


# ---------------------------------------------------------------------------------------------
# series handling


def to_observations(series: SeriesLike) -> list[Observation]:
    """Normalise a series to a sorted list of ``(quarter, value)``, missing values dropped.

    Accepts a pandas Series indexed by quarter, a mapping ``{quarter: value}`` or an iterable of
    pairs. Raises ValueError on a malformed quarter or on the same quarter given twice.
    """
    if series is None:
        return []
    if isinstance(series, pd.Series):
        pairs = list(zip(series.index, series.tolist()))
    elif isinstance(series, Mapping):
        pairs = list(series.items())
    else:
        pairs = [tuple(p) for p in series]
    out: dict[str, float] = {}
    for quarter, value in pairs:
        periods.parse(quarter)  # validates
        if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
            continue
        if quarter in out:
            raise ValueError(f"trimestre {quarter} présent deux fois dans la série")
        out[quarter] = float(value)
    return sorted(out.items(), key=lambda p: periods.index(p[0]))


def cut(observations: list[Observation], as_of: str | None) -> list[Observation]:
    """Observations at or before ``as_of`` (all of them when ``as_of`` is None)."""
    if as_of is None:
        return list(observations)
    limit = periods.index(as_of)
    return [p for p in observations if periods.index(p[0]) <= limit]


def slope(points: list[Observation]) -> tuple[float, float | None]:
    """Least-squares slope per quarter of ``points`` and its standard error (None below 3 points)."""
    if len(points) < 2:
        raise ValueError("au moins deux observations sont nécessaires pour une pente")
    xs = [periods.index(q) for q, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("observations toutes au même trimestre")
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    if n < 3:
        return b, None
    a = my - b * mx
    ssr = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys))
    return b, math.sqrt(ssr / (n - 2) / sxx)


def recent_window(observations: list[Observation], window: int = RECENT_WINDOW) -> list[Observation]:
    """Points used for the recent pace: those dated from ``window`` quarters before the latest one up to
    the latest one (both included); with fewer than two of them, the last two observations."""
    if not observations:
        return []
    start = periods.index(observations[-1][0]) - window
    points = [p for p in observations if periods.index(p[0]) >= start]
    if len(points) < 2:
        points = observations[-2:]
    return points


# ---------------------------------------------------------------------------------------------
# assessment


def _pair(arg, observations: list[Observation], what: str) -> Observation | None:
    if arg is None:
        return None
    if isinstance(arg, str):  # a quarter only: take the series' value at or before it
        found = cut(observations, arg)
        if not found:
            raise ValueError(f"{what} {arg} : aucune observation à cette date ou avant")
        return arg, found[-1][1]
    quarter, value = arg
    if quarter is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    periods.parse(quarter)
    return quarter, float(value)


def _direction(polarity: str | None, baseline: float | None, target: float | None) -> int:
    if polarity == "higher":
        return 1
    if polarity == "lower":
        return -1
    # no polarity (context indicator): the target says which way is progress
    if baseline is not None and target is not None and target < baseline:
        return -1
    return 1


def assess(
    series: SeriesLike,
    baseline: Observation | str | None = None,
    target: Observation | None = None,
    as_of: str | None = None,
    polarity: str | None = "higher",
    thresholds: Thresholds | None = None,
) -> Assessment:
    """Assess a series against its target, as of a quarter.

    ``series``: observations (see :func:`to_observations`), possibly sparse or irregular.
    ``baseline``: ``(quarter, value)``, or a quarter (value read from the series), or None for the first
    observation. ``target``: ``(quarter, value)`` or None (then no status, no required pace).
    ``as_of``: only observations at or before this quarter are used ("every figure is as of the
    selected quarter"). ``polarity``: "higher" (more is better) or "lower" (e.g. population with
    APL < 2,5); anything else lets the target's direction decide.

    Status rules, in order: no target → None; target met → « en bonne voie »; target quarter reached
    (or target not after the baseline) without meeting it → « en retard »; latest observation not after
    the baseline → None (nothing expected yet); otherwise :class:`Thresholds` on the progress share.
    """
    thresholds = thresholds or settings.current().thresholds
    all_obs = to_observations(series)
    obs = cut(all_obs, as_of)
    base = _pair(baseline, all_obs, "référence")
    if base is None and all_obs:
        base = all_obs[0]
    tgt = _pair(target, all_obs, "cible")
    direction = _direction(polarity, base[1] if base else None, tgt[1] if tgt else None)
    norm_polarity = "lower" if direction < 0 else "higher"

    common = dict(
        baseline_period=base[0] if base else None,
        baseline_value=base[1] if base else None,
        target_period=tgt[0] if tgt else None,
        target_value=tgt[1] if tgt else None,
        polarity=norm_polarity,
        observations=tuple(obs),
    )
    required = None
    if base and tgt and periods.index(tgt[0]) > periods.index(base[0]):
        required = (tgt[1] - base[1]) / (periods.index(tgt[0]) - periods.index(base[0]))

    if not obs:
        return Assessment(latest_period=None, latest_value=None, required_pace=required, **common)

    latest_q, latest_v = obs[-1]
    li = periods.index(latest_q)

    points = recent_window(obs)
    pace = se = None
    if len(points) >= 2:
        pace, se = slope(points)

    elapsed = li - periods.index(base[0]) if base else None
    expected = share = None
    if base and tgt and required is not None and elapsed is not None and elapsed >= 0:
        ti = periods.index(tgt[0])
        expected = tgt[1] if li >= ti else base[1] + required * elapsed
        if expected != base[1]:
            share = (latest_v - base[1]) / (expected - base[1])

    met = False
    quarters_left = projected_q = projected = needed = status = None
    if tgt:
        ti = periods.index(tgt[0])
        quarters_left = ti - li
        met = (latest_v - tgt[1]) * direction >= 0
        if met:
            projected_q, projected, needed = 0.0, latest_q, 0.0
        else:
            if quarters_left > 0:
                needed = (tgt[1] - latest_v) / quarters_left
            if pace is not None and pace * direction > 0:
                projected_q = (tgt[1] - latest_v) / pace
                projected = periods.shift(latest_q, math.ceil(round(projected_q, 9)))
        if met:
            status = ON_TRACK
        elif quarters_left <= 0 or required is None:
            status = LATE
        elif elapsed is None or elapsed <= 0:
            status = None
        elif share is None:
            status = LATE
        else:
            status = thresholds.status(share)

    return Assessment(
        latest_period=latest_q,
        latest_value=latest_v,
        required_pace=required,
        expected_value_at_latest=expected,
        progress_share=share,
        recent_pace=pace,
        recent_pace_se=se,
        recent_points=tuple(q for q, _ in points) if pace is not None else ((latest_q,) if obs else ()),
        projected_period=projected,
        projected_quarters=projected_q,
        status=status,
        needed_pace_from_now=needed,
        target_met=met,
        quarters_left=quarters_left,
        elapsed_quarters=elapsed,
        **common,
    )


# ---------------------------------------------------------------------------------------------
# paths for charts


def expected_path(baseline_period: str, baseline_value: float, target_period: str, target_value: float
                  ) -> list[Observation]:
    """The required trajectory: one ``(quarter, value)`` per quarter from the baseline to the target,
    both included, on the straight line between them (only the target when it is not after the
    baseline)."""
    bi, ti = periods.index(baseline_period), periods.index(target_period)
    if ti <= bi:  # degenerate plan: nothing to draw but the target itself
        return [(target_period, float(target_value))]
    step = (target_value - baseline_value) / (ti - bi)
    return [(periods.from_index(i), baseline_value + step * (i - bi)) for i in range(bi, ti + 1)]


def unit_bounds(unit: str | None) -> tuple[float | None, float | None]:
    """What a value of this unit can never pass: a share stays within 0–100, a count or an APL never falls
    below 0 (a projection is clamped to them)."""
    return (0.0, 100.0) if unit == "%" else (0.0, None)


def projection_path(assessment: Assessment, until: str | None = None, band: float = 1.96,
                    fallback_share: float = FALLBACK_BAND_SHARE, unit: str | None = None) -> list[ProjectionPoint]:
    """The projection at the recent pace from the latest observation, with an uncertainty band.

    One point per quarter from the latest observation to ``until`` (default: the target quarter, or
    8 quarters ahead when there is no target or it is not after the latest observation).
    Band after k quarters: ``± band × SE × k`` where SE is the standard error of the least-squares slope
    (when it was fitted on ≥ 3 points; ``band`` = 1,96 gives an indicative 95 % interval on the pace), else
    ``± fallback_share × |pace| × k`` (± 25 % of the pace by default). Empty when there is no recent pace.
    ``unit`` given: values and band stay within :func:`unit_bounds` (a projected share never passes 100 %).
    """
    a = assessment
    if a.latest_period is None or a.recent_pace is None:
        return []
    li = periods.index(a.latest_period)
    if until is None:
        if a.target_period and periods.index(a.target_period) > li:
            until = a.target_period
        else:
            until = periods.shift(a.latest_period, 8)
    ui = periods.index(until)
    width = band * a.recent_pace_se if a.recent_pace_se is not None else fallback_share * abs(a.recent_pace)
    low_bound, high_bound = unit_bounds(unit) if unit is not None else (None, None)

    def clamp(v: float) -> float:
        v = v if high_bound is None else min(high_bound, v)
        return v if low_bound is None else max(low_bound, v)
    out = []
    for k in range(0, max(ui - li, 0) + 1):
        v = a.latest_value + a.recent_pace * k
        out.append(ProjectionPoint(periods.from_index(li + k), clamp(v), clamp(v - width * k), clamp(v + width * k)))
    return out


# ---------------------------------------------------------------------------------------------
# changes and staleness


def change(series: SeriesLike, as_of: str, lag: int) -> float | None:
    """Change of the value "as of" ``as_of`` vs "as of" ``lag`` quarters before (1: previous quarter,
    4: a year before). Each side is the last value at or before its quarter; None when one is missing.
    With sparse series both sides may be the same observation: the change is then 0 (nothing new)."""
    obs = to_observations(series)
    now = cut(obs, as_of)
    before = cut(obs, periods.shift(as_of, -lag))
    if not now or not before:
        return None
    return now[-1][1] - before[-1][1]


def is_stale(last_period: str | None, as_of: str, frequency: str) -> bool:
    """Whether a value is older than its frequency allows ("donnée ancienne").

    Rule: stale when ``index(as_of) − index(last_period) ≥ 2 × q`` where q is the number of quarters of
    the frequency (trimestre 1, semestre 2, année 4): a quarterly value is stale once two quarters have
    passed without a new one, a semester value after four, a yearly value after eight — one full period
    of publication delay is tolerated. No value at all is stale.
    """
    if frequency not in periods.FREQUENCY_QUARTERS:
        raise ValueError(f"fréquence inconnue : {frequency!r} (attendu trimestre, semestre ou année)")
    if last_period is None:
        return True
    return periods.index(as_of) - periods.index(last_period) >= 2 * periods.FREQUENCY_QUARTERS[frequency]
