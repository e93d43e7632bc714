"""Accelerated soak of the kiosk: ≥ 2 000 slide changes in headless Chromium, JS heap and server RSS
measured at start and end; prints one JSON object.

    python bench/kiosk_soak.py [--slides 2000] [--period-ms 30] [--data-dir data/processed]

The rotation is forced to ``--period-ms`` with the engine's hook ``window.kiosque.speed(ms)``; the JS
heap is read with CDP ``Runtime.getHeapUsage`` after ``HeapProfiler.collectGarbage``; the server's RSS
from ``/proc/<pid>/status`` (VmRSS). The public instance also polls /healthz every 2 s during the run.
Growth above 10 % on either exits with status 1.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import Browser, LiveServer, wait_ready  # noqa: E402


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def heap(cdp) -> int:
    for _ in range(3):
        cdp.send("HeapProfiler.collectGarbage")
    return int(cdp.send("Runtime.getHeapUsage")["usedSize"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=2000)
    parser.add_argument("--period-ms", type=int, default=30)
    parser.add_argument("--data-dir", default=str(ROOT / "data" / "processed"))
    parser.add_argument("--limit-pct", type=float, default=10.0)
    args = parser.parse_args(argv)

    cache = tempfile.TemporaryDirectory(prefix="kiosk-soak-")
    server = LiveServer(data_dir=Path(args.data_dir).resolve(), public=True,
                        extra_env={"ACCES_SOINS_CACHE_DIR": cache.name})
    browser = Browser()
    try:
        page = browser.new_page(1920, 1080)
        cdp = page.context.new_cdp_session(page)
        page.goto(server.url + "/kiosque?sonde=2")
        wait_ready(page)
        # warm-up: every slide and every département shown once, so caches and lazy code are in place
        page.evaluate("() => window.kiosque.speed(20)")
        page.wait_for_function("() => window.kiosque.changes() >= 80", timeout=60000)
        for _ in range(20):                                 # server: warm up the callback/health paths too
            urllib.request.urlopen(server.url + "/healthz").read()
        heap0, rss0, changes0 = heap(cdp), rss_kb(server.proc.pid), page.evaluate("() => window.kiosque.changes()")
        started = time.monotonic()
        page.evaluate(f"() => window.kiosque.speed({args.period_ms})")
        page.wait_for_function(f"() => window.kiosque.changes() >= {changes0 + args.slides}",
                               timeout=max(120000, args.slides * args.period_ms * 3), polling=500)
        elapsed = time.monotonic() - started
        page.evaluate("() => window.kiosque.speed(0)")
        changes1 = page.evaluate("() => window.kiosque.changes()")
        heap1, rss1 = heap(cdp), rss_kb(server.proc.pid)
        nodes = page.evaluate("() => document.getElementsByTagName('*').length")
        errors = list(page.console_errors)
        page.context.close()
    finally:
        browser.close()
        server.stop()
        cache.cleanup()
    result = {
        "slides": changes1 - changes0,
        "seconds": round(elapsed, 1),
        "period_ms": args.period_ms,
        "js_heap_start_bytes": heap0, "js_heap_end_bytes": heap1,
        "js_heap_growth_pct": round((heap1 - heap0) / heap0 * 100, 2),
        "rss_start_kb": rss0, "rss_end_kb": rss1,
        "rss_growth_pct": round((rss1 - rss0) / rss0 * 100, 2),
        "dom_nodes_end": nodes,
        "console_errors": errors,
    }
    print(json.dumps(result, ensure_ascii=False))
    ok = (result["slides"] >= args.slides and result["js_heap_growth_pct"] < args.limit_pct
          and result["rss_growth_pct"] < args.limit_pct and not errors)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
