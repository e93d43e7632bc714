"""bench/load.py discovers the callbacks a browser fires from /_dash-dependencies and the rendered layout."""
import importlib.util

import pytest

from .helpers import ROOT

pytest.importorskip("aiohttp", reason="aiohttp absent (bench/load.py) : l'ajouter à requirements-dev.txt")

spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)


def _component(cid, **props):
    return {"type": "Dropdown", "namespace": "dash_core_components", "props": {"id": cid, **props}}


DEPS = [
    {"output": ".._pages_content.children..._pages_store.data..", "inputs": [], "state": [],
     "clientside_function": None, "prevent_initial_call": True, "background": None},
    {"output": "plan-chart.figure", "inputs": [{"id": "plan-quarter", "property": "value"}],
     "state": [{"id": "plan-level", "property": "value"}], "clientside_function": None,
     "prevent_initial_call": False, "background": None},
    {"output": "..plan-a.children...plan-b.children..", "inputs": [{"id": "plan-quarter", "property": "value"}],
     "state": [], "clientside_function": None, "prevent_initial_call": False, "background": None},
    {"output": "plan-x.children", "inputs": [{"id": "plan-quarter", "property": "value"}], "state": [],
     "clientside_function": {"namespace": "n", "function_name": "f"}, "prevent_initial_call": False,
     "background": None},
    {"output": "plan-y.data", "inputs": [{"id": "plan-export", "property": "n_clicks"}], "state": [],
     "clientside_function": None, "prevent_initial_call": True, "background": {"interval": 1000}},
    {"output": "carte-map.hideout", "inputs": [{"id": "carte-indicator", "property": "value"}], "state": [],
     "clientside_function": None, "prevent_initial_call": False, "background": None},
    {"output": "app-page.data", "inputs": [{"id": "app-url", "property": "pathname"}], "state": [],
     "clientside_function": None, "prevent_initial_call": False, "background": None},
]


def test_initial_callbacks_of_a_page_with_their_initial_values():
    rendered = {"multi": True, "response": {"_pages_content": {"children": {
        "type": "Div", "namespace": "dash_html_components",
        "props": {"children": [_component("plan-quarter", value="2024Q4"), _component("plan-level", value="departement")]}}}}}
    shell = {"type": "Div", "namespace": "dash_html_components", "props": {"children": [_component("app-url")]}}
    calls = load.page_callbacks(DEPS, rendered, shell)
    assert [c["output"] for c in calls] == ["plan-chart.figure", "..plan-a.children...plan-b.children.."]
    chart, multi = calls
    assert chart["inputs"] == [{"id": "plan-quarter", "property": "value", "value": "2024Q4"}]
    assert chart["state"] == [{"id": "plan-level", "property": "value", "value": "departement"}]
    assert chart["outputs"] == {"id": "plan-chart", "property": "figure"}
    assert multi["outputs"] == [{"id": "plan-a", "property": "children"}, {"id": "plan-b", "property": "children"}]


def test_percentiles():
    assert load.pct([], 0.5) is None
    assert load.pct(list(range(1, 101)), 0.95) == 95.0


def test_interactions_replay_each_option_of_a_list():
    rendered = {"multi": True, "response": {"_pages_content": {"children": {
        "type": "Div", "namespace": "dash_html_components",
        "props": {"children": [_component("plan-quarter", value="2024Q4",
                                          options=[{"label": "T4 2024", "value": "2024Q4"}, "2024Q3"]),
                               _component("plan-level", value="departement")]}}}}}
    shell = {"type": "Div", "namespace": "dash_html_components", "props": {"children": [_component("app-url")]}}
    found = load.page_interactions(DEPS, rendered, shell)
    names = [f["name"] for f in found]
    assert names == ["plan-quarter.value", "plan-quarter.value"]          # the two server-side deps on it
    values = [v["inputs"][0]["value"] for v in found[0]["variants"]]
    assert values == ["2024Q4", "2024Q3"]
    assert found[0]["variants"][1]["changedPropIds"] == ["plan-quarter.value"]
    assert found[0]["variants"][1]["state"] == [{"id": "plan-level", "property": "value", "value": "departement"}]
