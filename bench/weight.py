"""Page weight on first load, in headless Chromium: bytes transferred, requests, time to network idle.

    python bench/weight.py [--data-dir data/processed] [--url http://127.0.0.1:8050] [--pages / /carte ...]

Each page is opened in a fresh browser context (empty cache, as a first visit). Bytes are what travelled
on the wire (compressed bodies plus response headers, from Chromium's ``Network.loadingFinished``
``encodedDataLength``), including the callbacks Dash makes while rendering. Prints one JSON object per page
(``{"page", "bytes", "kb", "requests", "network_idle_ms", "plotly_bytes", "map_library", "largest": [[url, bytes],
...], "console_errors", "budget_bytes", "within_budget"}``) then a summary line ``{"budgets_met": true|false}``; exits 1 when a budget is exceeded.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import Browser, LiveServer, wait_ready  # noqa: E402

# First-load budgets (bytes transferred) of the issue « Every user, every screen ».
BUDGETS = {"/": 1_000_000, "/carte": 600_000}
PAGES = ["/", "/carte", "/territoire/D15", "/indicateurs", "/kiosque"]


LARGEST = 6


def measure(browser: Browser, url: str) -> dict:
    """Open ``url`` in a fresh context and sum the bytes of every response until the network is idle."""
    page = browser.new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], sizes.get(e["requestId"], 0) + int(e["encodedDataLength"])))
    started = time.monotonic()
    page.goto(url, wait_until="networkidle", timeout=120000)
    idle_ms = (time.monotonic() - started) * 1000 - 500   # Playwright's "networkidle" waits 500 ms of silence
    wait_ready(page)
    errors = list(page.console_errors)
    page.context.close()
    largest = sorted(((urlparse(urls.get(k, "?")).path, v) for k, v in sizes.items()), key=lambda x: -x[1])[:LARGEST]
    total = sum(sizes.values())
    paths = {k: urlparse(u).path for k, u in urls.items()}
    return {"bytes": total, "kb": round(total / 1000, 1), "requests": len(sizes),
            "network_idle_ms": round(idle_ms),
            "plotly_bytes": sum(v for k, v in sizes.items() if "/plotly/package_data/" in paths.get(k, "")),
            "map_library": any("/dash_leaflet/" in p for p in paths.values()),
            "largest": [list(x) for x in largest], "console_errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT / "data" / "processed"))
    parser.add_argument("--url", help="an already running server (else one is started on the data dir)")
    parser.add_argument("--pages", nargs="+", default=PAGES)
    args = parser.parse_args(argv)

    cache = tempfile.TemporaryDirectory(prefix="weight-")
    server = None if args.url else LiveServer(data_dir=Path(args.data_dir).resolve(),
                                              extra_env={"ACCES_SOINS_CACHE_DIR": cache.name})
    base = (args.url or server.url).rstrip("/")
    browser = Browser()
    ok = True
    try:
        measure(browser, base + "/indicateurs")        # warm the server's caches: the client side stays cold
        for path in args.pages:
            result = {"page": path, **measure(browser, base + path)}
            budget = BUDGETS.get(path)
            if budget is not None:
                result["budget_bytes"] = budget
                result["within_budget"] = result["bytes"] <= budget
                ok &= result["within_budget"]
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        browser.close()
        if server:
            server.stop()
        cache.cleanup()
    print(json.dumps({"budgets_met": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
