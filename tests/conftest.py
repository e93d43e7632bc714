"""Shared fixtures.

* ``opendata``: real open-data samples, read from ACCES_SOINS_OPENDATA (set by .ci/run to
  ../shared/opendata); tests that need them are skipped, with the reason shown, when absent.
* ``built_store``: the embedded default data built once into a temporary store.
* ``live_server`` / ``page``: the app served on a free loopback port and a headless Chromium
  page that blocks every non-local request and fails the test on console errors.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dashboard.pipeline.build import build

from .helpers import ROOT, Browser, LiveServer

RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def opendata() -> Path:
    folder = os.environ.get("ACCES_SOINS_OPENDATA", "")
    if not folder or not Path(folder).is_dir():
        pytest.skip("données ouvertes réelles absentes : définir ACCES_SOINS_OPENDATA (voir README)")
    return Path(folder)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store")
    result = build([RAW], out, region="R84", echo=lambda _line: None)
    assert result.published
    return out


@pytest.fixture(scope="session")
def store_data(built_store):
    from dashboard import store

    return store.open_store(built_store)


@pytest.fixture(scope="session")
def app_settings(built_store):
    """Settings of the internal app on the default store, installed for callback tests."""
    from dashboard import settings

    conf = settings.Settings(data_dir=built_store, secret_key="test")
    return settings.use(conf)


@pytest.fixture(scope="session")
def app(app_settings):
    """The internal app on the default store: its pages and callbacks registered, for callback tests."""
    from dashboard.webapp import create_app

    return create_app(app_settings)


@pytest.fixture(scope="session")
def live_server(built_store):
    server = LiveServer(data_dir=built_store)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture
def page(browser, request):
    pg = browser.new_page()
    yield pg
    name = request.node.name.replace("/", "_")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    except Exception:
        pass
    errors = list(pg.console_errors)
    pg.context.close()
    assert not errors, f"erreurs dans la console du navigateur : {errors}"


@pytest.fixture(scope="session", autouse=True)
def _no_stray_artifacts():
    yield
    shutil.rmtree(ROOT / ".pytest_cache", ignore_errors=True)


# Saisie: a real PostgreSQL server for the session and a fresh database per test on each backend.
from .saisie_support import database_url, postgres_server  # noqa: E402,F401
