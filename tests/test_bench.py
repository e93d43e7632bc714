"""What the benchmarks' code must get right, in the suite; what they measure runs with `make bench` (bench/,
each writing bench/results/<name>.json), never here: timings are not tests.

Here: the page-weight budgets (bytes, asserted), a tiny run of bench/map.py (it breaks when the map's
callback or hideout changes shape), the synthetic France the map benchmark serves."""
import json
import subprocess
import sys

import pytest

from .helpers import ROOT


@pytest.mark.browser
@pytest.mark.slow
def test_page_weight_budgets(live_server):
    """First load: « / » ≤ 1,0 MB and « /carte » ≤ 0,6 MB transferred; plotly (partial) only where there are
    charts, the map library only on the map. Bytes are asserted, never durations. Measured on the session's app
    server (the default store): the browser side is what is cold, a context per page."""
    proc = subprocess.run([sys.executable, "bench/weight.py", "--url", live_server.url], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    results = [json.loads(line) for line in proc.stdout.strip().splitlines()]
    print("bench/weight.py:", results)
    assert results[-1] == {"budgets_met": True} and proc.returncode == 0, proc.stdout + proc.stderr
    pages = {r["page"]: r for r in results[:-1]}
    assert not [p for p, r in pages.items() if r["console_errors"]]
    assert {p for p, r in pages.items() if r["map_library"]} == {"/carte"}
    assert {p for p, r in pages.items() if r["plotly_bytes"]} == {"/", "/territoire/D15"}
    assert all(r["plotly_bytes"] < 450_000 for r in pages.values())          # the partial bundle, compressed


def test_map_benchmark_prints_ours_floor_and_naive():
    """bench/map.py runs (tiny size) and prints, side by side, our restyle, the values-only floor and the naive
    figure (bytes and server times are read, not asserted)."""
    proc = subprocess.run([sys.executable, "bench/map.py", "--sizes", "300", "--calls", "3", "--naive-calls", "2",
                           "--workers", "1", "--no-browser"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"ours", "floor", "naive", "ours_vs_floor_p95"} <= set(result)
    assert result["ours"]["values_sent"] == 300
    for side in ("ours", "floor", "naive"):
        assert {"bytes", "gzip_bytes", "p50_ms", "p95_ms"} <= set(result[side])


def _bad_neighbours(shapes: dict) -> list[tuple[str, str]]:
    """Pairs of shapes that overlap, or come within 1 m of each other without touching (a gap along a border that
    should be shared), or whose union has a hole neither has (a gap closed at both ends)."""
    import shapely

    codes = list(shapes)
    geoms = [shapes[c] for c in codes]
    tree = shapely.STRtree(geoms)
    holes = lambda g: sum(len(p.interiors) for p in shapely.get_parts(g))
    bad = []
    for i, j in zip(*tree.query(geoms, predicate="dwithin", distance=1e-5)):
        if i >= j:
            continue
        a, b = geoms[i], geoms[j]
        union = shapely.union(a, b)
        total = a.area + b.area
        if (abs(union.area - total) > 1e-9 * total or shapely.distance(a, b) > 0
                or holes(union) > holes(a) + holes(b)):
            bad.append((codes[i], codes[j]))
    return bad


@pytest.mark.slow
def test_synthetic_france_contours_are_real_communes_sharing_their_edges_and_build(tmp_path):
    """bench/france.py on two neighbouring départements (Cantal, Haute-Loire): one shape per real commune of the
    reference there, labelled synthetic; neighbours share their edges exactly (also across the two
    départements), the shapes fill each département; the real pipeline builds it with --region FR (exit 0)."""
    import numpy as np
    import pandas as pd
    import shapely

    from bench import france

    deps = ["15", "43"]
    raw = france.write_raw(tmp_path / "raw", deps, log=lambda _m: None)
    collection = json.loads((raw / "contours" / france.CONTOURS_FILE).read_text(encoding="utf-8"))
    assert "synthétique" in collection["name"] and "synthetique" in france.CONTOURS_FILE
    ref = pd.read_csv(ROOT / "data" / "raw" / "reference" / "territories.csv", dtype=str, keep_default_na=False)
    communes = ref[(ref["level"] == "commune") & ref["departement"].isin({"D15", "D43"}) & (ref["commune"] == "")]
    props = [f["properties"] for f in collection["features"]]
    assert sorted(p["code"] for p in props) == sorted(communes["code"].str[1:])
    assert {p["code"]: p["name"] for p in props} == dict(zip(communes["code"].str[1:], communes["name"]))
    assert len(props) > 500

    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in collection["features"]}
    assert all(g.is_valid and not g.is_empty for g in shapes.values())
    assert shapely.coverage_is_valid(np.array(list(shapes.values())))
    assert _bad_neighbours(shapes) == []
    outlines = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in
                json.loads((ROOT / "data" / "raw" / "reference" / "departements.geojson").read_text())["features"]}
    for dep in deps:
        cells = [g for c, g in shapes.items() if c.startswith(dep)]
        assert abs(sum(g.area for g in cells) - outlines[dep].area) < 1e-6 * outlines[dep].area
    # as many vertices as real communes (~20 before the pipeline's simplification takes some away)
    assert 15 < np.mean([shapely.get_num_coordinates(g) for g in shapes.values()]) < 60

    # the check can fail: the same shapes, every other one grown or shrunk by 0.1 % (overlaps, gaps)
    import shapely.affinity

    loose = {c: shapely.affinity.scale(g, 1 + (-1) ** k * 1e-3, 1 + (-1) ** k * 1e-3)
             for k, (c, g) in enumerate(shapes.items())}
    assert len(_bad_neighbours(loose)) > 10

    code, report = france.run_pipeline(raw, tmp_path / "store", "FR")
    assert code == 0, report
    assert f"Contours : {len(props)} forme(s) de niveau commune" in report
    manifest = json.loads(next((tmp_path / "store").glob("*/manifest.json")).read_text())
    assert manifest["geometry"]["commune"]["features"] == len(props)
