"""One quarter for the session (issue 22, point 3): the plan page, the map, the sheet and the pack open on the
newest quarter with an observed value of a plan indicator, and say so."""
import pandas as pd

from dashboard import mapping, plan, queries, sheet, store, texts


def test_the_rule_ignores_estimates_and_demo_values_and_reads_the_departements(store_data):
    q = queries.session_quarter(store_data, "R84")
    assert q == "2024Q2"                  # CPTS coverage of the 12 départements (the region's own: T4 2023)
    obs = store_data.observations
    ids = plan.plan_indicators(store_data.indicators).index
    later = obs[obs["indicator"].isin(ids) & (obs["period"] > q)]
    assert set(later["status"]) <= {"estimated", "demo"}   # what comes after is not observed
    # an estimate after it does not move it; an observed département value does
    extra = pd.DataFrame([{"indicator": "msp_count", "territory": "R84", "period": "2026Q3", "value": 1.0,
                           "status": "estimated", "source": "s", "note": "", "date": "", "release": ""},
                          {"indicator": "msp_count", "territory": "D15", "period": "2025Q1", "value": 1.0,
                           "status": "observed", "source": "s", "note": "", "date": "", "release": ""}])
    moved = store.Store(**{**store_data.__dict__, "observations": pd.concat([obs, extra], ignore_index=True),
                           "version": store_data.version + "-q"})
    assert queries.session_quarter(moved, "R84") == "2025Q1"
    assert "2026Q3" in plan.plan_quarters(moved, "R84")     # still selectable


def test_plan_map_sheet_and_pack_open_on_it_and_say_so(store_data):
    q = queries.session_quarter(store_data, "R84")
    assert plan.resolve_state(store_data, "R84").quarter == q
    assert q in plan.plan_quarters(store_data, "R84")
    assert mapping.normalise(store_data, None, None, None, None, "R84")["quarter"] == q
    s = sheet.assemble(store_data, "D15")
    assert s["quarter"] == q and s["quarter_message"] == ""
    assert s["quarter_hint"] == texts.default_quarter(q) and "T2 2024" in s["quarter_hint"]
    assert sheet.assemble(store_data, "C15014")["quarter"] == q      # a commune too, whatever its own latest


def test_each_page_writes_the_default(app, store_data):
    from layouts import carte, plan as plan_page, territoire

    from .helpers import text_of as text_of_component

    hint = texts.default_quarter(queries.session_quarter(store_data, "R84"))
    for layout in (plan_page.layout(), carte.layout(), territoire.layout(code="D15")):
        assert hint in text_of_component(layout)
