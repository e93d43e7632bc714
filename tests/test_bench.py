"""The pipeline benchmark runs and prints the keys the issue asks for (timings are read, not asserted)."""
import json
import subprocess
import sys

import pytest

from .helpers import ROOT


def test_pipeline_benchmark_prints_its_json(opendata):
    proc = subprocess.run([sys.executable, "-m", "bench.pipeline"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"ara_seconds", "national_apl_seconds", "peak_rss_mb"} <= set(result)
    assert result["national_communes"] > 30000
    print("bench/pipeline.py:", result)


@pytest.mark.browser
def test_page_weight_budgets(built_store):
    """First load: « / » ≤ 1,0 MB and « /carte » ≤ 0,6 MB transferred; plotly (partial) only where there are
    charts, the map library only on the map. Bytes are asserted, never durations."""
    proc = subprocess.run([sys.executable, "bench/weight.py", "--data-dir", str(built_store)], cwd=ROOT,
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
                           "--workers", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"ours", "floor", "naive", "ours_vs_floor_p95"} <= set(result)
    assert result["ours"]["values_sent"] == 300
    for side in ("ours", "floor", "naive"):
        assert {"bytes", "gzip_bytes", "p50_ms", "p95_ms"} <= set(result[side])
