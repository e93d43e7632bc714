"""A processed store that cannot be lost or rolled back.

Builds: one at a time publishes (a lock in the output folder), a build never makes its version current over a
newer one, leftovers of killed builds are removed by the next build. App: a version that cannot be read never
replaces the one in memory (logged once, reported by /healthz), and a cold start with nothing readable answers a
clear 503. The browser side is in test_browser_store.py.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from dashboard import settings, store
from dashboard.pipeline import publish
from dashboard.pipeline.build import build

from .helpers import RAW, ROOT, publish_copy
from .helpers.wait import until

QUIET = {"echo": lambda _line: None}


# ---- helpers ------------------------------------------------------------------------------------------

class BuildProcess:
    """``python -m dashboard.pipeline build`` in the background, its stderr in a file that can be waited on."""

    def __init__(self, out: Path, log: Path, lock_wait: float = 120):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCES_SOINS_")}
        env["ACCES_SOINS_BUILD_LOCK_WAIT"] = str(lock_wait)
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "dashboard.pipeline", "build", "--raw", str(RAW),
                                      "--out", str(out)], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def wait_for(self, needle: str, timeout: float = 120) -> None:
        def shown() -> bool:
            assert self.proc.poll() is None, f"la construction s'est arrêtée avant « {needle} » :\n{self.text()}"
            return needle in self.text()
        until(shown, timeout, f"« {needle} » jamais affiché")

    def finish(self, timeout: float = 180) -> tuple[int, str]:
        code = self.proc.wait(timeout)
        self.log.close()
        return code, self.text()


@contextmanager
def holding_lock(out: Path):
    """The test plays a build that holds the output folder's lock."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / publish.LOCK_FILE, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cli_build(out: Path, lock_wait: float = 120) -> tuple[int, str]:
    return BuildProcess(out, out.parent / f"build-{time.monotonic_ns()}.log", lock_wait).finish()


def temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


def version_in(text: str, marker: str) -> str | None:
    """The version named on the output line containing ``marker``."""
    for line in text.splitlines():
        if marker in line:
            return next(word.strip(":,()") for word in line.split() if word[:8].isdigit() and "T" in word)
    return None


# ---- builds -------------------------------------------------------------------------------------------

def test_two_concurrent_builds_leave_the_newer_version_current(tmp_path):
    """Both builds really overlap: the test holds the lock until both have computed their version and wait."""
    out = tmp_path / "out"
    with holding_lock(out):
        older = BuildProcess(out, tmp_path / "older.log")
        older.wait_for(publish.WAITING)
        newer = BuildProcess(out, tmp_path / "newer.log")
        newer.wait_for(publish.WAITING)
    (code_a, text_a), (code_b, text_b) = older.finish(), newer.finish()
    assert code_a == 0 and code_b == 0, text_a + text_b
    assert "Traceback" not in text_a + text_b
    new_version = version_in(text_b, "Version publiée")
    assert new_version, text_b
    assert publish.current(out) == new_version
    # Whichever got the lock first, the older one is either published before the newer one, or not at all.
    old_version = version_in(text_a, "Version publiée") or version_in(text_a, "non publiée")
    assert publish.built_time(old_version) < publish.built_time(new_version)
    if "non publiée" in text_a:
        assert not (out / old_version).exists()
    assert temporaries(out) == []


def test_a_build_finishing_last_does_not_replace_a_newer_version(tmp_path, built_store):
    """The order that made the older build current: it computed its version, then a newer build published first."""
    out = tmp_path / "out"
    base = publish_copy(built_store, out)
    with holding_lock(out):
        older = BuildProcess(out, tmp_path / "older.log")
        older.wait_for(publish.WAITING)             # its version (build time) is computed before it waits
        newer = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + 1)) + "000-" + base.split("-")[1]
        shutil.copytree(out / base, out / newer)      # a newer build, published while the older one waited
        publish.switch(out, newer)
    code, text = older.finish()
    assert code == 0, text
    assert "non publiée" in text and f"la version en service {newer}" in text, text
    assert "Version publiée" not in text
    assert publish.current(out) == newer
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [base, newer]


def test_a_build_waits_for_the_lock_then_fails_clearly(tmp_path):
    out = tmp_path / "out"
    with holding_lock(out):
        start = time.monotonic()
        code, text = cli_build(out, lock_wait=1.5)
        waited = time.monotonic() - start
    assert code == 2, text
    assert "une autre construction est en cours, attente…" in text
    assert "depuis plus de 1.5 s" in text and "rien n'a été publié" in text
    assert "Traceback" not in text
    assert waited >= 1.5
    assert publish.current(out) is None and [p for p in out.iterdir() if p.is_dir()] == []


def test_next_build_removes_leftovers_of_killed_builds(tmp_path, built_store):
    out = tmp_path / "out"
    publish_copy(built_store, out)
    leftover = out / ".20200101T000000000-deadbeef.tmp"
    leftover.mkdir()
    (leftover / "observations.parquet").write_bytes(b"PAR1 interrupted")
    (out / "CURRENT.tmp").write_text("20200101T000000000-deadbeef")
    lines: list[str] = []
    result = build([RAW], out, echo=lines.append)
    assert result.published
    assert temporaries(out) == []
    assert any(".20200101T000000000-deadbeef.tmp" in line and "interrompue" in line for line in lines)
    assert publish.current(out) == result.version


