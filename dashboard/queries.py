"""The rules that turn stored observations into the figures users read, each written once.

Every page, export, the PDF and the kiosk read figures through these functions (pure, over a
:class:`dashboard.store.Store`), so that the same figure is the same everywhere:

* :func:`value_at` — the value *as of* a quarter: the last observation at or before it (each indicator
  keeps its native frequency: a semester value stays the value of the next quarter);
* :func:`previous_observation` — the observation before the one shown (never an interpolated quarter);
* :func:`change_since_previous` / :func:`change_over` — change since the previous observation
  (« +23 depuis T2 2023 ») and over a number of quarters (a year: the value as of four quarters before);
* :func:`series`, :func:`target_of`, :func:`baseline_of`;
* :func:`progress` — the plan's *taux d'avancement*, as the State publishes it (indic_ta of the baromètre):
  ``100 × (value − baseline) / (target − baseline)``, clamped to [0, 100]. The formula is direction-free:
  for an indicator to be reduced the target is below the baseline and a fall counts as progress.

Formatting (decimals, « point(s) », dates) is :mod:`dashboard.fmt`'s; trajectories and statuses are
:mod:`dashboard.trajectory`'s.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import fmt, periods
from .cache import per_version
from .store import Store

#: The plan's baseline: the value as of end 2022, the baromètre's « valeur initiale » (indic_vi of IND-311,
#: IND-318, IND-589). A series with no value by then starts from its first observation.
BASELINE_QUARTER = "2022Q4"

SERIES_COLUMNS = ("period", "value", "status", "source", "note", "date")
COLUMNS = SERIES_COLUMNS + ("release", "previous_value", "previous_release")


def month_of(row: dict) -> str:
    """« décembre 2023 »: the month of an observation (or baseline), from its own date when the source gives
    one, else from the end of its quarter."""
    return fmt.month(row.get("date") or periods.end_date(row["period"]))


# ---- reading one series ---------------------------------------------------------------------------

@per_version(maxsize=4)
def _columns(data: Store) -> dict[str, list]:
    """Observation columns as Python lists (a Store is immutable): bisection in a series' slice costs
    microseconds, where a pandas filter per lookup costs a millisecond."""
    obs = data.observations
    return {c: obs[c].tolist() for c in COLUMNS}


def _row(data: Store, i: int) -> dict:
    cols = _columns(data)
    return {"period": cols["period"][i], "value": float(cols["value"][i]), "status": cols["status"][i],
            "source": cols["source"][i] or "", "note": cols["note"][i] or "", "date": cols["date"][i] or "",
            # the release it came from, and the value it revised (dashboard.pipeline.revisions), if any
            "release": cols["release"][i] or "", "previous_release": cols["previous_release"][i] or "",
            "previous_value": None if pd.isna(cols["previous_value"][i]) else float(cols["previous_value"][i])}


def _index_at(data: Store, indicator: str, code: str, quarter: str) -> tuple[int, int]:
    """(index of the last observation at or before ``quarter``, start of the series); index < start: none."""
    start, stop = data._slices.get((indicator, code), (0, 0))
    if start == stop or not isinstance(quarter, str):
        return start - 1, start
    # "2023Q4" strings sort like quarters (4-digit years)
    return bisect.bisect_right(_columns(data)["period"], quarter, start, stop) - 1, start


def value_at(data: Store, indicator: str, code: str, quarter: str) -> dict | None:
    """The value as of ``quarter``: the last observation at or before it, as a plain dict
    (period, value, status, source, note), or None."""
    i, start = _index_at(data, indicator, code, quarter)
    return _row(data, i) if i >= start else None


def latest(data: Store, indicator: str, code: str) -> dict | None:
    """The series' last observation."""
    start, stop = data._slices.get((indicator, code), (0, 0))
    return _row(data, stop - 1) if stop > start else None


def previous_observation(data: Store, indicator: str, code: str, quarter: str) -> dict | None:
    """The observation before the one shown as of ``quarter`` (for a semester or yearly indicator: the
    previous semester or year, never a made-up quarter)."""
    i, start = _index_at(data, indicator, code, quarter)
    return _row(data, i - 1) if i - 1 >= start else None


