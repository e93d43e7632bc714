"""Shared fixtures, and the tier of every test.

Tiers (pytest.ini, ``--strict-markers``), given here by what a test uses so that a new test file gets one
without saying so (an explicit marker wins):

* ``browser``: headless Chromium — a ``test_browser_*`` file, or the ``page``/``browser`` fixtures;
* ``slow``: whole processes that take seconds each (gunicorn + Redis + Celery, servers and CLIs in
  subprocesses, whole builds and publications of a raw folder, the real open-data samples) — files in
  :data:`SLOW_FILES`, fixtures in :data:`SLOW_FIXTURES`, or ``@pytest.mark.slow``;
* ``integration``: a store, a database, a server, files on disk, the pipeline (fixtures in
  :data:`INTEGRATION_FIXTURES`);
* ``unit``: everything else — pure functions over values, milliseconds.

``make test-fast`` runs unit and integration; ``make test`` everything (see the README, *Tests*).

* ``opendata``: real open-data samples, read from ACCES_SOINS_OPENDATA (set by .ci/run to
  ../shared/opendata); tests that need them are skipped, with the reason shown, when absent.
* ``built_store``: the embedded default data built once per session into a temporary store shared by the
  pytest-xdist workers (tests.helpers.pipeline.shared_store); never write into it — publish a copy
  (``publish_copy(built_store, out)``) to damage or replace a version.
* ``public_server``: the public (kiosk) instance on that store, one per session.
* ``live_server`` / ``page``: the app served on a free loopback port and a headless Chromium
  page that blocks every non-local request and fails the test on console errors.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .helpers import RAW, ROOT, Browser, LiveServer  # noqa: F401  (RAW: imported from here by older tests)
from .helpers.pipeline import shared_store

SLOW_FILES = {"test_production.py", "test_store_safety.py", "test_pipeline_opendata.py", "test_read_cache.py"}
# the real open-data samples (read and built: test_official_files, test_state_figures…), the ARA folder built;
# the saisie's command lines run as processes (cli_env); whole builds of a raw folder made for one module (two
# releases of the baromètre, the default data under other thresholds)
SLOW_FIXTURES = {"ara_store", "opendata", "cli_env", "two_builds", "low_thresholds"}
INTEGRATION_FIXTURES = {"built_store", "geo_built_store", "store_data", "app", "app_settings", "live_server", "public_server",
                        "opendata", "database_url", "postgres_server", "tmp_path", "tmp_path_factory", "capfd"}
TIERS = ("unit", "integration", "browser", "slow")


# The order files are handed to the two workers (--dist loadfile hands them out as workers free up): the files
# of seconds-long tests first, the short ones last, so that the run does not end on one worker finishing a long
# browser file while the other idles (longest first: the tail is made of unit tests).
ORDER = {"browser": 0, "slow": 1, "integration": 2, "unit": 3}


def pytest_collection_modifyitems(config, items):
    _mark_tiers(items)
    rank: dict = {}
    for item in items:
        tier = next(t for t in TIERS if item.get_closest_marker(t))
        rank[item.path] = min(rank.get(item.path, 9), ORDER[tier])
    sizes: dict = {}
    for item in items:
        sizes[item.path] = sizes.get(item.path, 0) + 1
    items.sort(key=lambda item: (rank[item.path], -sizes[item.path] if rank[item.path] < 2 else 0, str(item.path)))


def _mark_tiers(items) -> None:
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        name = item.path.name
        used = set(getattr(item, "fixturenames", ()))
        if name.startswith("test_browser_") or used & {"page", "browser"}:
            item.add_marker(pytest.mark.browser)
        elif name in SLOW_FILES or used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        elif used & INTEGRATION_FIXTURES:
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


def _session_folder(tmp_path_factory) -> Path:
    """A temporary folder shared by every pytest-xdist worker of this session (each has its own basetemp,
    in one parent folder per session)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def opendata() -> Path:
    folder = os.environ.get("ACCES_SOINS_OPENDATA", "")
    if not folder or not Path(folder).is_dir():
        pytest.skip("données ouvertes réelles absentes : définir ACCES_SOINS_OPENDATA (voir README)")
    return Path(folder)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Path:
    return shared_store(_session_folder(tmp_path_factory) / "shared")


@pytest.fixture(scope="session")
def geo_built_store(tmp_path_factory) -> Path:
    """The default data plus the geography fixture (tests/fixtures/geo: a CPTS list, zoning decrees), built once
    per session for the map layers, the CPTS/zoning rules and the map page's layers."""
    return shared_store(_session_folder(tmp_path_factory) / "shared", extra=(ROOT / "tests" / "fixtures" / "geo",))


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
def public_server(built_store):
    """The public instance (kiosk only) on the default store."""
    server = LiveServer(data_dir=built_store, public=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test (``item.failed_call``), for the fixtures that keep evidence of a failure."""
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def page(browser, request):
    pg = browser.tab()
    yield pg
    # the page as it was when the test failed (test-artifacts/<test>.png); none when it passed: a full-page
    # screenshot of every browser test cost ≈ 0,5 s of CPU each, a minute of the suite's
    if getattr(request.node, "failed_call", True):
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        try:
            pg.screenshot(path=str(artifacts / f"{request.node.name.replace('/', '_')}.png"), full_page=True)
        except Exception:
            pass
    errors = list(pg.console_errors)
    browser.close_tab(pg)
    assert not errors, f"erreurs dans la console du navigateur : {errors}"


@pytest.fixture(scope="session", autouse=True)
def _no_stray_artifacts():
    yield
    shutil.rmtree(ROOT / ".pytest_cache", ignore_errors=True)


# Saisie: a real PostgreSQL server for the session and a fresh database per test on each backend.
from .saisie_support import database_url, postgres_server  # noqa: E402,F401
