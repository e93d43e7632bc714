"""Benchmark of the map restyle: values-only hideout (ours) vs a plotly figure with its GeoJSON (naive), then the
national map at commune level in headless Chromium.

    python bench/map.py [--sizes 4000 35000] [--calls 200] [--naive-calls-big 20] [--workers N]
                        [--no-browser] [--repaints 10]

Prints one JSON object per polygon count:
``{"polygons", "vertices_per_polygon", "ours": {bytes, gzip_bytes, p50_ms, p95_ms, calls},
"naive": {...}, "bytes_ratio", "gzip_bytes_ratio", "time_ratio"}`` (ratios = naive / ours).

What is measured, for an indicator change at commune level:
* ours: ``callbacks.carte.restyle`` (the real callback) + serialisation of its outputs with
  ``dash._utils.to_json`` inside the ``{"multi": true, "response": {...}}`` envelope, exactly the
  body Dash sends from ``/_dash-update-component``;
* naive: ``bench/naive_map.naive_callback`` (plotly Express choropleth with the GeoJSON) + the
  same serialisation of its figure.
``bytes`` is the JSON body; ``gzip_bytes`` what travels with ``compress=True``. Server time is
callback + serialisation (compression excluded for both).

The polygons are a synthetic grid over the region whose cells have jagged shared edges with as many
vertices as the real simplified commune contours (measured from $ACCES_SOINS_OPENDATA/contours when
present, else 21), so that the naive payload is as heavy as with real communes.

A naive call at 35 000 polygons takes seconds (plotly deep-copies and re-encodes the whole GeoJSON):
``--naive-calls-big`` (default 20) sets its number of calls, run on ``--workers`` processes; pass
``--naive-calls-big 200`` for the full measure (about 10 minutes on two cores).

Then (unless ``--no-browser``) one more line, ``{"browser": {...}}``: the synthetic whole-France store of
``bench/france.py`` (34 875 commune shapes, built once and cached in the temporary folder; the first run takes a
minute or two) served by ``app.py`` with ACCES_SOINS_REGION=FR, opened in headless Chromium at
``/carte?niveau=commune`` with metropolitan France in view, 1366 × 900:
* ``first_load`` (a second visitor: new browser context, server memos warm) and ``first_load_cold`` (the first
  visitor after the server started): bytes transferred (DevTools ``encodedDataLength``) until the frame painted
  with every shape in the DOM, the geometry request (the largest fetch outside Dash's routes, whatever its URL or
  format) with its timings, the slow requests, ``drawn_ms`` from the page's request to that painted frame;
* ``repaint``: ``--repaints`` alternating indicator changes (Dash's ``set_props`` on ``carte-indicator``), each
  timed in the page from the change to the frame painted after a sample of 64 shapes changed fill colour
  (p50/p95, milliseconds; ``shapes_replaced``: changes after which the shapes were new DOM elements), and the
  bytes transferred by the restyle response;
* screenshots ``test-artifacts/france-communes-1366.png`` (France) and ``france-communes-d15-1366.png`` (Cantal);
* ``default_view``: where ``/carte`` opens without zoom/lat/lng for this store.
Timings in Chromium depend on the machine and its load (``load_average`` is printed): read them, do not assert
them.
"""
from __future__ import annotations

import argparse
import gc
import gzip
import json
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUARTER = "2023Q4"
INDICATORS = ("apl_mg_mean", "msp_count")
BBOX = (2.0, 44.1, 7.2, 46.8)   # Auvergne-Rhône-Alpes


# ---- synthetic data ----------------------------------------------------------------------------

def real_vertices_per_polygon() -> float | None:
    """Mean vertex count of the real commune contours after the pipeline's simplification."""
    folder = os.environ.get("ACCES_SOINS_OPENDATA")
    if not folder or not (Path(folder) / "contours").is_dir():
        return None
    import geopandas as gpd
    import shapely

    from dashboard.pipeline import geometry

    counts = []
    for path in sorted((Path(folder) / "contours").glob("communes-*.geojson")):
        gdf = gpd.read_file(path)
        simple = geometry.simplify(gdf.geometry.to_numpy(), "commune")
        counts += [len(shapely.get_coordinates(geometry.round_coordinates(g))) for g in simple]
    return float(np.mean(counts)) if counts else None


