"""« Suivi du plan » in headless Chromium: latest quarter by default, card selection shows the trajectory,
the quarter in the URL drives the figures, CSV download, keyboard use, no console error, axe-core clean."""
from __future__ import annotations

import io
import re
import time

import pandas as pd
import pytest
from playwright.sync_api import expect

from dashboard import fmt

from .helpers import NEXT_FRAMES, axe_violations, wait_ready
from .test_plan_page import show

pytestmark = pytest.mark.browser


def card_value(page, indicator: str) -> str:
    return page.inner_text(f"#plan-card-{indicator} .card-value").strip()


def wait_card_value(page, indicator: str, text: str) -> None:
    """Wait until a card shows ``text`` (the page may be re-rendered by the pages router meanwhile)."""
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel) || {}).innerText === text",
        arg=[f"#plan-card-{indicator} .card-value", text])


def test_plan_loads_with_the_session_quarter(live_server, page, store_data):
    page.goto(live_server.url + "/")
    wait_ready(page)
    assert page.inner_text("h1") == "Suivi du plan"
    # the newest quarter with an observed plan figure (the départements' CPTS coverage), and the page says so
    assert "situation au T2 2024" in page.inner_text("#plan-heading")
    assert page.inner_text("#plan-quarter") == "T2 2024"
    assert page.inner_text("#plan-quarter-hint").startswith("Par défaut : T2 2024")
    assert page.locator(".plan-card").count() == int(store_data.indicators["plan"].sum())
    assert "Ce trimestre" in page.inner_text("main") and "en retard" in page.inner_text("#plan-summary")
    assert "Données de démonstration" not in page.inner_text("#plan-banner")   # the plan's figures are all real
    assert page.inner_text("#plan-freshness").startswith("Données les plus récentes : ")
    assert store_data.version in page.inner_text("#plan-data-version")
    page.wait_for_selector("#plan-trajectory .js-plotly-plot")
    assert axe_violations(page) == []


def test_selecting_an_indicator_shows_its_trajectory(live_server, page):
    page.goto(live_server.url + "/")
    wait_ready(page)
    page.click("#plan-card-cpts_coverage_pct .card-select")
    page.wait_for_function(
        "() => document.querySelector('#plan-detail-title').innerText.includes('couverte par une CPTS')")
    wait_ready(page)
    page.wait_for_selector("#plan-trajectory .js-plotly-plot")
    assert "indicateur=cpts_coverage_pct" in page.url and "trimestre=2024Q2" in page.url
    assert page.get_attribute("#plan-card-cpts_coverage_pct .card-select", "aria-pressed") == "true"
    assert page.get_attribute("#plan-card-msp_count .card-select", "aria-pressed") == "false"
    legend = page.inner_text("#plan-trajectory")
    assert "trajectoire requise" in legend and "projection au rythme récent" in legend
    assert page.locator("#plan-breakdown-table tbody tr").count() == 12
    assert axe_violations(page) == []


@pytest.mark.parametrize("indicator", ["msp_count", "cpts_coverage_pct", "cds_pluripro_count"])
def test_quarter_in_the_url_changes_the_figures(live_server, page, built_store, store_data, indicator):
    unit = store_data.indicators.loc[indicator, "unit"]
    seen = {}
    for quarter in ("2023Q4", "2023Q1"):
        page.goto(f"{live_server.url}/?trimestre={quarter}&indicateur={indicator}")
        wait_ready(page)
        assert page.inner_text("#plan-quarter") == fmt.quarter(quarter)
        expected = show(built_store, indicator, "R84", quarter)["observation"]["value"]
        seen[quarter] = card_value(page, indicator)
        assert seen[quarter] == fmt.value(expected, unit)
        assert fmt.quarter(quarter) in page.inner_text("#plan-trajectory")
    assert seen["2023Q4"] != seen["2023Q1"]