def series(data: Store, indicator: str, code: str, until: str | None = None) -> pd.DataFrame:
    """Observations of one indicator in one territory, by quarter (up to ``until`` included)."""
    start, stop = data._slices.get((indicator, code), (0, 0))
    if until is not None:
        stop = max(start, _index_at(data, indicator, code, until)[0] + 1)
    frame = data.observations.iloc[start:stop]
    out = frame[list(SERIES_COLUMNS)].reset_index(drop=True)
    return out


def pairs(data: Store, indicator: str, code: str, until: str | None = None) -> list[tuple[str, float]]:
    """``[(quarter, value)]`` of a series (what :mod:`dashboard.trajectory` works on)."""
    start, stop = data._slices.get((indicator, code), (0, 0))
    if until is not None:
        stop = max(start, _index_at(data, indicator, code, until)[0] + 1)
    cols = _columns(data)      # lists, not a frame: the build asks this for every indicator × territory × quarter
    return [(cols["period"][i], float(cols["value"][i])) for i in range(start, stop)]


def is_demo(data: Store, indicator: str, code: str) -> bool:
    """Whether a series is made of demo values (the build never mixes demo with real values in a series)."""
    start, stop = data._slices.get((indicator, code), (0, 0))
    return stop > start and "demo" in _columns(data)["status"][start:stop]


def values_at(data: Store, indicator: str, codes, quarter: str) -> pd.DataFrame:
    """:func:`value_at` of many territories at once (vectorised: 35 000 communes in a few
    milliseconds). Columns: code, value, status, period, source."""
    obs = data.observations
    # observations are sorted by (indicator, territory, period): one indicator is a contiguous block
    ids = obs["indicator"].to_numpy(dtype=object)
    lo, hi = np.searchsorted(ids, indicator, "left"), np.searchsorted(ids, indicator, "right")
    block = obs.iloc[lo:hi]
    # numpy object arrays and a hash lookup: Arrow-backed strings are slow to iterate and to `isin`
    terr = block["territory"].to_numpy(dtype=object)
    period = block["period"].to_numpy(dtype=object)
    index = codes if isinstance(codes, pd.Index) else pd.Index(codes)
    keep = (period <= quarter) & (index.get_indexer(terr) >= 0) if len(terr) else np.zeros(0, bool)
    block = block[keep]
    last = block.drop_duplicates("territory", keep="last")
    last = last[last["value"].notna()]     # a missing value is "no data", never NaN in the JSON
    return pd.DataFrame({"code": last["territory"].to_numpy(dtype=object),
                         "value": last["value"].to_numpy(dtype=float),
                         "status": last["status"].to_numpy(dtype=object),
                         "period": last["period"].to_numpy(dtype=object),
                         "source": last["source"].to_numpy(dtype=object)})


def newest(data: Store, indicators=None, territory: str | None = None) -> dict | None:
    """The newest observation of the store (of these indicators, in this territory): by quarter, then by
    its own date; None when there is none."""
    obs = data.observations
    if indicators is not None:
        obs = obs[obs["indicator"].isin(list(indicators))]
    if territory is not None:
        obs = obs[obs["territory"] == territory]
    if not len(obs):
        return None
    r = obs.sort_values(["period", "date"], kind="stable").iloc[-1]
    return {"period": r["period"], "date": r["date"] or "", "indicator": r["indicator"], "territory": r["territory"]}


def freshness_text(data: Store, today, indicators=None, territory: str | None = None) -> str:
    """« Données les plus récentes : décembre 2023 (il y a 12 trimestres) »: what every page and the kiosk say
    of the age of what they show, counted in quarters up to ``today``'s."""
    row = newest(data, indicators, territory)
    if row is None:
        return "Aucune donnée publiée."
    age = periods.index(periods.from_date(today)) - periods.index(row["period"])
    return f"Données les plus récentes : {month_of(row)} ({fmt.age(age)})."


