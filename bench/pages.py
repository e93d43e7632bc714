"""Browser benchmark of the real pages, each beside the lean floor, in headless Chromium; prints one JSON object.

    python -m bench.pages [--runs 15] [--data-dir data/processed]

What a user waits for, on ``app.py`` serving the store (the server's memos warm: one untimed visit of each
page first, as after the warm-up that ``/healthz`` reports):
* ``plan_cards``: from the navigation to ``/`` until the plan's cards are painted;
* ``plan_quarter``: on ``/``, from a quarter chosen (Dash's ``set_props`` on ``plan-quarter``, what the dropdown
  does) until the heading names that quarter and Dash has nothing pending, painted — the issue's « quarter change
  ≤ 500 ms at p95 »; quarters alternate so that each change is a real one;
* ``carte_coloured``: from the navigation to ``/carte`` until the départements are drawn and Dash settled;
* ``territoire_sheet``: from the navigation to ``/territoire/<a département>`` until its charts are drawn.

``floor``: in the same page and server, a ``fetch`` of a precomputed JSON (``/healthz``) written into the DOM and
painted — what any page costs at least on this machine right now; each metric's ``ratio`` is its p50 over the
floor's, meaningful on a noisy machine where the milliseconds are not. ``load_average`` is printed: read the
timings, never assert them (tests/test_bench.py only checks that this runs and prints its keys).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import Browser, LiveServer, wait_ready  # noqa: E402

PAINTED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
FLOOR = """async () => {
    const t0 = performance.now();
    const body = await (await fetch('/healthz', {cache: 'no-store'})).json();
    let el = document.getElementById('bench-floor');
    if (!el) { el = document.createElement('pre'); el.id = 'bench-floor'; document.body.appendChild(el); }
    el.textContent = JSON.stringify(body);
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return performance.now() - t0;
}"""


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"runs": len(ms), "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1)}


def navigation(page, url: str, ready: str) -> float:
    """Milliseconds from the navigation's start to ``ready`` (a JS predicate) true, Dash settled and painted."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(ready, timeout=60000)
    wait_ready(page)
    return (time.perf_counter() - start) * 1000


def quarter_change(page, quarter: str, label: str) -> float:
    start = time.perf_counter()
    page.evaluate("(q) => window.dash_clientside.set_props('plan-quarter', {value: q})", quarter)
    page.wait_for_function("(l) => document.getElementById('plan-heading').innerText.includes(l)", arg=label,
                           timeout=60000)
    wait_ready(page)
    return (time.perf_counter() - start) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data-dir", default=str(ROOT / "data" / "processed"))
    args = parser.parse_args(argv)

    from dashboard import fmt, plan, queries, store
    data = store.open_store(Path(args.data_dir))
    quarters = plan.plan_quarters(data, queries.region_of(data))[-2:]     # the last two the page offers
    if len(quarters) < 2:
        print("bench/pages.py : il faut au moins deux trimestres suivis", file=sys.stderr)
        return 2
    department = next(c for c in data.territories.index if str(c).startswith("D"))

    server = LiveServer(data_dir=Path(args.data_dir).resolve())
    browser = Browser()
    try:
        page = browser.new_page(1366, 900)
        pages = {
            "plan_cards": (server.url + "/", "() => document.querySelectorAll('#plan-cards .plan-card').length > 0"),
            "carte_coloured": (server.url + "/carte",
                               "() => document.querySelectorAll('.leaflet-overlay-pane path').length > 0"),
            "territoire_sheet": (server.url + f"/territoire/{department}",
                                 "() => document.querySelector('.territoire-graph .main-svg')"),
        }
        for url, ready in pages.values():          # one untimed visit: the server's memos and the browser's cache
            navigation(page, url, ready)
        results: dict = {}
        floor: list[float] = []
        for name, (url, ready) in pages.items():
            runs = []
            for _ in range(args.runs):
                runs.append(navigation(page, url, ready))
                floor.append(page.evaluate(FLOOR))
            results[name] = summary(runs)
        navigation(page, *pages["plan_cards"])
        changes = []
        for i in range(args.runs + 1):
            q = quarters[i % 2]
            elapsed = quarter_change(page, q, fmt.quarter(q))
            if i:                                  # the first change also loads the lazy parts: not counted
                changes.append(elapsed)
            floor.append(page.evaluate(FLOOR))
        results["plan_quarter"] = summary(changes)
        results["floor"] = summary(floor)
        base = results["floor"]["p50_ms"] or 1.0
        for name in ("plan_cards", "plan_quarter", "carte_coloured", "territoire_sheet"):
            results[name]["ratio"] = round(results[name]["p50_ms"] / base, 1)
        results["quarters"] = quarters
        results["department"] = department
        results["store_version"] = data.version
        results["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(results, ensure_ascii=False))
        return 0
    finally:
        browser.close()
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
