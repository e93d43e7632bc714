"""Benchmark of the map restyle: values-only hideout (ours) vs a plotly figure with its GeoJSON (naive).

    python bench/map.py [--sizes 4000 35000] [--calls 200] [--naive-calls-big 20] [--workers N]

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
    url, hideout, legend, caption, banner = restyle("commune", indicator, QUARTER, None)
    return envelope({"carte-geojson": {"url": url, "hideout": hideout}, "carte-legend": {"children": legend},
                     "carte-caption": {"children": caption}, "carte-banner": {"children": banner}})


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
        ours["values_sent"] = len(mapping.unpack_values(json.loads(body)["response"]["carte-geojson"]["hideout"]["values"]))
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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4000, 35000])
    ap.add_argument("--calls", type=int, default=200, help="calls of our callback")
    ap.add_argument("--naive-calls", type=int, default=200, help="naive calls up to 10 000 polygons")
    ap.add_argument("--naive-calls-big", type=int, default=20, help="naive calls above 10 000 polygons")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the naive calls")
    args = ap.parse_args(argv)
    vertices = real_vertices_per_polygon() or 21.0
    for n in args.sizes:
        naive_calls = args.naive_calls if n <= 10000 else args.naive_calls_big
        print(json.dumps(run(n, args.calls, naive_calls, args.workers, vertices), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
