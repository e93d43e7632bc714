"""Time the APL reader and the DREES-rule aggregation on a synthetic national workbook; prints JSON.

    python -m bench.apl_reader [n_communes]
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.synthetic import make_apl_workbook
from dashboard.pipeline.readers import apl


def territories_for(codes: list[str]) -> pd.DataFrame:
    deps = ["D" + (c[1:4] if c.startswith("C97") else c[1:3]) for c in codes]
    return pd.DataFrame({"code": codes, "level": "commune", "name": codes, "region": "R" + pd.Series(deps).str[-2:],
                         "departement": deps, "epci": [f"E2{i // 30:08d}" for i in range(len(codes))],
                         "commune": codes, "population": 0})


def main(n: int = 35000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = make_apl_workbook(Path(tmp) / "apl.xlsx", n)
        t0 = time.perf_counter()
        c = apl.read(path, {})
        t1 = time.perf_counter()
        c.finalize(c, territories_for(sorted(set("C" + c.observations.territory.str[1:]))))
        t2 = time.perf_counter()
    return {"communes": c.rows, "read_s": round(t1 - t0, 2), "aggregate_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2), "observations": len(c.observations)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 35000)))
