"""A phone (390×844): every page usable without sideways scrolling, the DSFR frame drawn, the demo notice compact,
the territory profile read as one block per indicator. Screenshots in test-artifacts/phone-*.png."""
import pytest
from playwright.sync_api import expect

from .helpers import ROOT, wait_ready

# every chart and the map fit the viewport: they have settled their size after a resize
FITS = ("() => [...document.querySelectorAll('.js-plotly-plot .main-svg, .leaflet-container')]"
        ".every(e => e.getBoundingClientRect().width <= window.innerWidth + 1)")

# assets/charts.js has finished adapting the plan's trajectory chart to its width (its relayout and resize done)
ADAPTED = """(shape) => {
    const gd = document.querySelector('#plan-trajectory .js-plotly-plot');
    return !!gd && !gd.__adapting && typeof gd.__shape === 'string' && gd.__shape.startsWith(shape);
}"""

pytestmark = pytest.mark.browser

PAGES = ["/", "/carte", "/territoire/D15", "/indicateurs"]


def at_phone_size(page, url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    wait_ready(page)
    page.wait_for_function(FITS)                     # charts and map settle their size


@pytest.mark.parametrize("path", PAGES)
def test_no_sideways_scroll_at_390_px(live_server, page, path):
    at_phone_size(page, live_server.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the DSFR is there: the bloc-marque and the main navigation, the links visible without opening a menu
    expect(page.locator(".fr-header .fr-logo")).to_be_visible()
    expect(page.locator("nav.fr-nav a.fr-nav__link[href='/carte']")).to_be_visible()
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / f"phone-{path.strip('/').replace('/', '_') or 'plan'}.png"))


def test_demo_notice_leaves_the_first_screen_to_the_page(live_server, page):
    at_phone_size(page, live_server.url + "/")
    notice = page.locator(".demo-banner")
    if notice.count() == 0:
        pytest.skip("aucune valeur de démonstration dans ce jeu de données")
    assert notice.bounding_box()["height"] <= 844 / 5
    assert page.locator("#plan-quarter").bounding_box()["y"] < 844          # the first control is on screen 1


def test_profile_is_a_list_per_indicator_on_a_phone(live_server, page):
    at_phone_size(page, live_server.url + "/territoire/D15")
    rows = page.locator(".territoire-profile tbody tr")
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first["width"] <= 390 and second["y"] >= first["y"] + first["height"]     # blocks, one under the other
    cell = page.locator(".territoire-profile tbody tr td").first
    assert page.evaluate("e => getComputedStyle(e, '::before').content", cell.element_handle()) == '"Ce territoire"'
    # every table of the sheet fits the screen: none is wider than the box it is in (a table the DSFR lets
    # scroll sideways hid the year-on-year change and the France column)
    wider = page.evaluate("""() => Array.from(document.querySelectorAll('.territoire-sheet table'))
        .filter(t => t.getBoundingClientRect().width > t.closest('.fr-table, section').clientWidth + 1)
        .map(t => t.querySelector('th').innerText)""")
    assert wider == []


def test_plan_charts_fit_a_phone_and_widen_back(live_server, page):
    """Plotly never wraps a title: on a phone the plan's charts get their title block re-wrapped to their width
    (every word kept) and fewer x ticks (assets/charts.js); widened again, the server's layout is back."""
    at_phone_size(page, live_server.url + "/")
    page.wait_for_selector("#plan-trajectory .gtitle")
    measure = """(id) => {
        const gd = document.querySelector(id + ' .js-plotly-plot');
        const box = gd.getBoundingClientRect();
        const title = gd.querySelector('.gtitle');
        const ticks = [...gd.querySelectorAll('.xtick text')].map(t => t.getBoundingClientRect())
            .filter(r => r.width > 0).sort((a, b) => a.left - b.left);
        return {right: box.right, titleRight: title.getBoundingClientRect().right,
                words: title.textContent.replace(/\\s+/g, ''), ticks: ticks.length,
                overlap: ticks.some((r, i) => i && r.left < ticks[i - 1].right + 4)};
    }"""
    page.wait_for_function(ADAPTED, arg="narrow")        # charts.js has re-wrapped it at the phone width
    narrow = page.evaluate(measure, "#plan-trajectory")
    assert narrow["titleRight"] <= narrow["right"] + 1, narrow
    assert not narrow["overlap"] and narrow["ticks"] >= 2, narrow
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_function(ADAPTED, arg="wide")          # … and restored the server's layout
    wide = page.evaluate(measure, "#plan-trajectory")
    assert wide["words"] == narrow["words"]                     # the same text, only the line breaks differ
    assert wide["ticks"] > narrow["ticks"] and not wide["overlap"]
