"""Fiche territoire in headless Chromium: search, one sheet per level, print view, PDF, CSV, 404, axe-core."""
from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request

import pytest

from dashboard import appraisal, fmt, sheet
from dashboard import store as store_mod

from .helpers import ROOT, axe_violations, wait_ready
from .test_pipeline_store import show

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts"


def _shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"territoire-{name}.png"), full_page=True)


def _open(page, live_server, path):
    page.goto(live_server.url + path)
    wait_ready(page)
    page.wait_for_selector("h1")


def test_search_rouget_finds_le_rouget_pers(live_server, page):
    _open(page, live_server, "/indicateurs")
    page.fill("#search-input", "rouget")
    link = page.locator("#search-results a", has_text="Le Rouget-Pers")
    link.wait_for()
    assert "commune" in page.inner_text("#search-results").lower()
    assert "trouvé" in page.inner_text("#search-status")
    _shot(page, "search")
    page.keyboard.press("ArrowDown")                 # keyboard: into the suggestions, then open
    assert page.evaluate("document.activeElement.classList.contains('search-link')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/territoire/C15268")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "Le Rouget-Pers"
    assert page.input_value("#search-input") == ""  # suggestions cleared after navigation
    assert axe_violations(page) == []


@pytest.mark.parametrize("code,name", [("FR", "France"), ("R84", "Auvergne-Rhône-Alpes"), ("D15", "Cantal"),
                                       ("E241500230", "CA du Bassin d'Aurillac"), ("C15014", "Aurillac")])
def test_sheet_loads_for_each_level(live_server, page, store_data, code, name):
    _open(page, live_server, f"/territoire/{code}")
    assert page.locator("h1").inner_text() == name
    text = page.inner_text("main")
    for heading in sheet.SECTIONS:
        assert heading in text
    assert store_data.version in text
    s = sheet.assemble(store_data, code)
    if s["trends"]:                      # plotly draws asynchronously: wait for the charts before the screenshot
        page.wait_for_selector(".territoire-graph .main-svg")
        assert page.locator(".territoire-graph").count() == len(s["trends"])
        assert page.locator(".chart-table").count() == len(s["trends"])   # every chart has its table
    assert (page.locator(".demo-banner").count() == 1) == s["provenance"]["has_demo"]
    assert "aucune structure chargée (répertoire FINESS non fourni)".lower() in text.lower()
    _shot(page, code)
    assert axe_violations(page) == []


def test_sheet_values_equal_the_cli(live_server, page, built_store, store_data):
    """The sheet of D15 at T4 2023 shows what `python -m dashboard.pipeline show` prints."""
    _open(page, live_server, "/territoire/D15?trimestre=2023Q4")
    rows = {r.locator("th").inner_text().split("\n")[0].split(" (T")[0]: r for r in
            page.locator(".territoire-profile tbody tr").all()}
    checked = 0
    for ident in ("msp_count", "cpts_coverage_pct", "mcs_count", "msu_count"):
        (line, *_rest) = show(built_store, ident, "D15", "2023Q4")
        ind = store_mod.indicator(store_data, ident)
        cell = rows[ind["label"]].locator("td").first.inner_text()
        assert fmt.value(line["value"], ind["unit"]) in cell, (ident, cell, line)
        checked += 1
        # and the region column against the CLI too
        (reg, *_r) = show(built_store, ident, "R84", "2023Q4")
        assert fmt.value(reg["value"], ind["unit"]) in rows[ind["label"]].locator("td").nth(1).inner_text()
    assert checked >= 3


def test_quarter_selector_and_bad_quarter(live_server, page):
    _open(page, live_server, "/territoire/D15?trimestre=2099Q9")
    assert "non reconnu" in page.inner_text(".territoire-message")
    _open(page, live_server, "/territoire/D15?trimestre=2021Q2")
    assert "T2 2021" in page.inner_text(".territoire-header")
    assert page.input_value("#territoire-quarter") == "2021Q2"
    page.select_option("#territoire-quarter", "2022Q4")
    page.click("#territoire-quarter-submit")
    page.wait_for_url("**trimestre=2022Q4")
    wait_ready(page)
    assert "T4 2022" in page.inner_text(".territoire-header")


def test_print_view_has_no_navigation(live_server, page):
    _open(page, live_server, "/territoire/D15")
    page.emulate_media(media="print")
    assert not page.locator("nav.site-nav").is_visible()
    assert not page.locator(".territoire-toolbar").is_visible()
    assert page.locator("h1").is_visible()
    page.emulate_media(media="screen")
    page.click("#territoire-print-link")
    page.wait_for_url("**impression=1**")
    wait_ready(page)
    assert not page.locator("nav.site-nav").is_visible()     # print view: no site frame on screen either
    page.emulate_media(media="print")
    _shot(page, "print")
    assert axe_violations(page) == []


