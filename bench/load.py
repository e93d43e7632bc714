"""Load test: N simulated users for a fixed time against gunicorn; prints ONE JSON object.

    python bench/load.py                          # starts gunicorn itself (4 workers) on a free loopback port
    python bench/load.py --users 50 --seconds 120 --workers 4
    python bench/load.py --url http://127.0.0.1:8050 --pids 1234,1235   # an already running server

What a user does, in a loop with a think time of 1–3 s between actions:

* a full page load (30 %): the page's HTML, ``/_dash-layout`` and ``/_dash-dependencies`` (in parallel, as the
  renderer does), the static files of the page on the user's first visit only (the browser caches them), then
  the callbacks a browser fires: the Dash Pages routing callback and the page's initial callbacks;
* an in-app navigation (70 %, a click on a link): the routing callback and the page's callbacks only;
* then a choice on the page (quarter, indicator, level…): the callback of a list's ``value`` with another option.

Nothing is hard-coded about the pages' callbacks: they are discovered from ``/_dash-dependencies`` and from the
layout each page renders (the payload of a callback carries the initial values of its inputs and states, as the
renderer sends them). Pages that do not exist (404) are skipped, clientside and background callbacks are not
replayed (background jobs are exercised by tests/test_production.py), so the bench keeps working as pages land.

Output: users, seconds, requests, errors, p50/p95/p99 of callbacks (ms), the same for every request, figures per
endpoint, and the resident memory (VmRSS) of each gunicorn worker at the end and at its peak, with its
proportional (Pss) and private (Uss) memory at the end; ``first_requests``: the first request of each page (its
HTML, then its routing callback) once ``/healthz`` says ``warm`` — what the first visitor after a start waits for
(target: none above 1 s; docs/production.md, "Health check").
Only loopback addresses are accepted: this bench never sends traffic elsewhere.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/indicateurs", "/carte", "/territoire/D15", "/kiosque"]
ROUTER_OUTPUT = "_pages_content.children"
THINK = (1.0, 3.0)
FULL_LOAD_SHARE = 0.3


# ---- server ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(workers: int, threads: int, data_dir: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ACCES_SOINS_HOST": "127.0.0.1", "ACCES_SOINS_PORT": str(port),
           "ACCES_SOINS_WORKERS": str(workers), "ACCES_SOINS_THREADS": str(threads),
           "ACCES_SOINS_ACCESS_LOG": "off", "ACCES_SOINS_LOG_LEVEL": "warning",
           "ACCES_SOINS_SECRET_KEY": os.environ.get("ACCES_SOINS_SECRET_KEY") or secrets.token_hex(32)}
    if data_dir:
        env["ACCES_SOINS_DATA_DIR"] = data_dir
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:server"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn s'est arrêté (code {proc.returncode})")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200 and len(worker_pids(proc.pid)) == workers:
                    return proc, url
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    proc.terminate()
    sys.exit("gunicorn n'a pas démarré à temps (le store est-il construit ? make data)")


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{master}$", status, re.M):
                pids.append(int(entry.name))
    return sorted(pids)


def rss_mb(pid: int) -> float | None:
    try:
        m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return round(int(m.group(1)) / 1024, 1) if m else None


def shared_mb(pid: int) -> dict | None:
    """The proportional (Pss: shared pages divided among the processes sharing them) and private (Uss) memory
    of a worker: VmRSS counts a page shared with the master or the other workers in every one of them."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kb = {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", text, re.M)}
    uss = kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)
    return {"pss_mb": round(kb.get("Pss", 0) / 1024, 1), "uss_mb": round(uss / 1024, 1)}


# ---- discovery: pages and the callbacks a browser fires -----------------------------------------------------

