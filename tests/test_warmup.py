"""Warm before the first user (issue 24, point 3): each process renders every page's default view and the map's
geometry once per store version, in the background, and /healthz says when it is done (``warm``).

No wall-clock assertion here (speed is measured by bench/load.py, « first_requests »): the tests check that the
warm-up did the work a first visit would otherwise do — the memo caches hold the pages' views and every level's
geometry — and that a running server reports it, then answers the first requests of the warmed pages.
"""
from __future__ import annotations

import json
import urllib.request

import pytest

from dashboard import cache, kiosk, mapping, server, store

from .helpers import LiveServer, publish_copy, walk
from .helpers.wait import until


def _clear_memos() -> None:
    for bounded in list(cache.Bounded.ALL):
        bounded.clear()
    mapping._GEO_CACHE.clear()


def _geometry_keys(data) -> set[tuple]:
    return {(k[2], k[4]) for k in mapping._GEO_CACHE if k[1] == data.version}


def test_warm_up_renders_every_page_default_view_and_each_level_geometry(app, app_settings):
    from layouts import plan, territoire     # after the app exists: the page modules register themselves

    data = store.get()
    _clear_memos()
    rendered = server.warm_up(app, app_settings)
    assert rendered == ["/", "/carte", f"/territoire/{app_settings.region}", "/kiosque"]
    # the plan page's view and overview, the territory sheet, the kiosk's slides: in their per-version caches
    assert plan.state_for.cache_len() and plan.overview.cache_len() and plan._detail_section.cache_len()
    assert territoire._page.cache_len()
    assert kiosk.plan_cards.cache_len()
    assert mapping._choropleth.cache_len()      # the map's default view
    # the geobuf of every level and of the backdrop, what the map page loads first
    assert {(lv, "pbf") for lv in [*mapping.levels(data), mapping.CONTEXT]} <= _geometry_keys(data)


def _health(url: str) -> dict:
    with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
        return json.loads(r.read())


def _post(url: str, payload: dict) -> int:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        return r.status


def _route(path: str) -> dict:
    """The Dash Pages routing callback's request, as the browser sends it after the shell."""
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_a_server_says_warm_and_warms_again_a_new_version(built_store, tmp_path):
    out = tmp_path / "stock"
    first = publish_copy(built_store, out)
    live = LiveServer(data_dir=out)
    try:
        health = until(lambda: (h := _health(live.url))["warm"] and h, 120, "le préchauffage n'a pas abouti")
        assert health["status"] == "ok" and health["version"] == first and health["degraded"] is False
        for path in ("/", "/carte"):
            with urllib.request.urlopen(live.url + path, timeout=30) as r:
                assert r.status == 200
            assert _post(live.url + "/_dash-update-component", _route(path)) == 200
        # a new version, picked up without a restart: cold until its own warm-up is done, then warm again
        second = publish_copy(built_store, out)
        health = until(lambda: (h := _health(live.url))["version"] == second and h["warm"] and h, 120,
                       "la nouvelle version n'a pas été préchauffée")
        assert health["status"] == "ok"
    finally:
        live.stop()


def test_healthz_reports_warm_only_for_the_version_warmed(app, app_settings, monkeypatch):
    data = store.get()
    monkeypatch.setattr(server, "_WARMUP", {"pid": None, "version": None, "done": False, "pages": ()})
    assert server.warm_state(data.version) is False
    server._warm_thread(app, app_settings, data.version)      # not started for this version: reports nothing
    assert server.warm_state(data.version) is False
    monkeypatch.setattr(server, "warm_up", lambda *_a: ["/"])
    server._start_warm_up(app, app_settings, data.version)
    until(lambda: server.warm_state(data.version), 30, "le préchauffage n'a pas abouti")
    assert server._WARMUP["pages"] == ("/",)
    assert not server.warm_state("une-autre-version")


def test_the_embed_code_names_the_host_asked_not_the_one_that_filled_the_memo(app, app_settings):
    """The warm-up renders the plan page without a real visitor (host « localhost »): the memoised detail must not
    hand that host — nor one visitor's — to the next visitors in the « Intégrer » code."""
    from layouts import plan

    data = store.get()
    codes = {}
    for host in ("http://localhost/", "https://acces-soins.example.fr/"):
        with app.server.test_request_context("/", base_url=host):
            parts = plan.detail_section(data, app_settings, app_settings.region, "2023Q4", "msp_count")
        codes[host] = next(c.value for c in walk(parts) if getattr(c, "id", None) == "plan-embed-code")
    assert codes["http://localhost/"].startswith('<iframe src="http://localhost/integrer/')
    assert codes["https://acces-soins.example.fr/"].startswith('<iframe src="https://acces-soins.example.fr/integrer/')