def test_print_button_prints_the_print_view(live_server, page):
    """« Imprimer » on the screen page prints the print view (its charts are drawn at paper width), once its
    charts are drawn; the address then no longer asks to print (a reload does not print again)."""
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    _open(page, live_server, "/territoire/D15")
    page.click("#territoire-print")
    page.wait_for_url("**impression=1**")
    page.wait_for_function("() => window.__printed === 1")
    assert page.locator(".territoire-print-view").count() == 1
    assert page.locator(".territoire-graph .main-svg").count() >= 1
    assert "imprimer" not in page.url
    page.click("#territoire-print")                       # in the print view, the button prints directly
    page.wait_for_function("() => window.__printed === 2")


def test_printed_sheet_flows_without_blank_pages(live_server, page):
    """Chromium's own print of the print view (what « Imprimer » gives on paper): sections flow one after the
    other, so a département fits in at most five A4 pages, none of them blank (it was nine, one per section);
    the charts are drawn at their paper width (no chart wider than its card). Pages as PNG in
    test-artifacts/territoire-impression-*.png with `pdftoppm` when available."""
    import shutil
    import subprocess

    from pypdf import PdfReader

    _open(page, live_server, "/territoire/D15?impression=1")
    page.wait_for_selector(".territoire-graph .main-svg")
    page.emulate_media(media="print")
    assert page.evaluate("() => [...document.querySelectorAll('.trend-card')].every(card => "
                         "[...card.querySelectorAll('.main-svg')].every(svg => "
                         "svg.getBoundingClientRect().width <= card.getBoundingClientRect().width + 1))")
    path = ROOT / "test-artifacts" / "territoire-impression.pdf"
    path.write_bytes(page.pdf(format="A4", print_background=True, prefer_css_page_size=True))
    pages = PdfReader(str(path)).pages
    texts = [p.extract_text().strip() for p in pages]
    assert 1 <= len(pages) <= 5, len(pages)
    assert all(len(t) > 200 for t in texts), [len(t) for t in texts]          # no blank or near-blank page
    assert "Cantal" in texts[0] and "Provenance des données" in texts[-1]      # all sections, in order
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(ROOT / "test-artifacts" / "territoire-impression")],
                       check=True, timeout=60)


def test_pdf_and_csv_downloads(live_server, page, store_data):
    from pypdf import PdfReader

    _open(page, live_server, "/territoire/D15")
    start = time.perf_counter()
    with page.expect_download(timeout=60000) as info:
        page.click("#territoire-pdf")
    download = info.value
    elapsed = time.perf_counter() - start
    assert download.suggested_filename.startswith("fiche-territoire-D15-")
    text = "\n".join(p.extract_text() for p in PdfReader(download.path()).pages)
    flat = " ".join(text.split())
    assert "Cantal" in text and store_data.version in flat
    for heading in sheet.SECTIONS:
        assert heading in flat, heading
    assert "/territoire/D15?trimestre=" in flat
    page.wait_for_selector("#territoire-pdf-status:has-text('PDF prêt')")
    (ROOT / "test-artifacts" / "territoire-pdf-timing.json").write_text(
        json.dumps({"territory": "D15", "seconds_click_to_download": round(elapsed, 2)}))
    with page.expect_download() as info:
        page.click("#territoire-csv")
    csv = open(info.value.path(), encoding="utf-8-sig").read()
    # the internal instance: the team's appraisal columns follow the values (tests/test_appraisals.py)
    assert csv.splitlines()[0].split(";") == sheet.TABLE_COLUMNS + appraisal.EXPORT_COLUMNS
    assert "démo" in csv and "observée" in csv            # French statuses, as in the plan CSV


def test_unknown_code_is_a_real_404_with_suggestions(live_server):
    for path in ("/territoire/D99", "/territoire/d15", "/territoire/%3Cscript%3E"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(live_server.url + path)
        assert exc.value.code == 404
        body = exc.value.read().decode()
        assert "Territoire introuvable" in body and "<script>" not in body
        assert 'href="/territoire' in body
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(live_server.url + "/territoire/d15")
    assert "/territoire/D15" in exc.value.read().decode()


def test_client_side_unknown_code_is_friendly(live_server, page):
    _open(page, live_server, "/territoire")
    assert "Cantal (15)" in page.inner_text("main")
    page.evaluate("window.history.pushState({}, '', '/territoire/D99'); "
                  "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'))")
    page.wait_for_selector("text=Territoire introuvable")
    assert page.locator(".territoire-unknown a").count() >= 1
    _shot(page, "unknown")


def test_landing_lists_region_and_its_departements(live_server, page):
    _open(page, live_server, "/territoire")
    links = page.locator(".territoire-links a")
    assert links.count() == 13
    page.fill("#search-page-input", "st etienne")
    page.locator("#search-page-results a", has_text="Saint-Étienne").first.wait_for()
    _shot(page, "landing")
    assert axe_violations(page) == []