def _ids_and_props(node, found: dict) -> None:
    """Walk a Dash layout (JSON) and record {component id: props}."""
    if isinstance(node, list):
        for child in node:
            _ids_and_props(child, found)
        return
    if not isinstance(node, dict):
        return
    if "props" in node and "type" in node:
        props = node["props"]
        if isinstance(props.get("id"), str):
            found[props["id"]] = props
        for value in props.values():
            _ids_and_props(value, found)
    else:                                             # a callback response: {"response": {id: {prop: …}}}
        for value in node.values():
            _ids_and_props(value, found)


def _payload(dep: dict, props: dict[str, dict]) -> dict:
    out = dep["output"]
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]}
               for o in (out.strip(".").split("...") if out.startswith("..") else [out])]
    value = lambda d: props.get(d["id"], {}).get(d["property"])  # noqa: E731
    return {"output": out, "outputs": outputs if out.startswith("..") else outputs[0],
            "inputs": [{**d, "value": value(d)} for d in dep["inputs"]],
            "changedPropIds": [], "state": [{**d, "value": value(d)} for d in dep["state"]]}


def router_payload(path: str) -> dict:
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname", "_pages_location.search"], "state": []}


def _props(rendered: dict, shell: dict) -> tuple[dict, dict]:
    """{id: props} of the shell and the page together, and of the page alone."""
    props: dict[str, dict] = {}
    _ids_and_props(shell, props)
    page_props: dict[str, dict] = {}
    _ids_and_props(rendered, page_props)
    props.update(page_props)
    return props, page_props


def _server_side(dep: dict) -> bool:
    """Replayable: not clientside, not a background job, not routing, no pattern-matching ids."""
    return not (dep.get("clientside_function") or dep.get("background")
                or ROUTER_OUTPUT in dep["output"] or "{" in dep["output"])


def page_callbacks(deps: list[dict], rendered: dict, shell: dict) -> list[dict]:
    """The server-side callbacks a browser fires when this page's content appears (initial calls)."""
    props, page_props = _props(rendered, shell)
    calls = []
    for dep in deps:
        if not _server_side(dep) or dep.get("prevent_initial_call"):
            continue
        ids = {d["id"] for d in dep["inputs"]}
        if not ids or not all(isinstance(i, str) and i in props for i in ids):
            continue
        if not ids & set(page_props):                                  # fires with this page, not the shell
            continue
        calls.append(_payload(dep, props))
    return calls


def page_interactions(deps: list[dict], rendered: dict, shell: dict, limit: int = 12) -> list[dict]:
    """Callbacks a user fires by choosing in a list (dropdown, radio): one payload per option value.

    A dependency qualifies when one of its inputs is the ``value`` of a component of this page that has
    ``options``, and every other input and state exists; the payload is the initial one with that value
    changed, as the renderer sends it (``changedPropIds``)."""
    props, page_props = _props(rendered, shell)
    found = []
    for dep in deps:
        if not _server_side(dep):
            continue
        if not all(isinstance(d["id"], str) and d["id"] in props for d in dep["inputs"] + dep["state"]):
            continue
        for k, d in enumerate(dep["inputs"]):
            options = page_props.get(d["id"], {}).get("options") if d["property"] == "value" else None
            if not options:
                continue
            values = [o.get("value") if isinstance(o, dict) else o for o in options][:limit]
            variants = []
            for v in values:
                payload = json.loads(json.dumps(_payload(dep, props)))
                payload["inputs"][k]["value"] = v
                payload["changedPropIds"] = [f"{d['id']}.value"]
                variants.append(payload)
            found.append({"name": f"{d['id']}.value", "variants": variants})
    return found


