"""Write a processed-store version, verify it, then switch ``CURRENT`` atomically.

Layout::

    data/processed/
      CURRENT                 # one line: the served version's folder name
      <version>/manifest.json # version, build time, inputs with sha256, row counts, joins…
      <version>/<table>.parquet
      <version>/geometry/<level>.geojson

A reader never sees a half-written version: the folder is complete and verified
before ``CURRENT`` is replaced (``os.replace`` is atomic on POSIX).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from ..schema import TABLES

KEEP_VERSIONS = 5


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def current(out: Path) -> str | None:
    try:
        return (out / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def write_version(out: Path, version: str, tables: dict[str, pd.DataFrame], geometry_writer,
                  manifest: dict) -> Path:
    """Write tables and geometry into ``out/<version>.tmp`` then rename it to ``out/<version>``."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{version}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for name, columns in TABLES.items():
        frame = tables.get(name)
        if frame is None:
            frame = pd.DataFrame(columns=columns)
        frame = frame[[c for c in columns if c in frame.columns]]
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
    manifest["geometry"] = geometry_writer(tmp / "geometry")
    manifest["tables"] = {name: int(len(tables[name])) if name in tables and tables[name] is not None else 0
                          for name in TABLES}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    verify(tmp, manifest)
    final = out / version
    os.replace(tmp, final)
    return final


def verify(folder: Path, manifest: dict) -> None:
    """Re-read what was written: every table opens with the expected row count."""
    for name, rows in manifest["tables"].items():
        got = len(pd.read_parquet(folder / f"{name}.parquet"))
        if got != rows:
            raise OSError(f"vérification échouée : {name}.parquet a {got} lignes, {rows} attendues")
    for level, info in manifest.get("geometry", {}).items():
        if not (folder / info["file"]).is_file():
            raise OSError(f"vérification échouée : géométrie {level} absente")


def switch(out: Path, version: str) -> None:
    """Point ``CURRENT`` to ``version`` atomically, then prune old versions."""
    tmp = out / "CURRENT.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(version + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out / "CURRENT")
    versions = sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != version:
            shutil.rmtree(old, ignore_errors=True)