def test_keyboard_changes_the_quarter_and_the_url(live_server, page):
    page.goto(live_server.url + "/")
    wait_ready(page)
    page.wait_for_selector("#plan-cards .plan-card")
    # the last tab stop before the page's controls: the demo notice's « En savoir plus », else the last nav link
    before = "#plan-banner summary" if page.locator("#plan-banner summary").count() else "a.nav-link[href='/indicateurs']"
    page.focus(before)
    page.keyboard.press("Tab")
    page.wait_for_function("() => document.activeElement.id === 'plan-quarter'", timeout=5000)
    page.keyboard.press("Enter")
    # the open dropdown: its options are native radios (assets/a11y.js drops Dash 4's role=option wrappers)
    page.wait_for_selector(".dash-dropdown-content[data-state=open] input[type=radio]")
    page.wait_for_function(NEXT_FRAMES)               # the accessibility shims run on the next animation frame
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.activeElement.closest('.dash-dropdown-content')")
    for _ in range(3):                 # T2 2024 (the session's) → T1 2024 → T4 2023 → T3 2023 → T2 2023
        page.keyboard.press("ArrowDown")
    page.wait_for_function(NEXT_FRAMES)
    chosen = page.evaluate("() => document.activeElement.value || "
                           "document.activeElement.querySelector('input') && "
                           "document.activeElement.querySelector('input').value")
    assert chosen == "2023Q2"
    page.keyboard.press("Enter")
    wait_card_value(page, "msp_count", "360")
    assert "T2 2023" in page.inner_text("#plan-heading") and "trimestre=2023Q2" in page.url
    # a slow machine (CI under load, CPU throttled 4×): the page applies the history's state seconds after the
    # popstate, which must still not push a history entry (it dropped the forward one: CI failed on it)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.go_back()  # back to « / »: the session's quarter again (T2 2024: the MSP count as of it, of T4 2023)
    wait_card_value(page, "msp_count", "383")
    page.go_forward()
    wait_card_value(page, "msp_count", "360")
    wait_ready(page)
    assert "trimestre=2023Q2" in page.url and "T2 2023" in page.inner_text("#plan-heading")


def test_csv_download(live_server, page):
    page.goto(live_server.url + "/?trimestre=2023Q4")
    wait_ready(page)
    with page.expect_download() as info:
        page.click("#plan-export-csv")
    download = info.value
    assert download.suggested_filename == "suivi-plan-R84-2023Q4.csv"
    with open(download.path(), encoding="utf-8-sig") as fh:
        df = pd.read_csv(io.StringIO(fh.read()), sep=";", decimal=",")
    assert {"statut_donnee", "source", "trimestre_valeur", "statut_plan"} <= set(df.columns)
    msp = df[(df.indicateur == "msp_count") & (df.territoire == "R84") & (df.trimestre == "2023Q4")]
    assert msp.valeur.tolist() == [383]
    with page.expect_download() as info:
        page.click("#plan-export-xlsx")
    assert info.value.suggested_filename == "suivi-plan-R84-2023Q4.xlsx"


def test_chart_png_export(live_server, page):
    page.goto(live_server.url + "/?trimestre=2023Q4&indicateur=msp_count")
    wait_ready(page)
    page.wait_for_selector("#plan-trajectory .js-plotly-plot")
    with page.expect_download() as info:
        page.click("#plan-trajectory-png")
    assert info.value.suggested_filename == "plan-msp_count-2023Q4.png"
    with open(info.value.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as info:
        page.click("#plan-breakdown-png")
    assert info.value.suggested_filename == "plan-msp_count-departements-2023Q4.png"


def test_the_quarter_chosen_carries_to_the_next_page(live_server, page):
    """One quarter for the session: the nav's links to the map and the sheets take the page's quarter (a new tab
    too: the link's address says it); the definitions, the kiosk and the saisie keep their own."""
    page.goto(live_server.url + "/?trimestre=2023Q2")
    wait_ready(page)
    carte = page.locator(".site-nav a", has_text="Carte")
    carte.hover()
    assert carte.get_attribute("href") == "/carte?trimestre=2023Q2"
    carte.click()
    expect(page).to_have_url(re.compile(r"/carte\?(.*&)?trimestre=2023Q2"))
    wait_ready(page)
    expect(page.locator("#carte-caption")).to_contain_text("T2 2023")
    page.locator(".site-nav a", has_text="Territoires").click()
    expect(page).to_have_url(re.compile(r"/territoire\?trimestre=2023Q2$"))
    wait_ready(page)
    page.locator(".territoire-links a", has_text="Cantal").click()           # the index of the sheets
    expect(page).to_have_url(re.compile(r"/territoire/D15\?trimestre=2023Q2$"))
    wait_ready(page)
    expect(page.locator("#territoire-quarter")).to_have_value("2023Q2")
    page.locator(".site-nav a", has_text="Indicateurs").click()
    expect(page).to_have_url(re.compile(r"/indicateurs$"))
    assert page.locator(".site-nav a", has_text="Kiosque").get_attribute("href") == "/kiosque"
