"""The plan tracking is computed once, by the build (issue 24): every view reads the store's ``tracking`` table.

- the table holds, for every plan indicator × territory × tracked quarter, exactly what the rule computes;
- the public instance's table rests on public values only;
- a store rebuilt with other thresholds changes the plan page, the sheet and the pack; the settings alone,
  without a build, change nothing;
- a record altered in the table is what the plan page, the sheet, the kiosk and the pack show: they read it,
  they do not recompute it.
"""
from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from dashboard import fmt, kiosk, pack, plan, sheet, store, tracking, trajectory
from dashboard.pipeline.build import build
from dashboard.thresholds import Thresholds

from .helpers import RAW

QUARTER = "2023Q4"
REGION = "R84"


def test_every_record_is_what_the_rule_computes(store_data):
    t = store_data.tracking
    assert t is not None and len(t), "la construction écrit la table du suivi du plan"
    metas = {m["id"]: m for m in tracking.plan_metas(store_data)}
    assert set(t["indicator"]) == set(metas)
    assert set(t["quarter"]) == set(tracking.span(store_data))
    # every key once; every record of the region and two départements, every quarter (the build computes a
    # record once per observation shown and copies it to the quarters that show it: each copy is checked)
    assert not t.duplicated(["indicator", "territory", "quarter"]).any()
    sample = t[t["territory"].isin([REGION, "D15", "D69"])]
    assert len(sample) > 30 * len(metas)
    for row in sample.itertuples():
        computed = tracking.compute(store_data, metas[row.indicator], row.territory, row.quarter,
                                    store_data.thresholds)
        assert json.loads(row.record) == json.loads(tracking.encode(computed)), (row.indicator, row.territory)
        assert (None if pd.isna(row.status) else row.status) == computed.status


def test_public_tracking_rests_on_public_values_only(built_store, store_data):
    public = store.open_store(built_store, public=True)
    t = public.tracking
    assert t is not None and len(t)
    assert set(t["indicator"]) <= set(public.indicators.index)
    shown = {(o.indicator, o.territory, o.period, o.value) for o in public.observations.itertuples()}
    values = 0
    for row in t.itertuples():
        rec = json.loads(row.record)
        if rec["value"] is not None:
            values += 1
            assert rec["value"]["status"] == "observed"
            assert (row.indicator, row.territory, rec["value"]["period"], rec["value"]["value"]) in shown
    assert values
    # the internal table has values the public one never shows (estimates, demo)
    internal = {json.loads(r)["value"]["status"] for r in store_data.tracking["record"] if json.loads(r)["value"]}
    assert internal - {"observed"}


@pytest.fixture(scope="module")
def low_thresholds(tmp_path_factory):
    """The default data built with thresholds low enough that the MSP of ARA (67 % of the expected progress at
    the end of 2023, « en retard » with the default ones) is « en bonne voie »."""
    out = tmp_path_factory.mktemp("seuils") / "store"
    result = build([RAW], out, region=REGION, thresholds=Thresholds(0.6, 0.5), echo=lambda _line: None)
    assert result.published
    return store.open_store(out)


def _msp(cards):
    return next(c for c in cards if c.indicator == "msp_count")


def _sheet_status(data):
    row = data.indicators.loc["msp_count"].to_dict()
    return sheet.progress(data, "msp_count", {"code": REGION}, QUARTER, REGION, row)["status"]


def _pack_status(data):
    slides = pack.assemble(data, REGION, QUARTER, appraisals={})["slides"]
    lines = dict(next(s for s in slides if s["indicator"] == "msp_count")["lines"])
    return lines["Statut calculé"]


def test_a_build_with_other_thresholds_changes_every_view(store_data, low_thresholds):
    assert low_thresholds.manifest["thresholds"] == {"on_track": 0.6, "watch": 0.5}
    assert low_thresholds.thresholds == Thresholds(0.6, 0.5)
    before, after = (_msp(plan.store_cards(d, REGION, QUARTER, d.thresholds)) for d in (store_data, low_thresholds))
    assert before.status == trajectory.LATE and after.status == trajectory.ON_TRACK
    assert before.value == after.value and before.progress == after.progress   # only the status moves
    assert _sheet_status(store_data) == trajectory.LATE and _sheet_status(low_thresholds) == trajectory.ON_TRACK
    assert _pack_status(store_data).startswith(trajectory.LATE)
    assert _pack_status(low_thresholds).startswith(trajectory.ON_TRACK)


def test_settings_without_a_build_change_nothing(app_settings, store_data):
    from dashboard import settings

    settings.use(dataclasses.replace(app_settings, status_on_track=0.6, status_watch=0.5))
    try:
        assert store_data.thresholds != settings.current().thresholds
        assert _msp(plan.store_cards(store_data, REGION, QUARTER, store_data.thresholds)).status == trajectory.LATE
        assert _sheet_status(store_data) == trajectory.LATE
        assert _pack_status(store_data).startswith(trajectory.LATE)
    finally:
        settings.use(app_settings)


def _altered(data: store.Store, indicator: str, territory: str, percent: float) -> store.Store:
    """The store with the tracking record of (indicator, territory) altered at every quarter: a taux
    d'avancement no rule would give."""
    t = data.tracking.copy()
    rows = (t["indicator"] == indicator) & (t["territory"] == territory)

    def alter(text):
        rec = json.loads(text)
        rec["progress"] = percent
        return json.dumps(rec)
    t.loc[rows, "record"] = t.loc[rows, "record"].map(alter)
    return dataclasses.replace(data, tracking=t, version=f"{data.version}+altere")


def test_views_read_the_table_not_the_rule(built_store, store_data):
    data = _altered(store_data, "msp_count", REGION, 12.34)
    card = _msp(plan.store_cards(data, REGION, QUARTER, data.thresholds))
    assert card.progress == 12.34 and fmt.percent(12.34) in card.progress_text
    row = data.indicators.loc["msp_count"].to_dict()
    assert sheet.progress(data, "msp_count", {"code": REGION}, QUARTER, REGION, row)["own"].percent == 12.34
    lines = dict(next(s for s in pack.assemble(data, REGION, QUARTER, appraisals={})["slides"]
                      if s["indicator"] == "msp_count")["lines"])
    assert lines["Avancement"].startswith(fmt.percent(12.34))

    public = store.open_store(built_store, public=True)
    shown = next(c for c in kiosk.plan_cards(_altered(public, "msp_count", REGION, 12.34), REGION)
                 if c["id"] == "msp_count")
    assert shown["target"]["share_text"] == fmt.percent(12.34)
