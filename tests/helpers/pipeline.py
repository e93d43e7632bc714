"""The raw folder, the pipeline's CLI, the default store built once per session, and copies of it.

Building ``data/raw`` takes seconds; most tests only need *a* published version (to serve, damage, replace),
not a build: :func:`publish_copy` publishes a copy of the session's store under a new version name. Tests of
the build itself (locks, leftovers, reports) still build.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RAW = ROOT / "data" / "raw"


def cli(*args, cwd=ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m dashboard.pipeline …``: exit code, stdout, stderr."""
    return subprocess.run([sys.executable, "-m", "dashboard.pipeline", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def show(out: Path, indicator: str, territory: str, period: str | None = None) -> list[dict]:
    """The JSON lines of ``pipeline show`` (asserting exit code 0)."""
    args = ["show", "--indicator", indicator, "--territory", territory, "--out", str(out)]
    if period:
        args += ["--period", period]
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def raw_digest(folder: Path = RAW) -> str:
    """sha256 over the raw folder's files (names and contents): the key of the shared store."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def shared_store(parent: Path, region: str = "R84", extra: tuple[Path, ...] = ()) -> Path:
    """The default data (and the ``extra`` raw folders, e.g. the geography fixture) built once into
    ``parent/store-<region>-<raw digest>``, whichever process asks first.

    ``parent`` is shared by the pytest-xdist workers of one session (a file lock makes the others wait for the
    first build, then they reuse it); a new session, or changed raw files, build anew. Never write into it."""
    from dashboard.pipeline.build import build

    digest = "-".join([raw_digest(), *(raw_digest(folder)[:8] for folder in extra)])
    out = parent / f"store-{region}-{digest}"
    parent.mkdir(parents=True, exist_ok=True)
    with open(parent / f"{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "CURRENT").is_file():
            result = build([RAW, *extra], out, region=region, echo=lambda _line: None)
            assert result.published
    return out


def publish_copy(store_root: Path, out: Path) -> str:
    """Publish into ``out`` a copy of the version ``store_root`` serves, as a new version built now (later than
    any version in ``out``): what a build of the same inputs would publish, without the build. Returns it."""
    from dashboard.pipeline import publish

    source = store_root / publish.current(store_root)
    out.mkdir(parents=True, exist_ok=True)
    served = publish.current(out)
    now = dt.datetime.now(dt.timezone.utc)
    while True:
        stamp = now.strftime("%Y%m%dT%H%M%S%f")[:-3]
        if served is None or stamp > publish.built_time(served):
            break
        now += dt.timedelta(milliseconds=1)
    version = f"{stamp}-{source.name.split('-', 1)[1]}"
    tmp = out / f".{version}.tmp"
    shutil.copytree(source, tmp)
    manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(version=version, built_at=now.isoformat(timespec="seconds"))
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, out / version)
    publish.switch(out, version)
    return version
