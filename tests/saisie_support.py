"""Fixtures of the saisie tests: a real PostgreSQL server (Debian's ``postgresql``) and one fresh database
per test on each backend (SQLite file, PostgreSQL), migrated from empty by the application itself; a live
internal instance with its users (:func:`saisie_server`) and the browser's sign-in (:func:`sign_in`).

PostgreSQL refuses to run as root: the cluster belongs to the ``postgres`` system user (``runuser``), lives in a
temporary folder and listens on 127.0.0.1 on a free port; the session fixture stops it and removes it.
"""
from __future__ import annotations

import contextlib
import glob
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from dashboard import security

from .helpers import LiveServer, free_port, wait_ready
from .helpers.wait import until

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


# ---- a signed-in instance ------------------------------------------------------------------------

PASSWORD = "un mot de passe assez long"


@contextlib.contextmanager
def saisie_server(built_store: Path, folder: Path, users: dict[str, tuple], secret: str = "clef-de-test-saisie-0123456789"):
    """The internal app on a copy of ``built_store`` (``folder/processed``) with its users file (``users``:
    name → (role,) or (role, scope), all with :data:`PASSWORD`) and a SQLite saisie database; the server carries
    ``database_url`` and ``data_dir``. Stopped on exit."""
    shutil.copytree(built_store, folder / "processed")
    users_file = folder / "users"
    for name, (role, *scope) in users.items():
        security.add_user(users_file, name, PASSWORD, role, *scope)
    url = f"sqlite:///{folder / 'saisie.sqlite3'}"
    server = LiveServer(data_dir=folder / "processed", extra_env={
        "ACCES_SOINS_USERS_FILE": str(users_file), "ACCES_SOINS_DATABASE_URL": url,
        "ACCES_SOINS_SECRET_KEY": secret})
    server.database_url, server.data_dir = url, folder / "processed"
    try:
        yield server
    finally:
        server.stop()


def sign_in(page, base: str, name: str, target: str = "/saisie") -> None:
    """Sign ``name`` in through the login form in a browser ``page`` (signing out whoever was in)."""
    page.goto(f"{base}/deconnexion")
    page.goto(f"{base}/connexion?suivant={target}")
    page.fill("#connexion-nom", name)
    page.fill("#connexion-mdp", PASSWORD)
    page.click("button[type=submit]")
    wait_ready(page)


def run_job(base: str, opener, dep: dict, inputs: list[dict], state: list[dict] = (), page: str = "/saisie",
            timeout: float = 180) -> tuple[int, dict | None, list[str]]:
    """Run the background callback ``dep`` over HTTP as dash-renderer does: start it with the signed ``endId`` of
    ``page``, then poll its handles until it answers. (status, answer, progress texts seen); the status is the
    first one other than 200 (a refused start or poll), with no answer."""
    from .test_security import call, parse_outputs

    _status, _h, html = call(base, page, opener=opener, method="GET")
    config = re.search(r'<script id="_dash-config" type="application/json"[^>]*>(.*?)</script>', html, re.S)
    end_id = json.loads(config.group(1)).get("end_id", "") if config else ""
    outs = parse_outputs(dep["output"])
    payload = {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0], "inputs": inputs,
               "state": list(state), "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    status, _h, text = call(base, f"/_dash-update-component?endId={end_id}", payload, opener=opener)
    if status != 200:
        return status, None, []
    started = json.loads(text)
    query = f"endId={end_id}&cacheKey={started['cacheKey']}&job={started['job']}"
    progress = []

    def polled():
        status, _h, text = call(base, f"/_dash-update-component?{query}", payload, opener=opener)
        if status not in (200, 204):
            return status, None, progress
        answer = json.loads(text) if text.strip() else {}
        progress.extend(str(v) for v in (answer.get("progress") or {}).values())
        return (200, answer, progress) if "response" in answer else None
    return until(polled, timeout, "la tâche de fond n'a pas abouti", interval=0.2)
