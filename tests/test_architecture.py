"""The house's shape as tests: the import contracts of docs/architecture.md hold, and the shared-store helper
the suite relies on publishes real, loadable, newer versions."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dashboard import store
from dashboard.pipeline import publish

from .helpers import ROOT, publish_copy


def test_import_contracts_are_kept():
    """Layers go down only, the pipeline never imports saisie, no import circle (.importlinter)."""
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_a_published_copy_is_a_newer_version_the_app_loads(built_store, tmp_path):
    out = tmp_path / "out"
    first = publish_copy(built_store, out)
    second = publish_copy(built_store, out)
    assert publish.built_time(first) < publish.built_time(second) and publish.current(out) == second
    loaded = store.open_store(out)                       # checksums verified against the manifest
    assert loaded.version == second and loaded.manifest["version"] == second
    original = store.open_store(built_store)
    assert len(loaded.observations) == len(original.observations)


def test_a_web_worker_imports_only_what_it_serves(built_store):
    """A web worker's memory is mostly its imports: the build's libraries (geopandas, openpyxl), the map's class
    reference (mapclassify, with scipy and scikit-learn: 87 MB) and the PDF writer (fpdf2, loaded by the first
    PDF) stay out of it."""
    code = ("import sys, app; heavy = ('geopandas', 'mapclassify', 'scipy', 'sklearn', 'fpdf', 'openpyxl', 'pptx');"
            "print(' '.join(m for m in heavy if m in sys.modules))")
    env = {**os.environ, "ACCES_SOINS_DATA_DIR": str(built_store)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""
