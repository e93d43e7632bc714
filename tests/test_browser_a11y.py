"""Every page, keyboard and assistive technologies: axe-core clean with a dropdown open too, a visible focus ring
on every control, plotly's toolbar reduced and in French with no cloud upload, the search box by keyboard only."""
import re

import pytest

from .helpers import NEXT_FRAMES, axe_violations, open_first_dropdown, tab_through, wait_ready

pytestmark = pytest.mark.browser

PAGES = ["/", "/carte", "/territoire/D15", "/indicateurs"]
WITH_CHARTS = {"/", "/territoire/D15"}
CLOUD = re.compile(r"share|partag|cloud|chart studio|plotly\.com|plot\.ly", re.I)


def load(page, base, path):
    page.goto(base + path)
    wait_ready(page)
    if path in WITH_CHARTS:                                   # the charts draw after the page is ready
        page.wait_for_selector(".js-plotly-plot .main-svg")
        page.wait_for_function(NEXT_FRAMES)


@pytest.mark.parametrize("path", PAGES)
def test_axe_clean_with_a_dropdown_open(live_server, page, path):
    load(page, live_server.url, path)
    assert axe_violations(page) == []
    if open_first_dropdown(page):
        assert axe_violations(page) == [], "liste déroulante ouverte"
        page.keyboard.press("Escape")


@pytest.mark.parametrize("path", PAGES)
def test_every_control_shows_a_focus_ring(live_server, page, path):
    load(page, live_server.url, path)
    seen = [f for f in tab_through(page, 40) if f["id"]]
    assert len(seen) >= 10
    thin = {f["id"] for f in seen if f["ring"] < 2}
    assert not thin, f"anneau de focus de moins de 2 px : {sorted(thin)}"


@pytest.mark.parametrize("path", ["/", "/territoire/D15"])
def test_charts_offer_no_cloud_upload_and_speak_french(live_server, page, path):
    load(page, live_server.url, path)
    buttons = page.eval_on_selector_all(
        ".modebar-btn", "els => els.map(e => e.getAttribute('data-title') || e.getAttribute('aria-label') || '')")
    assert not [b for b in buttons if CLOUD.search(b)]
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert not [h for h in links if CLOUD.search(h)]
    assert "Plotly Cloud" not in page.content()
    if path == "/":        # the committee's charts keep two tools, labelled in French, and their tables
        assert set(buttons) == {"Télécharger le graphique en PNG", "Réinitialiser les axes"}
        assert page.locator("table#plan-trajectory-table, table#plan-breakdown-table").count() == 2
    else:                  # the sheet's small multiples: no toolbar, a table in every chart's card
        assert buttons == []
        cards = page.locator(".trend-card:has(.js-plotly-plot)")
        assert cards.count() >= 1 and cards.count() == page.locator(".trend-card:has(.js-plotly-plot) table").count()


def test_search_by_keyboard_only(live_server, page):
    page.goto(live_server.url + "/carte")
    wait_ready(page)
    presses = [f["id"] for f in tab_through(page, 5)]
    assert "search-input" in presses                       # a few Tab presses from the top of the page
    tab_through(page, presses.index("search-input") + 1)
    assert page.evaluate("() => document.activeElement.id") == "search-input"
    page.keyboard.type("Rouget")
    page.wait_for_selector("#search-results a.search-link")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.textContent").startswith("Le Rouget-Pers")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.id") == "search-input"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.evaluate("() => [document.activeElement.id, document.activeElement.value]") == ["search-input",
                                                                                               "Rouget"]
    page.keyboard.press("Enter")
    # the map's quarter goes along (assets/nav.js): /territoire/C15268?trimestre=…
    page.wait_for_url(re.compile(r"/territoire/C15268\?trimestre=\d{4}Q[1-4]$"))
    wait_ready(page)
    assert "Le Rouget-Pers" in page.inner_text("h1")


def test_search_enter_faster_than_the_suggestions(live_server, page):
    page.goto(live_server.url + "/indicateurs")
    wait_ready(page)
    page.focus("#search-input")
    page.keyboard.type("le rouget pers")
    page.keyboard.press("Enter")                  # before the suggestions arrive: opened once they do
    page.wait_for_url("**/territoire/C15268")
