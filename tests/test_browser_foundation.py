"""Home page and /indicateurs in headless Chromium: they load, list the catalogue, pass axe-core."""
import urllib.request

import pytest

from .helpers import axe_violations, wait_ready

pytestmark = pytest.mark.browser


def test_indicateurs_lists_the_catalogue(live_server, page, store_data):
    page.goto(live_server.url + "/indicateurs")
    wait_ready(page)
    text = page.inner_text("main")
    for label in store_data.indicators["label"]:
        assert label in text
    assert "590" in text                   # the MSP target, from the catalogue
    assert page.locator("html").get_attribute("lang") == "fr"
    assert store_data.version in page.inner_text("footer")
    assert axe_violations(page) == []


def test_home_page_loads_with_navigation(live_server, page):
    page.goto(live_server.url + "/")
    wait_ready(page)
    nav = page.inner_text("nav")
    for item in ("Suivi du plan", "Carte", "Territoires", "Kiosque", "Indicateurs"):
        assert item in nav
    page.click("text=Indicateurs")
    page.wait_for_url("**/indicateurs")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "Indicateurs suivis"
    assert axe_violations(page) == []


def test_unknown_url_is_a_real_404(live_server):
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(live_server.url + "/nulle-part")
    assert exc.value.code == 404
    assert "Page introuvable" in exc.value.read().decode()