def wait_warm(url: str, workers: int, timeout: float = 180) -> float:
    """Seconds until /healthz says ``warm``: as many answers in a row as there are workers times four (each
    answer comes from one worker, the one that accepted the connection), so that every worker is likely warm."""
    started = time.monotonic()
    in_a_row = 0
    while in_a_row < 4 * max(1, workers):
        if time.monotonic() - started > timeout:
            sys.exit("le préchauffage n'a pas abouti à temps (/healthz : warm)")
        with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
            warm = json.loads(r.read().decode()).get("warm")
        in_a_row = in_a_row + 1 if warm else 0
        if not warm:
            time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def discover(url: str) -> dict:
    """The pages and their callbacks; the first request of each page is timed on the way (``first_ms``)."""
    first: dict[str, dict] = {}

    def get(path):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url + path, timeout=30) as r:
            body = r.read().decode()
        first.setdefault(path, {})["html_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        return body

    deps = json.loads(get("/_dash-dependencies"))
    shell = json.loads(get("/_dash-layout"))
    has_router = any(ROUTER_OUTPUT in d["output"] for d in deps)
    pages, skipped = {}, []
    for path in PAGES:
        try:
            html = get(path)
        except urllib.error.HTTPError:
            skipped.append(path)
            continue
        static = sorted(set(re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', html)))
        calls, interactions = [], []
        if has_router:
            req = urllib.request.Request(url + "/_dash-update-component", data=json.dumps(router_payload(path)).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=30) as r:
                rendered = json.loads(r.read().decode())
            first[path]["router_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            calls = page_callbacks(deps, rendered, shell)
            interactions = page_interactions(deps, rendered, shell)
        pages[path] = {"static": static, "callbacks": calls, "router": has_router, "interactions": interactions}
    return {"pages": pages, "skipped": skipped, "first_ms": {p: first[p] for p in pages}}


# ---- the simulated users ----------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, name: str, ms: float, ok: bool, detail: str = "") -> None:
        self.times[name].append(ms)
        if not ok:
            self.errors[name] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{name}: {detail}"[:300])


async def fetch(session, stats: Stats, name: str, url: str, payload: dict | None = None) -> None:
    start = time.perf_counter()
    try:
        if payload is None:
            async with session.get(url) as r:
                await r.read()
                ok, detail = r.status < 400, str(r.status)
        else:
            async with session.post(url, json=payload) as r:
                body = await r.read()
                ok, detail = r.status in (200, 204), f"{r.status} {body[:200]!r}"
    except Exception as exc:  # noqa: BLE001 - counted as an error, named in the report
        ok, detail = False, repr(exc)
    stats.add(name, (time.perf_counter() - start) * 1000, ok, detail)


def _cb_name(path: str, payload: dict) -> str:
    return f"callback {payload['output'].strip('.')} @ {path}"


async def user(url: str, plan: dict, deadline: float, stats: Stats, rng: random.Random) -> None:
    paths = list(plan["pages"])
    seen_static = False
    connector = aiohttp.TCPConnector(limit=6)                      # like a browser: 6 connections per host
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     headers={"Accept-Encoding": "gzip, deflate"}) as session:
        await asyncio.sleep(rng.uniform(0, THINK[1]))              # users do not all arrive at once
        first = True
        while time.monotonic() < deadline:
            path = rng.choice(paths)
            page = plan["pages"][path]
            update = url + "/_dash-update-component"
            if first or rng.random() < FULL_LOAD_SHARE:
                await fetch(session, stats, f"GET {path}", url + path)
                await asyncio.gather(fetch(session, stats, "GET /_dash-layout", url + "/_dash-layout"),
                                     fetch(session, stats, "GET /_dash-dependencies", url + "/_dash-dependencies"))
                if not seen_static:
                    await asyncio.gather(*[fetch(session, stats, "GET static", url + s) for s in page["static"]])
                    seen_static = True
                first = False
            if page["router"]:
                await fetch(session, stats, f"callback router @ {path}", update, router_payload(path))
            await asyncio.gather(*[fetch(session, stats, _cb_name(path, p), update, p) for p in page["callbacks"]])
            if page.get("interactions"):                            # then the user changes a choice on the page
                await asyncio.sleep(rng.uniform(*THINK))
                choice = rng.choice(page["interactions"])
                await fetch(session, stats, f"callback {choice['name']} @ {path}", update,
                            rng.choice(choice["variants"]))
            await asyncio.sleep(rng.uniform(*THINK))


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1], 1)


async def run(url: str, plan: dict, users: int, seconds: float, pids: list[int], seed: int,
              master: int | None = None) -> dict:
    stats = Stats()
    deadline = time.monotonic() + seconds
    peak: dict[int, float] = {}

    async def sample_rss():
        while time.monotonic() < deadline:
            if master:                       # recycled workers (max_requests) are replaced: follow them
                pids[:] = sorted(set(pids) | set(worker_pids(master)))
            for pid in pids:
                peak[pid] = max(peak.get(pid, 0), rss_mb(pid) or 0)
            await asyncio.sleep(2)

    load_before = os.getloadavg()
    started = time.monotonic()
    await asyncio.gather(sample_rss(), *[user(url, plan, deadline, stats, random.Random(seed + i))
                                         for i in range(users)])
    elapsed = time.monotonic() - started
    callbacks = [t for name, ts in stats.times.items() if name.startswith("callback") for t in ts]
    everything = [t for ts in stats.times.values() for t in ts]
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": len(everything),
        "errors": sum(stats.errors.values()),
        "requests_per_second": round(len(everything) / elapsed, 1),
        "callbacks": len(callbacks),
        "p50_ms": pct(callbacks, 0.50), "p95_ms": pct(callbacks, 0.95), "p99_ms": pct(callbacks, 0.99),
        "all_requests": {"p50_ms": pct(everything, 0.50), "p95_ms": pct(everything, 0.95),
                         "p99_ms": pct(everything, 0.99)},
        "endpoints": {name: {"requests": len(ts), "errors": stats.errors.get(name, 0), "p50_ms": pct(ts, 0.50),
                             "p95_ms": pct(ts, 0.95), "p99_ms": pct(ts, 0.99)}
                      for name, ts in sorted(stats.times.items())},
        "worker_rss_mb": {str(pid): rss_mb(pid) for pid in pids if rss_mb(pid) is not None},
        "workers_replaced": sum(1 for pid in pids if rss_mb(pid) is None),
        "worker_rss_peak_mb": {str(pid): peak.get(pid) for pid in pids},
        "worker_memory_mb": {str(pid): shared_mb(pid) for pid in pids if shared_mb(pid) is not None},
        "error_samples": stats.samples,
        # the machine may be shared: a load average above its core count means the figures are pessimistic
        "machine": {"cores": os.cpu_count(), "loadavg_1min_before": round(load_before[0], 2),
                    "loadavg_1min_after": round(os.getloadavg()[0], 2)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers when the bench starts it (2–4)")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--data-dir", help="processed store (default: the settings' data/processed)")
    ap.add_argument("--url", help="an already running server (loopback only)")
    ap.add_argument("--pids", default="", help="its worker pids, comma-separated, for VmRSS")
    ap.add_argument("--seed", type=int, default=84)
    args = ap.parse_args(argv)

    proc = None
    if args.url:
        if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("--url doit être une adresse locale (127.0.0.1, localhost)")
        url, pids = args.url.rstrip("/"), [int(p) for p in args.pids.split(",") if p.strip()]
    else:
        proc, url = start_gunicorn(args.workers, args.threads, args.data_dir)
        pids = worker_pids(proc.pid)
    try:
        warm_seconds = wait_warm(url, len(pids) or args.workers)
        plan = discover(url)
        result = asyncio.run(run(url, plan, args.users, args.seconds, pids, args.seed, proc.pid if proc else None))
        result["server"] = {"workers": len(pids), "threads": args.threads if proc else None,
                            "started_by_bench": proc is not None}
        result["pages"] = {p: len(v["callbacks"]) + (1 if v["router"] else 0) for p, v in plan["pages"].items()}
        result["pages_skipped"] = plan["skipped"]
        times = [ms for page in plan["first_ms"].values() for ms in page.values()]
        result["first_requests"] = {"warm_after_s": warm_seconds, "pages": plan["first_ms"],
                                    "max_ms": max(times, default=None), "over_1s": sum(ms > 1000 for ms in times)}
        result["aiohttp"] = aiohttp.__version__
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