def test_build_killed_while_writing_does_not_block_or_litter_the_next_one(tmp_path):
    out = tmp_path / "out"
    killed = BuildProcess(out, tmp_path / "killed.log")
    killed.wait_for("▶ Écriture et vérification")
    killed.proc.send_signal(signal.SIGKILL)
    killed.finish()
    assert publish.current(out) is None             # killed before switching: nothing published
    code, text = cli_build(out, lock_wait=5)
    assert code == 0, text
    assert publish.WAITING not in text              # the kernel released the dead build's lock
    assert temporaries(out) == []
    assert publish.current(out) == version_in(text, "Version publiée")


def test_manifest_records_the_sha256_of_every_written_file(built_store, store_data):
    checksums = store_data.manifest["checksums"]
    assert {f"{name}.parquet" for name in store_data.manifest["tables"]} <= set(checksums)
    assert "geometry/departement.geojson" in checksums
    for rel, digest in checksums.items():
        assert publish.sha256(built_store / store_data.version / rel) == digest


# ---- the app's loading ----------------------------------------------------------------------------------

@pytest.fixture
def two_versions(tmp_path, monkeypatch, built_store):
    """A store serving v1 in memory, then v2 published: (out, v1 store, v2 version)."""
    out = tmp_path / "out"
    monkeypatch.setattr(store, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(settings, "_CURRENT", settings.Settings(data_dir=out))
    publish_copy(built_store, out)
    first = store.get()
    second = publish_copy(built_store, out)
    return out, first, second


def _truncate(folder: Path) -> None:
    f = folder / "observations.parquet"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _other_figures(folder: Path) -> None:
    """A valid Parquet file with other values: only the checksum can tell."""
    f = folder / "observations.parquet"
    frame = pd.read_parquet(f)
    frame["value"] = frame["value"] * 2
    frame.to_parquet(f, index=False)


DAMAGE = {
    "tronqué": (_truncate, "observations.parquet"),
    "valeurs modifiées": (_other_figures, "somme de contrôle"),
    "manifeste absent": (lambda folder: (folder / "manifest.json").unlink(), "manifest.json absent"),
    "dossier absent": (lambda folder: shutil.rmtree(folder), "dossier de la version absent"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_unreadable_new_version_keeps_the_previous_one_served(two_versions, caplog, damage):
    out, first, second = two_versions
    spoil, expected = DAMAGE[damage]
    spoil(out / second)
    with caplog.at_level(logging.ERROR, logger="dashboard.store"):
        for _ in range(5):                           # several requests …
            assert store.get() is first
    failed = store.failure()
    assert failed.version == second and expected in failed.error
    assert str(out) not in failed.error                # /healthz is public on the kiosk: no server paths
    logged = [r for r in caplog.records if second in r.getMessage()]
    assert len(logged) == 1, caplog.records           # … one log line
    assert first.version in logged[0].getMessage()


def test_bad_version_is_retried_and_picked_up_once_repaired(two_versions, monkeypatch):
    out, first, second = two_versions
    table = out / second / "observations.parquet"
    good = table.read_bytes()
    _truncate(out / second)
    assert store.get() is first
    table.write_bytes(good)                             # repaired (e.g. a volume back online)
    assert store.get() is first                         # not retried on every request …
    monkeypatch.setattr(store, "RETRY_SECONDS", 0.0)
    assert store.get().version == second                # … but after RETRY_SECONDS
    assert store.failure() is None


def test_a_newer_build_replaces_a_bad_version_at_once(two_versions, built_store):
    out, first, second = two_versions
    _truncate(out / second)
    assert store.get() is first
    third = publish_copy(built_store, out)
    assert store.get().version == third and store.failure() is None


def test_missing_current_keeps_the_version_in_memory(two_versions):
    out, first, second = two_versions
    assert store.get().version == second
    (out / "CURRENT").unlink()
    assert store.get().version == second
    assert store.failure().version is None and "CURRENT" in store.failure().error


def test_cold_start_with_nothing_readable_is_unavailable(tmp_path, monkeypatch, built_store):
    out = tmp_path / "out"
    version = publish_copy(built_store, out)
    _truncate(out / version)
    monkeypatch.setattr(settings, "_CURRENT", settings.Settings(data_dir=out))
    with pytest.raises(store.StoreUnavailable, match="illisible"):
        store.get()
    shown = subprocess.run([sys.executable, "-m", "dashboard.pipeline", "show", "--indicator", "msp_count",
                            "--territory", "R84", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 2 and f"version {version} illisible" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_cold_start_server_answers_503_in_french(tmp_path, built_store):
    from .test_production import _get, start_gunicorn

    out = tmp_path / "out"
    version = publish_copy(built_store, out)
    (out / version / "manifest.json").unlink()
    proc, url = start_gunicorn("gunicorn-store-cold", out, WORKERS=1, CACHE_DIR=tmp_path / "cache")
    try:
        status, body = _get(url + "/healthz")
        assert status == 503, proc.text()[-2000:]
        assert json.loads(body) == {"status": "indisponible", "version": None, "failed_version": version,
                                    "error": "manifest.json absent"}
        for path in ("/", "/indicateurs", "/territoire/D15"):
            status, body = _get(url + path)
            assert status == 503, path
            assert "Données momentanément indisponibles" in body and 'lang="fr"' in body.replace("'", '"')
        status, _body = _get(url + "/nulle-part")
        assert status == 404                              # a wrong address stays a wrong address
        log = proc.text()
        assert "Traceback" not in log
        assert log.count(f"version {version} illisible") == 1
    finally:
        proc.stop()