def grid(n: int, vertices: float) -> tuple[dict, list[str]]:
    """About ``n`` cells over the region; each edge has ``m`` segments, jittered the same way for both
    neighbours (like a real coverage), so a cell has ``4 m + 1`` vertices."""
    w, s, e, nn = BBOX
    ny = max(1, round(math.sqrt(n * (nn - s) / (e - w))))
    nx = math.ceil(n / ny)
    dx, dy = (e - w) / nx, (nn - s) / ny
    m = max(1, round((vertices - 1) / 4))
    rng = np.random.default_rng(84)
    jit_h = rng.uniform(-0.2, 0.2, size=(ny + 1, nx, m - 1 if m > 1 else 0)) * dy   # horizontal edges
    jit_v = rng.uniform(-0.2, 0.2, size=(ny, nx + 1, m - 1 if m > 1 else 0)) * dx   # vertical edges

    def h_edge(j, i):   # from (i, j) to (i+1, j)
        x0, y0 = w + i * dx, s + j * dy
        return [(x0 + k * dx / m, y0 + (jit_h[j, i, k - 1] if 0 < k < m else 0)) for k in range(m + 1)]

    def v_edge(j, i):   # from (i, j) to (i, j+1)
        x0, y0 = w + i * dx, s + j * dy
        return [(x0 + (jit_v[j, i, k - 1] if 0 < k < m else 0), y0 + k * dy / m) for k in range(m + 1)]

    features, codes = [], []
    for idx in range(n):
        j, i = divmod(idx, nx)
        ring = h_edge(j, i) + v_edge(j, i + 1)[1:] + h_edge(j + 1, i)[::-1][1:] + v_edge(j, i)[::-1][1:]
        code = f"C{10000 + idx:05d}"
        codes.append(code)
        features.append({"type": "Feature", "properties": {"code": code, "name": f"Commune {idx}"},
                         "geometry": {"type": "Polygon",
                                      "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}})
    return {"type": "FeatureCollection", "features": features}, codes


def synthetic_store(codes: list[str], folder: Path):
    """An in-memory Store: ``codes`` communes of R84, two indicators with one value each (values vary)."""
    from dashboard import store

    rng = np.random.default_rng(len(codes))
    territories = pd.DataFrame({"code": codes, "level": "commune", "name": [f"Commune {i}" for i in range(len(codes))],
                                "region": "R84", "departement": "D69", "epci": None, "commune": None,
                                "population": rng.integers(50, 20000, len(codes))})
    base = {"frequency": "année", "definition": "", "source": "synthétique", "public": True, "plan": "",
            "theme": "", "levels": "pays|region|departement|epci|commune"}
    indicators = pd.DataFrame([
        {**base, "id": "apl_mg_mean", "label": "APL aux médecins généralistes", "short_label": "APL",
         "unit": "consultations/hab./an", "polarity": "higher", "order": 1},
        {**base, "id": "msp_count", "label": "MSP en fonctionnement", "short_label": "MSP", "unit": "nombre",
         "polarity": "higher", "order": 2},
    ])
    obs = pd.concat([
        pd.DataFrame({"indicator": "apl_mg_mean", "territory": codes, "period": QUARTER,
                      "value": rng.gamma(3.0, 1.1, len(codes)).round(2), "status": "observed", "source": "s", "note": ""}),
        pd.DataFrame({"indicator": "msp_count", "territory": codes, "period": QUARTER,
                      "value": rng.poisson(0.4, len(codes)).astype(float), "status": "demo", "source": "s", "note": ""}),
    ]).sort_values(["indicator", "territory", "period"]).reset_index(drop=True)
    # one version id per size: the app memoises per (root, version), as it does per published store
    version = f"bench-{len(codes)}"
    manifest = {"version": version, "geometry": {"commune": {"file": "geometry/commune.geojson"}}}
    return store.Store(root=folder, version=version, manifest=manifest, public=False,
                       territories=territories.set_index("code", drop=False),
                       indicators=indicators.set_index("id", drop=False), targets=pd.DataFrame(),
                       observations=obs, structures=pd.DataFrame(), initiatives=pd.DataFrame())


# ---- measures ----------------------------------------------------------------------------------

def envelope(outputs: dict) -> str:
    """The body of Dash's callback response, serialised as Dash does."""
    from dash._utils import to_json

    return to_json({"multi": True, "response": outputs})


def ours_response(restyle, indicator: str) -> str:
    url, hideout, legend, caption, banner, basis_hidden = restyle("commune", indicator, QUARTER, None)
    return envelope({"carte-geojson": {"url": url}, "carte-view": {"data": hideout}, "carte-legend": {"children": legend},
                     "carte-caption": {"children": caption}, "carte-banner": {"children": banner},
                     "carte-basis-field": {"hidden": basis_hidden}})


def floor_response(data, indicator: str) -> str:
    """The floor: a callback returning ``{code: value}`` and nothing else (no classes, legend, caption)."""
    from dashboard import mapping

    codes = mapping.region_codes(data, "commune", "R84")
    vals = mapping.values_at(data, indicator, codes, QUARTER)
    return envelope({"carte-geojson": {"hideout": dict(zip(vals["code"].tolist(), vals["value"].tolist()))}})


def naive_response(geojson, observations, indicator: str) -> str:
    from bench.naive_map import naive_callback

    return envelope({"carte-graph": {"figure": naive_callback(indicator, QUARTER, geojson, observations)}})


def timings(fn, calls: int) -> tuple[list[float], list[float], str]:
    """Wall and CPU milliseconds per call (CPU time is immune to other processes on a shared machine)."""
    times, cpu, body = [], [], ""
    for k in range(calls):
        t0, c0 = time.perf_counter(), time.thread_time()
        body = fn(INDICATORS[k % 2])          # alternate: each call is an indicator change
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return times, cpu, body


_WORKER: dict = {}
_APP: list = []


def _naive_worker(args) -> tuple[list[float], list[float], int, int]:
    n, vertices, calls = args
    if n not in _WORKER:
        geojson, codes = grid(n, vertices)
        data = synthetic_store(codes, Path(tempfile.gettempdir()))
        _WORKER[n] = (geojson, data.observations)
    geojson, obs = _WORKER[n]
    times, cpu, body = timings(lambda ind: naive_response(geojson, obs, ind), calls)
    raw = body.encode()
    return times, cpu, len(raw), len(gzip.compress(raw, 6))


def summary(times: list[float], cpu: list[float], body_bytes: int, gz: int) -> dict:
    pct = lambda xs, q: round(float(np.percentile(xs, q)), 2)
    return {"bytes": body_bytes, "gzip_bytes": gz, "p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
            "cpu_p50_ms": pct(cpu, 50), "cpu_p95_ms": pct(cpu, 95), "calls": len(times)}


def run(n: int, calls: int, naive_calls: int, workers: int, vertices: float) -> dict:
    from dashboard import settings, store

    geojson, codes = grid(n, vertices)
    data = synthetic_store(codes, Path(tempfile.gettempdir()))
    # the geometry the map loads once: written where the store says, then served as GeoJSON and as geobuf
    path = data.geometry_file("commune")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(geojson, separators=(",", ":")), encoding="utf-8")
    # Ours never holds the geometry in Python (the route serves bytes): drop it, or every garbage
    # collection would walk its millions of lists and bill them to our callback.
    del geojson
    gc.collect()
    from dashboard import mapping

    geometry = {}
    for form in ("geojson", "pbf"):
        raw, packed, _etag = mapping.geometry_bytes(data, "commune", "R84", form)
        geometry[form] = {"bytes": len(raw), "gzip_bytes": len(packed)}
    mapping._GEO_CACHE.clear()
    conf = settings.use(settings.Settings(region="R84", secret_key="bench", data_dir=Path(tempfile.gettempdir())))
    if not _APP:   # pages and callbacks register on an app: build it once, as app.py does
        from dashboard.webapp import create_app

        _APP.append(create_app(conf))
    original = store.get
    store.get = lambda: data      # the real callback, on the synthetic store
    try:
        from callbacks.carte import restyle

        t0 = time.perf_counter()
        ours_response(restyle, INDICATORS[0])      # warm-up (imports, caches of pandas), and the cold cost
        cold_ms = round((time.perf_counter() - t0) * 1000, 2)
        t, cpu, body = timings(lambda ind: ours_response(restyle, ind), calls)
        raw = body.encode()
        ours = summary(t, cpu, len(raw), len(gzip.compress(raw, 6)))
        ours["first_call_ms"] = cold_ms           # before the per-view memo (dashboard/mapping.choropleth) holds it
        # the payload must hold one value per polygon, or the comparison means nothing
        ours["values_sent"] = len(mapping.unpack_values(json.loads(body)["response"]["carte-view"]["data"]["values"]))
        assert ours["values_sent"] == n, ours["values_sent"]
        floor_response(data, INDICATORS[0])
        t, cpu, body = timings(lambda ind: floor_response(data, ind), calls)
        raw = body.encode()
        floor = summary(t, cpu, len(raw), len(gzip.compress(raw, 6)))
    finally:
        store.get = original
    per = [naive_calls // workers + (1 if k < naive_calls % workers else 0) for k in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(_naive_worker, [(n, vertices, c) for c in per if c]))
    naive = summary([x for p in parts for x in p[0]], [x for p in parts for x in p[1]], parts[0][2], parts[0][3])
    return {"polygons": n, "vertices_per_polygon": 4 * max(1, round((vertices - 1) / 4)) + 1,
            "geometry_once": geometry, "ours": ours, "floor": floor, "naive": naive,
            "ours_vs_floor_p95": round(ours["p95_ms"] / floor["p95_ms"], 1),
            "bytes_ratio": round(naive["bytes"] / ours["bytes"], 1),
            "gzip_bytes_ratio": round(naive["gzip_bytes"] / ours["gzip_bytes"], 1),
            "time_ratio": round(naive["p50_ms"] / ours["p50_ms"], 1),
            "cpu_time_ratio": round(naive["cpu_p50_ms"] / ours["cpu_p50_ms"], 1),
            "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
            "naive_workers": workers}


# ---- in headless Chromium, on the synthetic whole-France store ----------------------------------

# The view of the screenshots and measures: metropolitan France filling the map (1366 px wide window).
FRANCE_VIEW = {"zoom": "5.5", "lat": "46.5", "lng": "2.5"}
DEPARTEMENT_VIEW = {"zoom": "9", "lat": "45.05", "lng": "2.65"}      # Cantal (D15)

# Injected before the page's scripts: notes when the choropleth holds its shapes (SVG paths, or a canvas
# renderer) and when that frame has been painted. Reads the DOM only: independent of the geometry's URL or
# format and of the hideout's shape.
WATCH_JS = """(() => {
    const expected = %d;
    window.__bench = {drawnAt: null, paintedAt: null, count: 0};
    const tick = () => {
        const pane = document.querySelector('.leaflet-overlay-pane');
        const n = pane ? pane.getElementsByTagName('path').length : 0;
        window.__bench.count = n;
        const canvas = pane && !n ? pane.querySelector('canvas') : null;
        if (n >= expected || (canvas && window.__bench.canvasReady)) {
            window.__bench.drawnAt = performance.now();
            requestAnimationFrame(() => { window.__bench.paintedAt = performance.now(); });
            return;
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})();"""

# One indicator change, timed in the page: from the change of the dropdown's value (Dash 4's set_props, as a
# choice in the list does) to the frame painted after the shapes' fill colours changed (a sample of 64 shapes
# spread over the pane, read again at every animation frame, so replaced elements are seen too).
REPAINT_JS = """async ([id, value]) => {
    const pane = document.querySelector('.leaflet-overlay-pane');
    const paths = pane.getElementsByTagName('path');
    const canvas = paths.length ? null : pane.querySelector('canvas');
    const sample = () => {
        if (canvas) {
            const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
            let s = '';
            for (let i = 1; i <= 8; i++) { for (let j = 1; j <= 8; j++) {
                s += ctx.getImageData(Math.floor(i * w / 9), Math.floor(j * h / 9), 1, 1).data.join(',') + '|'; } }
            return s;
        }
        const n = paths.length;
        let s = n + ':';
        for (let i = 0; i < 64; i++) { const p = paths[Math.floor(i * n / 64)]; s += (p ? p.getAttribute('fill') : '-') + '|'; }
        return s;
    };
    const first = paths[0];
    const before = sample();
    return await new Promise((resolve) => {
        const t0 = performance.now();
        window.dash_clientside.set_props(id, {value: value});
        const tick = () => {
            const now = performance.now();
            if (sample() !== before) {
                requestAnimationFrame(() => resolve({dom_ms: now - t0, paint_ms: performance.now() - t0,
                                                     replaced: !!first && paths[0] !== first, t0: t0}));
            } else if (now - t0 > 60000) {
                resolve(null);
            } else {
                requestAnimationFrame(tick);
            }
        };
        requestAnimationFrame(tick);
    });
}"""


class Network:
    """Every response of a page through the DevTools protocol: URL, type, encoded (transferred) size, times."""

    def __init__(self, page):
        self.requests: dict[str, dict] = {}
        self.offset = None                          # wall time - monotonic time, seconds
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", lambda e: self._get(e).update(
            url=e["response"]["url"], type=e.get("type"), status=e["response"]["status"], response_at=e["timestamp"]))
        cdp.on("Network.loadingFinished", lambda e: self._get(e).update(bytes=e["encodedDataLength"],
                                                                         finished_at=e["timestamp"]))
        self.cdp = cdp

    def _get(self, event) -> dict:
        return self.requests.setdefault(event["requestId"], {"id": event["requestId"]})

    def _sent(self, event) -> None:
        if self.offset is None:
            self.offset = event["wallTime"] - event["timestamp"]
        self._get(event).update(url=event["request"]["url"], sent_at=event["timestamp"],
                                post=event["request"].get("postData") or "", type=event.get("type"))

    def finished(self, before: float | None = None) -> list[dict]:
        return [r for r in self.requests.values() if "bytes" in r and (before is None or r["finished_at"] <= before)]


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def _geometry(requests: list[dict]) -> dict | None:
    """The choropleth's geometry: the largest fetch outside Dash's own routes (whatever its URL or format)."""
    fetched = [r for r in requests if r.get("type") in ("Fetch", "XHR") and not _path(r["url"]).startswith("/_dash")]
    return max(fetched, key=lambda r: r["bytes"], default=None)


def first_load(browser, url: str, expected: int, width: int = 1366, height: int = 900) -> tuple:
    """Open ``url`` in a new browser context (empty cache); (page, measures) once every shape is painted."""
    from tests.helpers import wait_ready

    page = browser.new_page(width, height)
    page.add_init_script(WATCH_JS % expected)
    net = Network(page)
    page.goto(url, wait_until="commit", timeout=120000)
    page.wait_for_function("() => window.__bench.paintedAt !== null", timeout=600000, polling=200)
    marks = page.evaluate("() => ({...window.__bench, origin: performance.timeOrigin})")
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    renderer = page.evaluate("""() => { const p = document.querySelector('.leaflet-overlay-pane');
        return p.getElementsByTagName('path').length ? 'svg' : (p.querySelector('canvas') ? 'canvas' : 'none'); }""")
    painted_mono = (marks["origin"] + marks["paintedAt"]) / 1000 - net.offset
    start = min(r["sent_at"] for r in net.requests.values() if "sent_at" in r)
    upto = net.finished(painted_mono)
    geo = _geometry(net.finished())
    page.network = net
    return page, {
        "renderer": renderer, "shapes_expected": expected, "shapes_drawn": marks["count"],
        "bytes_until_drawn": sum(r["bytes"] for r in upto), "requests_until_drawn": len(upto),
        "bytes_at_idle": sum(r["bytes"] for r in net.finished()), "requests_at_idle": len(net.finished()),
        "geometry": None if geo is None else {
            "path": _path(geo["url"]), "bytes": geo["bytes"],
            "requested_at_ms": round((geo["sent_at"] - start) * 1000),
            "first_byte_ms": round((geo["response_at"] - geo["sent_at"]) * 1000),
            "finished_at_ms": round((geo["finished_at"] - start) * 1000)},
        "largest": [{"path": _path(r["url"]), "bytes": r["bytes"]}
                    for r in sorted(net.finished(), key=lambda r: -r["bytes"])[:4]],
        # where the time goes: requests that took half a second or more (static files excepted), in order
        "slow_requests": [{"path": _path(r["url"]), "start_ms": round((r["sent_at"] - start) * 1000),
                           "end_ms": round((r["finished_at"] - start) * 1000), "bytes": r["bytes"]}
                          for r in sorted(net.finished(), key=lambda r: r.get("sent_at", 0))
                          if "sent_at" in r and r["finished_at"] - r["sent_at"] >= 0.5
                          and not _path(r["url"]).startswith(("/assets/", "/_dash-component-suites/", "/dsfr/"))],
        # from the request of the page to the frame painted with every shape in the DOM
        "drawn_ms": round((painted_mono - start) * 1000),
    }


def browser_run(changes: int = 10, width: int = 1366, height: int = 900) -> dict:
    """The whole-France store at commune level (``bench/france.py``, synthetic) served by app.py with
    ACCES_SOINS_REGION=FR, in headless Chromium: first load, repaint on indicator changes, screenshots."""
    import shutil
    from urllib.parse import urlencode

    from bench import france
    from dashboard import mapping, store
    from tests.helpers import Browser, LiveServer, wait_ready

    folder = france.build()
    data = store.open_store(folder)
    expected = int(((data.manifest.get("geometry") or {}).get("commune") or {}).get("features")
                   or mapping.shape_count(data, "commune", "FR"))
    having = mapping._with_values(data, "commune")
    first = mapping.default_indicator(data, "commune")
    other = next(i for i in mapping.indicators(data, "commune") if i in having and i != first)
    default_view = mapping.fit_view(mapping.region_bounds(data, "FR"))
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shots = {"france": artifacts / f"france-communes-{width}.png",
             "departement": artifacts / f"france-communes-d15-{width}.png"}
    server = LiveServer(data_dir=folder, extra_env={"ACCES_SOINS_REGION": "FR"})
    browser = None
    try:
        browser = Browser()
        url = "/carte?" + urlencode({"niveau": "commune", **FRANCE_VIEW})
        # cold: the first visit after the server started (its memos empty); warm: a second visitor (new browser
        # context, empty HTTP cache), the usual case, on which the repaint is measured
        cold_page, cold = first_load(browser, server.url + url, expected, width, height)
        cold_page.context.close()
        page, load = first_load(browser, server.url + url, expected, width, height)
        load = {"url": url, **load}
        # repaint: alternate two indicators with values at commune level
        repaints, restyle_bytes = [], []
        for k in range(changes):
            value = other if k % 2 == 0 else first
            net = page.network
            before = set(net.requests)
            got = page.evaluate(REPAINT_JS, ["carte-indicator", value])
            wait_ready(page)
            page.wait_for_load_state("networkidle")
            if got is None:
                raise RuntimeError(f"la carte n'a pas été recoloriée après le passage à {value}")
            repaints.append(got)
            restyle_bytes += [r["bytes"] for i, r in net.requests.items()
                              if i not in before and "carte-geojson.url" in r.get("post", "") and "bytes" in r]
        pct = lambda xs, q: round(float(np.percentile(xs, q)), 1)
        paint = [r["paint_ms"] for r in repaints]
        page.locator(".carte-map-col").screenshot(path=str(shots["france"]))
        errors = list(cold_page.console_errors) + list(page.console_errors)
        # zoomed on a département: every commune readable
        page.goto(server.url + "/carte?" + urlencode({"niveau": "commune", **DEPARTEMENT_VIEW}), wait_until="commit")
        page.wait_for_function("() => window.__bench.paintedAt !== null", timeout=600000, polling=200)
        wait_ready(page)
        page.locator(".carte-map-col").screenshot(path=str(shots["departement"]))
        errors += page.console_errors
        return {"browser": {
            "store": "synthetic whole-France communes (bench/france.py)", "region": "FR", "viewport": [width, height],
            "first_load": load,
            "first_load_cold": {k: cold[k] for k in ("bytes_until_drawn", "drawn_ms", "slow_requests")},
            "repaint": {"changes": len(paint), "indicators": [first, other], "p50_ms": pct(paint, 50),
                        "p95_ms": pct(paint, 95), "max_ms": round(max(paint), 1),
                        "dom_p50_ms": pct([r["dom_ms"] for r in repaints], 50),
                        "shapes_replaced": sum(r["replaced"] for r in repaints),
                        "restyle_response_bytes": restyle_bytes[-1] if restyle_bytes else None,
                        "all_ms": [round(x) for x in paint]},
            "default_view": {**default_view, "note": "the view /carte?niveau=commune opens on (no zoom/lat/lng)"},
            "screenshots": {k: str(v.relative_to(ROOT)) for k, v in shots.items()},
            "console_errors": errors[:5],
            "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}}
    finally:
        if browser:
            browser.close()
        server.stop()
        shutil.rmtree(Path(folder).parent / f"cache-{server.port}", ignore_errors=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4000, 35000])
    ap.add_argument("--calls", type=int, default=200, help="calls of our callback")
    ap.add_argument("--naive-calls", type=int, default=200, help="naive calls up to 10 000 polygons")
    ap.add_argument("--naive-calls-big", type=int, default=20, help="naive calls above 10 000 polygons")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the naive calls")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium measure on the France store")
    ap.add_argument("--repaints", type=int, default=10, help="indicator changes timed in Chromium")
    args = ap.parse_args(argv)
    vertices = real_vertices_per_polygon() or 21.0
    for n in args.sizes:
        naive_calls = args.naive_calls if n <= 10000 else args.naive_calls_big
        print(json.dumps(run(n, args.calls, naive_calls, args.workers, vertices), ensure_ascii=False), flush=True)
    if not args.no_browser:
        print(json.dumps(browser_run(args.repaints), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
