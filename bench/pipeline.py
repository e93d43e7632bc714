"""Pipeline benchmark: build time and peak memory, printed as one JSON object.

    .venv/bin/python -m bench.pipeline

* ``ara_seconds``: a full build of the embedded data plus the real ARA samples of
  $ACCES_SOINS_OPENDATA (APL workbook, baromètre CSVs, Cantal and Rhône contours);
* ``national_apl_seconds``: a full build of the embedded data plus a synthetic national APL
  workbook in the official layout, one row per commune of the reference (≈ 35 000), all regions;
* ``peak_rss_mb``: the largest peak resident memory of those builds (each runs in its own process).
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"


def timed_build(raws: list[Path], out: Path, region: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one build in a fresh process."""
    args = [sys.executable, "-m", "dashboard.pipeline", "build", "--out", str(out), "--region", region]
    for raw in raws:
        args += ["--raw", str(raw)]
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stderr[-3000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, usage.ru_maxrss / 1024


def main() -> dict:
    from bench.synthetic import make_apl_workbook

    result: dict = {}
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        opendata = os.environ.get("ACCES_SOINS_OPENDATA")
        if opendata and Path(opendata).is_dir():
            samples = tmp / "samples"
            shutil.copytree(opendata, samples, ignore=shutil.ignore_patterns("*.md", "departement-*"))
            seconds, peak = timed_build([RAW, samples], tmp / "out-ara", "84")
            result["ara_seconds"] = round(seconds, 2)
            peaks.append(peak)
        else:
            result["ara_seconds"] = None
            result["ara_note"] = "ACCES_SOINS_OPENDATA absent: ARA samples not measured"
        terr = pd.read_csv(RAW / "reference" / "territories.csv", dtype=str, usecols=["code", "level"])
        codes = sorted(terr.loc[terr.level == "commune", "code"].str[1:])
        national = tmp / "national"
        national.mkdir()
        start = time.perf_counter()
        make_apl_workbook(national / "apl_national.xlsx", len(codes), codes=codes)
        result["national_workbook_write_seconds"] = round(time.perf_counter() - start, 2)
        seconds, peak = timed_build([RAW, national], tmp / "out-fr", "toutes")
        result["national_apl_seconds"] = round(seconds, 2)
        result["national_communes"] = len(codes)
        peaks.append(peak)
    # RUSAGE_CHILDREN keeps the maximum over all waited-for children: the last value is the overall peak.
    result["peak_rss_mb"] = round(max(peaks), 1)
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
