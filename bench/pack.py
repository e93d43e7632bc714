"""Pack benchmark: the quarter's pack (PPTX and PDF) on the default data, printed as one JSON object.

    .venv/bin/python -m bench.pack

Builds the embedded data into a temporary store, then runs ``python -m dashboard.pack`` in a fresh process (cold
caches, as a committee member's first click would): ``pack_seconds`` is its wall time (acceptance: under 30 s on
a 2-core machine), with the size and slide count of each file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    from pptx import Presentation
    from pypdf import PdfReader

    from dashboard.pipeline.build import build

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build([ROOT / "data" / "raw"], tmp / "store", region="R84", echo=lambda _line: None)
        env = {**os.environ, "ACCES_SOINS_CACHE_DIR": str(tmp / "cache")}
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "dashboard.pack", "--out", str(tmp / "out"), "--data",
                               str(tmp / "store")], cwd=ROOT, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"pack failed:\n{proc.stderr[-3000:]}")
        pptx, pdf = sorted((tmp / "out").glob("*.pptx"))[0], sorted((tmp / "out").glob("*.pdf"))[0]
        print(json.dumps({
            "pack_seconds": round(seconds, 2),
            "cpus": os.cpu_count(),
            "pptx": {"file": pptx.name, "bytes": pptx.stat().st_size, "slides": len(Presentation(str(pptx)).slides)},
            "pdf": {"file": pdf.name, "bytes": pdf.stat().st_size, "pages": len(PdfReader(str(pdf)).pages)},
        }))


if __name__ == "__main__":
    main()
