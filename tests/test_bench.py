"""The pipeline benchmark runs and prints the keys the issue asks for (timings are read, not asserted)."""
import json
import subprocess
import sys

from .helpers import ROOT


def test_pipeline_benchmark_prints_its_json(opendata):
    proc = subprocess.run([sys.executable, "-m", "bench.pipeline"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"ara_seconds", "national_apl_seconds", "peak_rss_mb"} <= set(result)
    assert result["national_communes"] > 30000
    print("bench/pipeline.py:", result)
