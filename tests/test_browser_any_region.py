"""Any region, or France: a store built with ``--region 53`` (Bretagne) from the embedded reference and a tiny
plan table, served with ACCES_SOINS_REGION=53, names Bretagne and its départements and never Auvergne; a
national build served with ACCES_SOINS_REGION=FR draws the plan page and the map at France level."""
from __future__ import annotations

import shutil

import pytest

from dashboard.pipeline.__main__ import main as pipeline_main

from .helpers import RAW, axe_violations, LiveServer, wait_ready

pytestmark = pytest.mark.browser
PLAN = """indicateur,territoire,trimestre,valeur,statut,source,note
msp_count,R53,2023Q4,120,observed,Essai (fictif),
msp_count,D29,2023Q4,40,observed,Essai (fictif),
msp_count,D35,2023Q4,35,observed,Essai (fictif),
msp_count,D22,2023Q4,25,observed,Essai (fictif),
msp_count,D56,2023Q4,20,observed,Essai (fictif),
msp_count,FR,2023Q4,2500,observed,Essai (fictif),
"""
BRETAGNE = {"Finistère", "Ille-et-Vilaine", "Côtes-d'Armor", "Morbihan"}


def tiny_raw(folder):
    for part in ("catalogue", "reference"):
        shutil.copytree(RAW / part, folder / part)
    (folder / "plan").mkdir()
    (folder / "plan" / "suivi.csv").write_text(PLAN, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    raw = tiny_raw(tmp_path_factory.mktemp("raw-any"))
    servers = {}
    for region in ("53", "FR"):
        out = tmp_path_factory.mktemp(f"store-{region}")
        assert pipeline_main(["build", "--raw", str(raw), "--out", str(out), "--region", region]) == 0
        servers[region] = LiveServer(data_dir=out, extra_env={"ACCES_SOINS_REGION": region})
    # one whole-France build, served for one region: the instance shows that region only
    servers["FR-53"] = LiveServer(data_dir=out, extra_env={"ACCES_SOINS_REGION": "53"})
    yield servers
    for server in servers.values():
        server.stop()


@pytest.mark.parametrize("build", ["53", "FR-53"])
def test_bretagne_named_with_its_departements_never_auvergne(served, page, build):
    """Built for Bretagne, or for all of France and served for Bretagne: the same Bretagne-only instance."""
    server = served[build]
    page.goto(server.url + "/")
    wait_ready(page)
    text = page.inner_text("body")
    assert "Bretagne" in text and "Auvergne" not in text
    page.goto(server.url + "/carte")
    wait_ready(page)
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path').length === 4")
    rows = set(page.eval_on_selector_all("#carte-table tbody a", "els => els.map(e => e.innerText)"))
    assert rows == BRETAGNE
    # the map opens on Bretagne: its centre is west of 0° (Auvergne-Rhône-Alpes is east of 2°)
    assert "Auvergne" not in page.content() and "Rhône" not in page.inner_text("body")
    page.goto(server.url + "/territoire/R53")
    wait_ready(page)
    assert "Bretagne" in page.inner_text("h1") and "Auvergne" not in page.content()
    assert axe_violations(page) == []


def test_france_level_plan_sheet_and_map(served, page):
    server = served["FR"]
    page.goto(server.url + "/")
    wait_ready(page)
    assert "France" in page.inner_text("body")
    page.goto(server.url + "/carte")
    wait_ready(page)
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path').length > 95")
    assert "départements de France" in page.inner_text("#carte-caption")
    page.goto(server.url + "/territoire/FR")
    wait_ready(page)
    assert "France" in page.inner_text("h1")
    assert not page.console_errors
