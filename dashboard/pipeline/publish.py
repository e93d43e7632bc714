"""Write a processed-store version, verify it, then switch ``CURRENT`` atomically.

Layout::

    data/processed/
      CURRENT                 # one line: the served version's folder name
      <version>/manifest.json # version, build time, inputs with sha256, row counts, joins…
      <version>/<table>.parquet
      <version>/geometry/<level>.geojson

      .lock                   # held (flock) by the build that writes, cleans and switches
      .<version>.tmp/         # a version being written (left over if that build was killed)

A reader never sees a half-written version: the folder is complete and verified
before ``CURRENT`` is replaced (``os.replace`` is atomic on POSIX). Builds may run at the
same time (cron + a person): only one at a time holds the lock, and a build never makes
its version current over a newer one.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from ..schema import OPTIONAL_COLUMNS, TABLES
from .errors import BuildError

KEEP_VERSIONS = 5
LOCK_FILE = ".lock"
LOCK_POLL_SECONDS = 0.2
WAITING = "une autre construction est en cours, attente…"


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


@contextmanager
def lock(out: Path, wait: float, echo: Callable[[str], None]) -> Iterator[None]:
    """Hold ``out/.lock`` exclusively, waiting at most ``wait`` seconds for another build.

    An flock, not a pid file: the kernel releases it when its process dies, so a killed build
    never blocks the next one."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK_FILE, "a") as fh:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    echo(f"{WAITING} (verrou {out / LOCK_FILE}, au plus {wait:g} s)")
                    told = True
                if time.monotonic() >= deadline:
                    raise BuildError(f"une autre construction occupe {out} depuis plus de {wait:g} s : abandon "
                                     "(délai réglable par ACCES_SOINS_BUILD_LOCK_WAIT)") from None
                time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_leftovers(out: Path) -> list[str]:
    """Remove what killed builds left (``.<version>.tmp`` folders, ``CURRENT.tmp``).

    Only called under the lock: no other build is writing, so every temporary entry is a leftover."""
    removed = []
    for path in sorted(out.iterdir()):
        if path.name.startswith(".") and path.name.endswith(".tmp") and path.is_dir():
            shutil.rmtree(path)
            removed.append(path.name)
    if (out / "CURRENT.tmp").exists():
        (out / "CURRENT.tmp").unlink()
        removed.append("CURRENT.tmp")
    return removed


def built_time(version: str) -> str:
    """The build-time part of a version name (``20240131T120000123-<hash>``): it orders versions."""
    return version.split("-", 1)[0]


def publish(out: Path, version: str, tables: dict[str, pd.DataFrame], geometry_writer, manifest: dict,
            lock_wait: float, echo: Callable[[str], None], step: Callable) -> bool:
    """Under the lock: remove leftovers, then write, verify and switch ``CURRENT`` to ``version`` —
    unless ``CURRENT`` already names a version built at the same time or later (a build started after
    this one and published first while this one waited): its data are the most recent, so this
    version is not written at all, rather than left as a folder that was never served.

    ``step(name, fn, *args)`` times the writing (the build report); returns whether ``version`` is now current."""
    with lock(out, lock_wait, echo):
        for name in remove_leftovers(out):
            echo(f"  reste d'une construction interrompue supprimé : {name}")
        served = current(out)
        if served is not None and built_time(served) >= built_time(version):
            echo(f"⚠ version {version} non publiée : la version en service {served}, construite par une autre "
                 "construction, est plus récente ; elle reste en service.")
            return False
        step("Écriture et vérification", write_version, out, version, tables, geometry_writer, manifest)
        switch(out, version)
        return True


def write_version(out: Path, version: str, tables: dict[str, pd.DataFrame], geometry_writer,
                  manifest: dict) -> Path:
    """Write tables and geometry into ``out/.<version>.tmp`` then rename it to ``out/<version>``.

    The manifest records the sha256 of every written file: the app checks them when it loads the
    version, so a truncated or altered file is refused instead of being served."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{version}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for name, columns in TABLES.items():
        frame = tables.get(name)
        if frame is None:
            frame = pd.DataFrame(columns=columns)
        frame = frame[[c for c in columns + OPTIONAL_COLUMNS.get(name, []) if c in frame.columns]]
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
    manifest["geometry"] = geometry_writer(tmp / "geometry")
    manifest["tables"] = {name: int(len(tables[name])) if name in tables and tables[name] is not None else 0
                          for name in TABLES}
    files = [f"{name}.parquet" for name in TABLES] + [info["file"] for info in manifest["geometry"].values()]
    manifest["checksums"] = {rel: sha256(tmp / rel) for rel in files}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    verify(tmp, manifest)
    final = out / version
    os.replace(tmp, final)
    return final


def verify(folder: Path, manifest: dict) -> None:
    """Re-read what was written: every file matches its checksum, every table opens with the expected row count."""
    check_files(folder, manifest)
    for name, rows in manifest["tables"].items():
        got = len(pd.read_parquet(folder / f"{name}.parquet"))
        if got != rows:
            raise OSError(f"vérification échouée : {name}.parquet a {got} lignes, {rows} attendues")
    for level, info in manifest.get("geometry", {}).items():
        if not (folder / info["file"]).is_file():
            raise OSError(f"vérification échouée : géométrie {level} absente")


def check_files(folder: Path, manifest: dict) -> None:
    """Every file named in the manifest's ``checksums`` exists with that sha256 (OSError otherwise).

    Shared by the build's verification and the app's loading (dashboard/store.py). Versions
    written before checksums were recorded have none: nothing to check."""
    for rel, expected in manifest.get("checksums", {}).items():
        path = folder / rel
        if not path.is_file():
            raise OSError(f"{rel} absent du dossier de la version")
        if sha256(path) != expected:
            raise OSError(f"{rel} ne correspond pas à la somme de contrôle du manifeste (fichier tronqué ou modifié)")


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