# ---- changes --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """A change between two observations of a series: ``now − before``."""

    now: dict
    before: dict

    @property
    def delta(self) -> float:
        return self.now["value"] - self.before["value"]

    @property
    def on_demo(self) -> bool:
        return "demo" in (self.now["status"], self.before["status"])

    @property
    def since(self) -> str:
        """The quarter compared with (« depuis T2 2023 »)."""
        return self.before["period"]

    @property
    def new(self) -> bool:
        """False when both sides are the same observation (nothing new over the span)."""
        return self.before["period"] != self.now["period"]


def change_since_previous(data: Store, indicator: str, code: str, quarter: str) -> Change | None:
    """The value as of ``quarter`` against the observation before it."""
    now = value_at(data, indicator, code, quarter)
    before = previous_observation(data, indicator, code, quarter)
    return Change(now, before) if now and before else None


def change_over(data: Store, indicator: str, code: str, quarter: str, quarters: int) -> Change | None:
    """The value as of ``quarter`` against the value as of ``quarters`` earlier (4: over a year); None when
    one is missing. Both may be the same observation (``new`` is then False: nothing new over the span)."""
    now = value_at(data, indicator, code, quarter)
    before = value_at(data, indicator, code, periods.shift(quarter, -quarters))
    return Change(now, before) if now and before else None


#: « Sur un an »: the observation compared with is 4 quarters before the one shown, give or take this many
#: (a semester or yearly series has one there; anything older is not « a year earlier »).
YEAR_TOLERANCE = 1


def change_year(data: Store, indicator: str, code: str, quarter: str) -> Change | None:
    """The value as of ``quarter`` against the observation about a year before *it* (3 to 5 quarters earlier,
    the latest at or before 4); None when the series has none there — never an older one."""
    now = value_at(data, indicator, code, quarter)
    if now is None:
        return None
    before = value_at(data, indicator, code, periods.shift(now["period"], -4))
    if before is None or periods.index(now["period"]) - periods.index(before["period"]) > 4 + YEAR_TOLERANCE:
        before = value_at(data, indicator, code, periods.shift(now["period"], -(4 - YEAR_TOLERANCE)))
        if before is None or periods.index(now["period"]) - periods.index(before["period"]) > 4 + YEAR_TOLERANCE:
            return None
    return Change(now, before)


# ---- targets and progress -------------------------------------------------------------------------

@per_version(maxsize=8)
def rows_by_key(data: Store, table: str) -> dict[tuple[str, str], list[dict]]:
    """A small table of the store (targets, baselines, milestones) as ``{(indicator, territory): [rows]}``,
    rows without a value left out, in the table's order: a lookup costs a dict access where a pandas filter
    costs a millisecond (the build reads them for every indicator × territory × quarter)."""
    frame = getattr(data, table)
    out: dict[tuple[str, str], list[dict]] = {}
    if frame is None or not len(frame):
        return out
    for r in frame.to_dict("records"):
        if r.get("value") is None or pd.isna(r["value"]):
            continue
        out.setdefault((r["indicator"], r["territory"]), []).append(r)
    return out


def target_of(data: Store, indicator: str, code: str) -> dict | None:
    """The target of an indicator in a territory (period, value, source); the latest-dated if several."""
    hits = rows_by_key(data, "targets").get((indicator, code))
    if not hits:
        return None
    r = sorted(hits, key=lambda h: h["period"])[-1]
    date = r.get("date")
    return {"period": r["period"], "value": float(r["value"]), "source": r.get("source") or "",
            "date": date if isinstance(date, str) else ""}


def baseline_of(data: Store, indicator: str, code: str, baseline_quarter: str = BASELINE_QUARTER) -> dict | None:
    """The starting point of a series' taux d'avancement (period, value, date, source, stated): the source's
    own baseline when it states one (baromètre ``indic_vi``, dated by its row; ``stated`` True) — the State
    computes its published ``indic_ta`` from it, not from a value of the series —, else the value as of
    ``baseline_quarter`` (the plan's launch), else the series' first value."""
    hits = rows_by_key(data, "baselines").get((indicator, code))
    if hits:
        r = hits[-1]
        return {"period": r["period"], "value": float(r["value"]), "date": r.get("date") or "",
                "source": r.get("source") or "", "stated": True}
    start, stop = data._slices.get((indicator, code), (0, 0))
    if stop == start:
        return None
    row = value_at(data, indicator, code, baseline_quarter) or _row(data, start)
    return {**row, "stated": False}


