"""Fixtures of the saisie tests: a real PostgreSQL server (Debian's ``postgresql``) and one fresh database
per test on each backend (SQLite file, PostgreSQL), migrated from empty by the application itself.

PostgreSQL refuses to run as root: the cluster belongs to the ``postgres`` system user (``runuser``), lives in a
temporary folder and listens on 127.0.0.1 on a free port; the session fixture stops it and removes it.
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .helpers import free_port

_COUNTER = itertools.count(1)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server():
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/`` of a throw-away cluster (skipped without postgresql)."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL absent : « make test » installe le paquet Debian postgresql")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("runuser absent : impossible de lancer PostgreSQL sous l'utilisateur postgres")
    folder = Path(tempfile.mkdtemp(prefix="pg-saisie-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    log = folder / "server.log"
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                 "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True, cwd=folder)
    subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                                 f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
                   check=True, capture_output=True, cwd=folder)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(backend: str, tmp_path: Path, request) -> str:
    """A URL to an empty database on ``backend`` (nothing created in it: the app migrates it)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'saisie.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    name = f"saisie_{os.getpid()}_{next(_COUNTER)}_{int(time.time())}"
    import sqlalchemy as sa

    eng = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return new_database(request.param, tmp_path, request)
