"""Trajectory engine (dashboard.trajectory): pure functions, real MSP ARA figures and edge cases."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import trajectory as tr
from dashboard.trajectory import LATE, ON_TRACK, WATCH, Thresholds, assess

# Baromètre IND-311, region ARA (DOMAIN.md §5): semester points, baseline end 2022, target 590 at 2026-12.
MSP = [("2017Q2", 155), ("2021Q4", 305), ("2022Q4", 341), ("2023Q2", 360), ("2023Q4", 383)]
MSP_BASE = ("2022Q4", 341)
MSP_TARGET = ("2026Q4", 590)


@pytest.fixture
def msp():
    return assess(MSP, baseline=MSP_BASE, target=MSP_TARGET)


# --- the MSP ARA example of the issue ------------------------------------------------------------

def test_msp_required_pace(msp):
    assert msp.required_pace == pytest.approx(249 / 16)  # 15.5625
    assert round(msp.required_pace, 1) == 15.6


def test_msp_expected_value_and_progress_share(msp):
    assert msp.latest_period == "2023Q4" and msp.latest_value == 383
    assert msp.elapsed_quarters == 4
    assert msp.expected_value_at_latest == pytest.approx(403.25)
    assert msp.progress_share == pytest.approx(42 / 62.25)
    assert round(msp.progress_share * 100) == 67


def test_msp_status_is_late(msp):
    assert msp.status == LATE
    assert not msp.target_met


def test_msp_recent_pace_uses_points_of_the_last_four_quarters(msp):
    assert msp.recent_points == ("2022Q4", "2023Q2", "2023Q4")
    assert msp.recent_pace == pytest.approx(10.5)
    # residuals 2/3, −4/3, 2/3 → s² = (8/3)/1, SE = sqrt(s²/Sxx) with Sxx = 8
    assert msp.recent_pace_se == pytest.approx(math.sqrt(8 / 3 / 8))


def test_msp_projection(msp):
    assert msp.projected_quarters == pytest.approx(207 / 10.5)  # 19.71…
    assert round(msp.projected_quarters, 1) == 19.7
    assert msp.projected_period == "2028Q4"  # 2023Q4 + 20 quarters


def test_msp_needed_pace_from_now(msp):
    assert msp.quarters_left == 12
    assert msp.needed_pace_from_now == pytest.approx(17.25)


def test_msp_as_pandas_series_and_mapping_give_the_same():
    s = pd.Series({q: v for q, v in reversed(MSP)})  # unsorted on purpose
    a = assess(s, baseline=MSP_BASE, target=MSP_TARGET)
    b = assess(dict(MSP), baseline=MSP_BASE, target=MSP_TARGET)
    assert a == b == assess(MSP, baseline=MSP_BASE, target=MSP_TARGET)


def test_baseline_given_as_a_quarter_reads_the_series():
    a = assess(MSP, baseline="2022Q4", target=MSP_TARGET)
    assert a.baseline_value == 341 and a.required_pace == pytest.approx(15.5625)


# --- as_of ---------------------------------------------------------------------------------------

def test_as_of_cuts_the_series():
    a = assess(MSP, baseline=MSP_BASE, target=MSP_TARGET, as_of="2023Q3")
    assert (a.latest_period, a.latest_value) == ("2023Q2", 360)
    # expected at 2023Q2 = 341 + 2 × 15.5625 = 372.125 → share 19 / 31.125
    assert a.expected_value_at_latest == pytest.approx(372.125)
    assert a.progress_share == pytest.approx(19 / 31.125)
    assert a.status == LATE
    # window 2022Q2..2023Q2 holds only 2022Q4 and 2023Q2 → slope (360 − 341) / 2
    assert a.recent_points == ("2022Q4", "2023Q2")
    assert a.recent_pace == pytest.approx(9.5)
    assert a.recent_pace_se is None
    assert a.quarters_left == 14


def test_as_of_before_every_observation():
    a = assess(MSP, baseline=MSP_BASE, target=MSP_TARGET, as_of="2010Q1")
    assert a.latest_period is None and a.latest_value is None
    assert a.status is None and a.recent_pace is None and a.projected_period is None
    assert a.required_pace == pytest.approx(15.5625)


def test_baseline_after_latest_has_no_status_nor_share():
    a = assess(MSP, baseline=MSP_BASE, target=MSP_TARGET, as_of="2022Q1")
    assert a.latest_period == "2021Q4"
    assert a.elapsed_quarters == -4
    assert a.expected_value_at_latest is None and a.progress_share is None
    assert a.status is None
    assert a.needed_pace_from_now == pytest.approx((590 - 305) / 20)


def test_at_the_baseline_quarter_nothing_is_expected_yet():
    a = assess(MSP, baseline=MSP_BASE, target=MSP_TARGET, as_of="2022Q4")
    assert a.elapsed_quarters == 0
    assert a.progress_share is None and a.status is None


# --- recent pace on sparse series ------------------------------------------------------------------

def test_recent_pace_falls_back_to_the_last_two_observations():
    # yearly points: only the latest lies in its four-quarter window... plus the one exactly 4 before
    a = assess([("2019Q4", 10), ("2021Q4", 20), ("2023Q4", 30)])
    assert a.recent_points == ("2021Q4", "2023Q4")
    assert a.recent_pace == pytest.approx(10 / 8)


def test_window_includes_the_point_four_quarters_before():
    pts = tr.recent_window(tr.to_observations([("2022Q3", 1), ("2022Q4", 2), ("2023Q4", 6)]))
    assert [q for q, _ in pts] == ["2022Q4", "2023Q4"]


def test_gap_larger_than_the_window_uses_last_two():
    a = assess([("2018Q1", 100), ("2023Q1", 120)])
    assert a.recent_points == ("2018Q1", "2023Q1")
    assert a.recent_pace == pytest.approx(20 / 20)


def test_missing_values_are_dropped():
    a = assess([("2023Q1", 1.0), ("2023Q2", float("nan")), ("2023Q3", None), ("2023Q4", 4.0)])
    assert a.recent_points == ("2023Q1", "2023Q4")
    assert a.recent_pace == pytest.approx(1.0)


def test_single_observation():
    a = assess([("2023Q4", 50)], target=("2026Q4", 80))
    assert a.baseline_period == "2023Q4" and a.baseline_value == 50  # first observation
    assert a.recent_pace is None and a.recent_points == ("2023Q4",)
    assert a.projected_period is None and a.projected_quarters is None
    assert a.status is None  # latest is the baseline: nothing expected yet
    assert a.required_pace == pytest.approx(30 / 12)
    assert a.needed_pace_from_now == pytest.approx(30 / 12)
    assert tr.projection_path(a) == []


def test_empty_series():
    a = assess([], target=("2026Q4", 80))
    assert a.latest_period is None and a.baseline_period is None and a.status is None


def test_duplicate_quarter_is_an_error():
    with pytest.raises(ValueError, match="deux fois"):
        assess([("2023Q4", 1), ("2023Q4", 2)])


def test_bad_quarter_is_an_error():
    with pytest.raises(ValueError):
        assess([("2023-12", 1)])


# --- no pace, wrong way ------------------------------------------------------------------------------

def test_zero_pace_is_not_at_this_pace():
    a = assess([("2023Q1", 50), ("2023Q2", 50), ("2023Q3", 50)], baseline=("2023Q1", 50), target=("2025Q1", 60))
    assert a.recent_pace == pytest.approx(0)
    assert a.projected_period is None and a.projected_quarters is None
    assert a.status == LATE and a.progress_share == 0


def test_negative_pace_is_not_at_this_pace():
    a = assess([("2023Q1", 50), ("2023Q4", 47)], target=("2025Q1", 60))
    assert a.recent_pace < 0
    assert a.projected_period is None
    assert a.progress_share < 0 and a.status == LATE


# --- target met, passed, absent -------------------------------------------------------------------

def test_target_already_met():
    a = assess([("2022Q4", 57), ("2023Q4", 70)], target=("2026Q4", 69))
    assert a.target_met and a.status == ON_TRACK
    assert a.projected_period == "2023Q4" and a.projected_quarters == 0
    assert a.needed_pace_from_now == 0


def test_target_quarter_passed_without_meeting_it_is_late():
    # share would be 0.96 (≥ on_track) but the deadline is gone
    a = assess([("2020Q4", 0), ("2024Q4", 96)], target=("2024Q4", 100))
    assert a.progress_share == pytest.approx(0.96)
    assert a.quarters_left == 0 and a.status == LATE
    assert a.needed_pace_from_now is None
    later = assess([("2020Q4", 0), ("2025Q4", 99)], target=("2024Q4", 100))
    assert later.expected_value_at_latest == 100 and later.quarters_left == -4 and later.status == LATE


def test_no_target_no_status():
    a = assess(MSP)
    assert a.target_period is None and a.required_pace is None
    assert a.status is None and a.progress_share is None and a.projected_period is None
    assert a.needed_pace_from_now is None and a.quarters_left is None and not a.target_met
    assert a.recent_pace == pytest.approx(10.5)  # still computed
    assert a.baseline_period == "2017Q2"


def test_target_not_after_baseline_is_degenerate():
    a = assess([("2023Q4", 10), ("2024Q4", 12)], baseline=("2024Q4", 12), target=("2024Q2", 20))
    assert a.required_pace is None and a.status == LATE


# --- polarity -------------------------------------------------------------------------------------

APL = [("2022Q4", 12.0), ("2023Q2", 11.0), ("2023Q4", 10.0)]  # % of population with APL < 2.5


def test_lower_polarity_progress_share_in_the_right_direction():
    a = assess(APL, target=("2026Q4", 4.0), polarity="lower")
    # required −0.5 per quarter; expected 10.0 at 2023Q4 → exactly on track
    assert a.required_pace == pytest.approx(-0.5)
    assert a.expected_value_at_latest == pytest.approx(10.0)
    assert a.progress_share == pytest.approx(1.0)
    assert a.status == ON_TRACK
    assert a.recent_pace == pytest.approx(-0.5)
    assert a.projected_period == "2026Q4"  # 6 / 0.5 = 12 quarters
    assert a.needed_pace_from_now == pytest.approx(-0.5)


def test_lower_polarity_going_up_is_late_and_never_reached():
    a = assess([("2022Q4", 10.0), ("2023Q4", 11.0)], target=("2026Q4", 6.0), polarity="lower")
    assert a.progress_share == pytest.approx(-1.0)
    assert a.status == LATE and a.projected_period is None


def test_lower_polarity_target_met():
    a = assess([("2022Q4", 10.0), ("2023Q4", 5.5)], target=("2026Q4", 6.0), polarity="lower")
    assert a.target_met and a.status == ON_TRACK


def test_no_polarity_follows_the_target_direction():
    a = assess([("2022Q4", 10.0), ("2023Q4", 8.0)], target=("2024Q4", 6.0), polarity=None)
    assert a.polarity == "lower" and a.direction == -1 and a.status == ON_TRACK


# --- thresholds -------------------------------------------------------------------------------------

@pytest.mark.parametrize("latest, status", [(95, ON_TRACK), (94, WATCH), (80, WATCH), (79, LATE), (120, ON_TRACK)])
def test_default_thresholds(latest, status):
    # expected 100 at 2024Q4 from 0 at 2023Q4 (target 200 at 2025Q4) → share = latest / 100
    a = assess([("2023Q4", 0), ("2024Q4", latest)], target=("2025Q4", 200))
    assert a.progress_share == pytest.approx(latest / 100)
    assert a.status == status


def test_custom_thresholds():
    t = Thresholds(on_track=0.6, watch=0.5)
    a = assess(MSP, baseline=MSP_BASE, target=MSP_TARGET, thresholds=t)
    assert a.status == ON_TRACK  # 0.675 ≥ 0.6
    assert assess(MSP, baseline=MSP_BASE, target=MSP_TARGET, thresholds=Thresholds(0.9, 0.6)).status == WATCH


def test_thresholds_validated():
    with pytest.raises(ValueError):
        Thresholds(on_track=0.7, watch=0.8)


# --- paths ----------------------------------------------------------------------------------------

def test_expected_path():
    path = tr.expected_path("2022Q4", 341, "2026Q4", 590)
    assert len(path) == 17
    assert path[0] == ("2022Q4", 341) and path[-1] == ("2026Q4", pytest.approx(590))
    assert path[4] == ("2023Q4", pytest.approx(403.25))


def test_expected_path_degenerate():
    assert tr.expected_path("2024Q4", 1, "2024Q4", 2) == [("2024Q4", 2.0)]


def test_projection_path_with_standard_error(msp):
    path = tr.projection_path(msp)
    assert path[0] == ("2023Q4", 383, 383, 383)
    last = path[-1]
    assert last.period == "2026Q4" and last.value == pytest.approx(383 + 10.5 * 12)
    half = 1.96 * msp.recent_pace_se * 12
    assert last.high - last.value == pytest.approx(half) and last.value - last.low == pytest.approx(half)
    assert len(path) == 13


def test_projection_path_band_factor_and_until(msp):
    path = tr.projection_path(msp, until="2028Q4", band=1.0)
    assert path[-1].period == "2028Q4"
    assert path[-1].high - path[-1].value == pytest.approx(msp.recent_pace_se * 20)


def test_projection_path_fallback_band_is_25_percent_of_pace():
    a = assess([("2022Q4", 10), ("2023Q4", 14)], target=("2025Q4", 30))
    assert a.recent_pace_se is None and a.recent_pace == pytest.approx(1)
    path = tr.projection_path(a)
    assert path[-1].period == "2025Q4"
    assert path[-1].value == pytest.approx(22)
    assert path[-1].high - path[-1].value == pytest.approx(0.25 * 1 * 8)


def test_projection_path_without_target_goes_eight_quarters_ahead():
    path = tr.projection_path(assess(MSP))
    assert path[-1].period == "2025Q4" and len(path) == 9


# --- change and staleness -------------------------------------------------------------------------

def test_change_previous_quarter_and_year():
    assert tr.change(MSP, "2023Q4", 1) == pytest.approx(383 - 360)  # 2023Q3 → last is 2023Q2
    assert tr.change(MSP, "2023Q4", 4) == pytest.approx(383 - 341)
    assert tr.change(MSP, "2024Q1", 1) == 0  # nothing new since 2023Q4


def test_change_missing_side_is_none():
    assert tr.change(MSP, "2017Q3", 4) is None
    assert tr.change(MSP, "2010Q1", 1) is None
    assert tr.change([], "2023Q4", 1) is None


@pytest.mark.parametrize("last, as_of, freq, stale", [
    ("2023Q4", "2023Q4", "trimestre", False),
    ("2023Q4", "2024Q1", "trimestre", False),
    ("2023Q4", "2024Q2", "trimestre", True),
    ("2023Q4", "2024Q3", "semestre", False),
    ("2023Q4", "2024Q4", "semestre", True),
    ("2023Q4", "2025Q3", "année", False),
    ("2023Q4", "2025Q4", "année", True),
    (None, "2025Q4", "année", True),
])
def test_is_stale(last, as_of, freq, stale):
    assert tr.is_stale(last, as_of, freq) is stale


def test_is_stale_unknown_frequency():
    with pytest.raises(ValueError):
        tr.is_stale("2023Q4", "2024Q4", "mois")