def progress(value: float | None, baseline: float | None, target: float | None) -> float | None:
    """The *taux d'avancement* in % (the baromètre's indic_ta): ``100 × (value − baseline) / (target −
    baseline)``, clamped to [0, 100]. A target equal to its baseline is 100 % once met, else 0 %."""
    if value is None or baseline is None or target is None:
        return None
    span = target - baseline
    if span == 0:
        return 100.0 if value == target else 0.0
    return min(100.0, max(0.0, 100.0 * (value - baseline) / span))


@dataclass(frozen=True)
class Progress:
    """Where a territory stands on the way from its plan baseline to its target, as of a quarter."""

    percent: float              # taux d'avancement, 0–100
    value: dict                 # the value as of the quarter
    baseline: dict
    target: dict


def progress_of(data: Store, indicator: str, code: str, quarter: str,
                baseline_quarter: str = BASELINE_QUARTER) -> Progress | None:
    """The taux d'avancement of a territory toward its own target, as of ``quarter``."""
    target = target_of(data, indicator, code)
    now = value_at(data, indicator, code, quarter)
    base = baseline_of(data, indicator, code, baseline_quarter)
    if target is None or now is None or base is None:
        return None
    return Progress(progress(now["value"], base["value"], target["value"]), now, base, target)


# ---- the plan's indicators and the quarter every page opens on ----------------------------------

def is_flag(value) -> bool:
    """A catalogue flag (``plan``, ``public``): « 1 », « true », « oui »… or a true value."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "oui")
    return bool(value) and not (isinstance(value, float) and np.isnan(value))


def plan_indicators(indicators: pd.DataFrame, public_only: bool = False) -> pd.DataFrame:
    """The plan's headline indicators (catalogue ``plan`` flag), in catalogue order."""
    df = indicators[indicators["plan"].map(is_flag)]
    if public_only:
        df = df[df["public"].map(is_flag)]
    if "order" in df.columns:
        df = df.sort_values("order", kind="stable")
    return df


def followed_codes(data: Store, territory: str) -> list[str]:
    """The territory and its départements: where a plan quarter's figures come from (a quarter being collected
    has the départements' figures before the region's)."""
    t = data.territories
    if territory == "FR":
        deps = t.index[t["level"] == "departement"]
    elif isinstance(territory, str) and territory.startswith("R"):
        deps = t.index[(t["level"] == "departement") & (t["region"] == territory)]
    else:
        deps = []
    return [territory, *deps]


@per_version(maxsize=8)
def session_quarter(data: Store, territory: str) -> str | None:
    """The quarter every page opens on (the plan page, the map, the sheet, the kiosk, the pack): the newest
    with an *observed* value of a plan indicator in ``territory`` or one of its départements — an estimate
    or a demo value never moves it. None when there is none (then each page falls back on its own newest)."""
    obs = data.observations
    ids = plan_indicators(data.indicators).index
    mask = obs["indicator"].isin(ids) & obs["territory"].isin(followed_codes(data, territory)) \
        & (obs["status"] == "observed")
    return obs.loc[mask, "period"].max() if mask.any() else None


# ---- the territory followed -----------------------------------------------------------------------

def region_of(data: Store) -> str | None:
    """The region the store was built for (its manifest), e.g. ``R84``; None for a national build."""
    region = data.manifest.get("region")
    return region if isinstance(region, str) and region else None


def population_of(data: Store, code: str) -> float | None:
    """A territory's population (None when unknown)."""
    if code not in data.territories.index:
        return None
    pop = data.territories.at[code, "population"]
    return None if pop is None or pd.isna(pop) else float(pop)


def name_of(data: Store, code: str | None, default: str = "") -> str:
    """A territory's name, from the store (never typed in code)."""
    if isinstance(code, str) and code in data.territories.index:
        return str(data.territories.at[code, "name"])
    return default or (code or "")
