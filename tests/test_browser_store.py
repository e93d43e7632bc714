"""A damaged new version in a running app: the page keeps showing the previous version, /healthz says degraded,
the error is logged once, and the next good build is picked up without a restart."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pandas as pd
import pytest


from .helpers import RAW, LiveServer, publish_copy, wait_ready
from .helpers.wait import until

pytestmark = pytest.mark.browser



def _health(url: str) -> dict:
    with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
        assert r.status == 200
        return json.loads(r.read())


def _until(url: str, check, timeout: float = 15) -> dict:
    """/healthz until ``check(body)`` (the app re-reads CURRENT every second)."""
    seen = {}

    def checked():
        seen["body"] = _health(url)
        return check(seen["body"])
    try:
        until(checked, timeout, "/healthz ne change pas", interval=0.2)
    except AssertionError:
        pass                        # the caller's assertions on the last answer say what is wrong
    return seen["body"]


def test_truncated_current_version_keeps_the_previous_one_served(tmp_path, page, built_store):
    out = tmp_path / "store"
    first = publish_copy(built_store, out)
    server = LiveServer(data_dir=out)                  # started on the good version
    try:
        second = publish_copy(built_store, out)
        table = out / second / "observations.parquet"
        table.write_bytes(table.read_bytes()[:200])   # truncated, as by a full disk or a killed copy
        health = _until(server.url, lambda b: b.get("degraded"))
        assert health["status"] == "dégradé" and health["degraded"] is True
        assert health["version"] == first and health["failed_version"] == second
        assert "observations.parquet" in health["error"]

        page.goto(server.url + "/indicateurs")
        wait_ready(page)
        assert page.locator("h1").inner_text() == "Indicateurs suivis"
        catalogue = pd.read_parquet(out / first / "indicators.parquet")
        assert page.locator(".indicator-card").count() == len(catalogue)
        assert first in page.inner_text("footer")      # the figures shown are those of the good version
        for _ in range(3):
            _health(server.url)
        log = Path(server.log.name).read_text(encoding="utf-8", errors="replace")
        assert log.count(f"version {second} illisible") == 1, log[-3000:]
        assert "Traceback" not in log

        third = publish_copy(built_store, out)   # the next version repairs, no restart
        health = _until(server.url, lambda b: b["version"] == third)
        assert health["version"] == third and health["degraded"] is False and "failed_version" not in health
    finally:
        server.stop()
