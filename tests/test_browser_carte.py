"""« Carte » in headless Chromium: polygons drawn, restyle without refetching geometry, side panel, axe."""
import json
import shutil
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
import shapely.geometry

from dashboard import mapping
from dashboard.pipeline import publish
from dashboard.pipeline.build import build

from .conftest import RAW
from .helpers import ROOT, LiveServer, axe_violations, focused, open_first_dropdown, tab_through, until, wait_ready

pytestmark = pytest.mark.browser

CHOROPLETH_PATHS = ".leaflet-overlay-pane path"


def fills(page) -> list[str]:
    return page.eval_on_selector_all(CHOROPLETH_PATHS, "els => els.map(e => e.getAttribute('fill'))")


def record_geometry(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: "/geometrie/" in r.url and seen.append(r.url))
    return seen


def choose(page, dropdown_id: str, label: str) -> None:
    page.click(f"#{dropdown_id}")
    # an open dropdown is a group of native radios (assets/a11y.js), named by their labels
    page.get_by_role("radio", name=label, exact=True).locator("xpath=ancestor::label").click()


def test_carte_departements_restyle_panel_and_a11y(live_server, page, store_data):
    geometry = record_geometry(page)
    page.goto(live_server.url + "/carte")
    wait_ready(page)
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length >= 12")
    assert page.locator(CHOROPLETH_PATHS).count() == 12            # the region's départements
    # plain background (no tiles): every département of France, in its own pane under the colours
    page.wait_for_function("() => document.querySelectorAll('.leaflet-carte-fond-pane path').length === 101")
    loaded = list(geometry)
    assert any("/geometrie/departement.pbf" in u for u in loaded)          # geobuf: a quarter of the bytes
    before = fills(page)
    assert not any(f.startswith("url(#carte-hatch-") for f in before)     # real MSP counts: plain colours
    assert page.locator(".demo-banner").count() == 0

    # each shape is restyled where it is, never re-created (35 000 communes took 3 s to re-create)
    page.evaluate(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').forEach(e => e.dataset.kept = '1')")
    label = store_data.indicators.at["cpts_coverage_pct", "label"]
    choose(page, "carte-indicator", label)
    page.wait_for_function("(b) => JSON.stringify(Array.from(document.querySelectorAll("
                           f"'{CHOROPLETH_PATHS}')).map(e => e.getAttribute('fill'))) !== b",
                           arg=__import__("json").dumps(before))
    wait_ready(page)
    assert fills(page) != before
    assert page.locator(f"{CHOROPLETH_PATHS}[data-kept='1']").count() == 12
    assert geometry == loaded, "changer d'indicateur ne doit pas recharger la géométrie"
    assert "indicateur=cpts_coverage_pct" in page.url
    assert "%" in page.inner_text("#carte-legend")
    page.wait_for_function("(l) => document.querySelector('#carte-table caption').innerText.includes(l)", arg=label)

    # hover shows a French-formatted tooltip, click opens the side panel
    path = page.locator(CHOROPLETH_PATHS).first
    path.hover(force=True)
    page.wait_for_selector(".leaflet-tooltip")
    assert "Valeur" in page.inner_text(".leaflet-tooltip")
    path.dispatch_event("click")
    page.wait_for_selector("#carte-panel a[href^='/territoire/D']")
    name = page.inner_text("#carte-panel h2")
    assert name in set(store_data.territories.loc[store_data.territories["region"] == "R84", "name"])
    assert "territoire=D" in page.url
    assert geometry == loaded
    assert page.locator("text=aucune structure chargée").count() == 1
    assert axe_violations(page) == []


def test_carte_state_from_url(live_server, page, store_data):
    page.goto(live_server.url + "/carte?indicateur=mcs_count&trimestre=2017Q4&territoire=D15&zoom=8&lat=45.1&lng=3.0")
    wait_ready(page)
    assert page.inner_text("#carte-panel h2") == "Cantal"
    assert url_view(page) == (8.0, 45.1, 3.0)      # the permalink's view is kept: a selection from the URL does not move it
    assert store_data.indicators.at["mcs_count", "label"] in page.inner_text("#carte-indicator")
    assert "T4 2017" in page.inner_text("#carte-quarter")
    # MCS by département: demo split of the real regional figure, hatched and announced
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length >= 12")
    assert all(f.startswith("url(#carte-hatch-demo-") for f in fills(page))
    assert page.locator(".demo-banner").count() == 1
    legend = page.inner_text("#carte-legend")
    assert "pas de donnée" in legend and "démonstration" in legend
    # bad values: defaults, never an error page
    page.goto(live_server.url + "/carte?indicateur=%3Cscript%3E&niveau=lune&trimestre=x&territoire=D75&zoom=a")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "Carte"
    assert "Cliquez sur un territoire" in page.inner_text("#carte-panel")


def test_carte_communes_from_real_contours(live_server, page):
    geometry = record_geometry(page)
    page.goto(live_server.url + "/carte?niveau=commune")
    wait_ready(page)
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length >= 4000")
    n = page.locator(CHOROPLETH_PATHS).count()
    assert n >= 4000                                      # the region's communes (IGN contours, data/raw/opendata)
    assert [u for u in geometry if "commune.pbf" in u]
    # the default indicator at this level is the APL by commune (DREES): communes are coloured
    assert "indicateur=apl_mg_mean" in page.url
    assert sum(not f.startswith("url(") for f in fills(page)) >= 4000
    # MSP counts exist down to départements only: not offered at the communes (a map of « pas de donnée »), the
    # page says so, and a link asking for them shows the level's default
    page.goto(live_server.url + "/carte?niveau=commune&indicateur=msp_count")
    wait_ready(page)
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length >= 4000")
    assert "indicateur=apl_mg_mean" in page.evaluate("() => window.location.href")
    assert "Non proposés à ce niveau, faute de valeur : " in page.inner_text("#carte-indicator-hint")
    assert "MSP" in page.inner_text("#carte-indicator-hint")
    loaded = list(geometry)
    page.click("label:has-text('EPCI')")
    page.wait_for_function(f"(n) => document.querySelectorAll('{CHOROPLETH_PATHS}').length !== n", arg=n)
    wait_ready(page)
    assert any("epci.pbf" in u for u in geometry[len(loaded):])
    assert "niveau=epci" in page.url
    page.screenshot(path=str(ROOT / "test-artifacts" / "carte-epci.png"))
    assert axe_violations(page) == []


@pytest.fixture(scope="module")
def structures_server(built_store, tmp_path_factory):
    """The default store with a few structures (the default data have none): exercises the point layer."""
    import pandas as pd

    out = tmp_path_factory.mktemp("store-structures")
    shutil.copytree(built_store, out, dirs_exist_ok=True)
    version = (out / "CURRENT").read_text().strip()
    rows = [("603", "Maison de santé (L.6223-3)", 45.76 + k * 0.002, 4.83 + k * 0.002) for k in range(6)]
    rows += [("124", "Centre de Santé", 45.2, 3.5), ("604", "CPTS", 46.0, 5.5)]
    frame = pd.DataFrame([{"id": f"0100000{k:02d}", "category": c, "category_label": lab, "name": f"Structure {k}",
                           "address": f"{k} rue de l'Essai", "commune": "C69123",
                           "opening_date": "2024-02-01" if c == "604" else "2020-01-15",       # the CPTS: in 2024
                           "lon": lon, "lat": lat, "source": "essai"} for k, (c, lab, lat, lon) in enumerate(rows)])
    frame.to_parquet(out / version / "structures.parquet")
    # the version's manifest vouches for each file (the app refuses a file that does not match its checksum)
    manifest_path = out / version / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["checksums"]["structures.parquet"] = publish.sha256(out / version / "structures.parquet")
    manifest["tables"]["structures"] = len(frame)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    server = LiveServer(data_dir=out)
    yield server
    server.stop()


def test_carte_structures_clustered_and_filtered(structures_server, page):
    page.goto(structures_server.url + "/carte")
    wait_ready(page)
    page.wait_for_selector(".carte-cluster")
    assert "6" in page.inner_text(".carte-cluster")          # the 6 MSP of Lyon in one cluster at this zoom
    markers = ".leaflet-marker-pane .carte-cluster, .leaflet-carte-points-pane path.carte-structure"
    assert page.locator(markers).count() >= 3                  # cluster + the CDS and the CPTS points
    assert axe_violations(page) == []                          # with the cluster marker shown
    page.click("label:has-text('MSP')")                        # hide MSP: filter through the hideout
    page.wait_for_function("() => !document.querySelector('.carte-cluster')")
    assert page.locator(".leaflet-carte-points-pane path.carte-structure").count() == 2
    # an indicator change re-adds the shapes: the points must stay reachable above them
    choose(page, "carte-indicator", "Centres de santé (CDS)")
    wait_ready(page)
    assert page.locator(".leaflet-carte-points-pane path.carte-structure").count() == 2
    page.locator(".leaflet-carte-points-pane path.carte-structure").first.dispatch_event("click")
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.inner_text(".leaflet-popup-content")
    assert "FINESS" in popup and "Ouverture : 15/01/2020" in popup
    # Leaflet fades the popup in: measure contrast on what the user ends up seeing, not mid-fade.
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    assert axe_violations(page) == []
    # the keyboard's way to the points: their list, opened with Enter, filtered like the map
    page.click(".leaflet-popup-close-button")
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')")
    page.focus("#carte-structures-details summary")
    page.keyboard.press("Enter")
    page.wait_for_selector("#carte-structures-list table")
    assert "Structures affichées sur la carte : 2" in page.inner_text("#carte-structures-list caption")
    listed = page.inner_text("#carte-structures-list tbody")
    assert "Structure 6" in listed and "Lyon" in listed and "Structure 0" not in listed      # MSP hidden above
    page.click("label:has-text('MSP')")                         # MSP back: in the list too
    page.wait_for_function("() => document.querySelector('#carte-structures-list caption').innerText.endsWith(': 8')")
    assert axe_violations(page) == []
    # structures as of the quarter: at the end of 2023 the CPTS (opened in February 2024) is not there yet
    choose(page, "carte-quarter", "T4 2023")
    page.wait_for_function("() => document.querySelector('#carte-structures-list caption').innerText.endsWith(': 7')")
    expect(page.locator("#carte-structures-toggle")).to_contain_text("CPTS (0)")
    assert "CPTS" not in page.inner_text("#carte-structures-list tbody")


def url_view(page) -> tuple[float, float, float] | None:
    """(zoom, lat, lng) of the map, as its permalink writes them (read in the page: ``page.url`` follows a
    replaceState only when Playwright next handles its events)."""
    q = parse_qs(urlparse(page.evaluate("() => window.location.href")).query)
    return (float(q["zoom"][0]), float(q["lat"][0]), float(q["lng"][0])) if "zoom" in q else None


def test_carte_keyboard_path_and_announced_selection(live_server, page, store_data):
    """From the top of the page: quarter, indicator, territory list, table and exports within 30 Tab presses,
    never a map shape; a territory chosen with the keyboard is announced by name, and the map frames it."""
    page.goto(live_server.url + "/carte")
    wait_ready(page)
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length >= 12")
    until(lambda: url_view(page), 20, "la carte n'écrit pas sa vue dans l'adresse")
    region_zoom = url_view(page)[0]
    seen = tab_through(page, 30)
    ids = [f["id"] for f in seen]
    for wanted in ("carte-indicator", "carte-quarter", "carte-territory", "carte-table", "carte-export-csv"):
        assert wanted in ids, f"{wanted} n'est pas atteint en 30 tabulations : {ids}"
    assert not [f for f in seen if "map-shape" in f["inside"]]          # shapes are not tab stops
    assert page.get_attribute("#carte-announce", "role") == "status"
    page.focus("#carte-territory")
    page.keyboard.press("Enter")
    page.wait_for_selector(".dash-dropdown-content[data-state=open]")
    page.keyboard.type("Cantal")
    page.wait_for_function("() => document.querySelectorAll('.dash-dropdown-content .dash-dropdown-option').length === 1")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#carte-announce').innerText.includes('Cantal')")
    assert page.inner_text("#carte-announce") == "Territoire sélectionné : Cantal."
    assert page.inner_text("#carte-panel h2") == "Cantal"
    # the map frames the Cantal: closer than the region, centred within the département's own outline
    doc = json.loads(mapping.geometry_bytes(store_data, "departement", "R84")[0])
    cantal = shapely.geometry.shape(next(f["geometry"] for f in doc["features"] if f["properties"]["code"] == "D15"))
    west, south, east, north = cantal.bounds

    def framed() -> bool:
        view = url_view(page)
        return bool(view and view[0] > region_zoom and south < view[1] < north and west < view[2] < east)
    until(framed, 20, f"la carte ne cadre pas le Cantal : {url_view(page)}")


@pytest.fixture(scope="module")
def region_communes_server(opendata, tmp_path_factory):
    """A store with the real commune contours of the whole region (about 4 000 communes)."""
    raw = tmp_path_factory.mktemp("raw-ara-communes")
    for path in sorted((opendata / "ara" / "contours").glob("communes-*.geojson")):
        shutil.copy(path, raw / path.name)
    out = tmp_path_factory.mktemp("store-ara-communes")
    assert build([RAW, raw], out, region="R84", echo=lambda _l: None).published
    server = LiveServer(data_dir=out)
    yield server
    server.stop()


def test_carte_commune_table_pages_by_keyboard(region_communes_server, page, tmp_path):
    page.goto(region_communes_server.url + "/carte")
    wait_ready(page)
    # the opening map drawn first: a level chosen while the first geometry is still on its way can be overtaken
    # by it (dash-leaflet keeps the response that arrives last; see the session note)
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length > 0", timeout=60000)
    # the commune level, chosen with the keyboard: one page of its table within 2 s, whatever the map is doing
    page.focus("#carte-level input[value='commune']")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#carte-table caption').innerText.includes('communes')"
                           " && document.querySelectorAll('#carte-table tbody tr').length === 25", timeout=2000)
    status = page.inner_text("#carte-table-status")
    total = int(status.split(" sur ")[1].split(" ")[0].replace("\u202f", ""))
    assert total > 3500 and status.startswith("Lignes 1 à 25 sur ")
    assert page.locator("#carte-table tbody tr").count() == 25
    # then, once the 4 000 shapes are drawn, every keyboard action on the table answers within 2 s
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length > 3500", timeout=60000)
    wait_ready(page)
    page.focus("#carte-table")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('#carte-table-status').innerText.startsWith('Lignes 26 à 50')",
                           timeout=2000)
    page.keyboard.press("PageUp")
    page.wait_for_function("() => document.querySelector('#carte-table-status').innerText.startsWith('Lignes 1 à 25')",
                           timeout=2000)
    page.focus("#carte-table-last")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#carte-table-next').getAttribute('aria-disabled') === 'true'",
                           timeout=2000)
    assert focused(page)["id"] == "carte-table-last"                 # the focus stays where the user is
    page.focus("#carte-table-filter")
    page.keyboard.type("rouget")
    page.wait_for_function("() => document.querySelectorAll('#carte-table tbody tr').length === 1", timeout=2000)
    assert "Le Rouget-Pers" in page.inner_text("#carte-table tbody")
    with page.expect_download() as info:
        page.focus("#carte-export-csv")
        page.keyboard.press("Enter")
    path = tmp_path / "export.csv"
    info.value.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("C15268;Le Rouget-Pers;")
    assert page.evaluate("() => document.querySelectorAll("
                         "'.leaflet-pane path.leaflet-interactive:not([tabindex=\"-1\"])').length") == 0
    assert axe_violations(page) == []
    assert open_first_dropdown(page) and axe_violations(page) == []


# ---- geography layers on a store with the fictitious CPTS list and zoning decrees -----------------------------

@pytest.fixture(scope="module")
def geo_server(geo_built_store):
    from dashboard import store

    server = LiveServer(data_dir=geo_built_store)
    yield server, store.open_store(geo_built_store)
    server.stop()


def count(page, selector: str) -> int:
    return page.evaluate("(s) => document.querySelectorAll(s).length", selector)


def test_carte_layers_uncovered_zoning_and_cpts_as_of_the_quarter(geo_server, page):
    import json

    from dashboard import map_layers, perimeters

    server, data = geo_server
    shapes = [f["properties"]["code"] for f in json.loads(data.geometry_file("commune").read_text())["features"]
              if f["properties"]["code"] in set(data.territories.index[data.territories["region"] == "R84"])]
    expected = perimeters.uncovered(data, shapes, "2023Q4")
    assert 3000 < len(expected) < len(shapes)              # the fixture covers a few communes, not none, not all
    page.goto(server.url + "/carte?trimestre=2023Q4")
    wait_ready(page)
    # switched on with the keyboard-reachable checkbox: one hatched path per uncovered commune, and only them
    box = page.get_by_role("checkbox", name=map_layers.LAYERS["blanches"])
    box.check()
    try:
        page.wait_for_function("(n) => document.querySelectorAll('path.carte-blanche').length === n",
                               arg=len(expected), timeout=60000)
    except Exception:    # say what the page holds (a flake seen once on CI: which of the steps did not happen?)
        raise AssertionError(f"zones blanches : {count(page, 'path.carte-blanche')} tracées sur {len(expected)} "
                             f"attendues ; case cochée : {box.is_checked()} ; adresse : "
                             f"{page.evaluate('() => location.href')} ; légende : "
                             f"{page.inner_text('#carte-layers-legend')!r}") from None
    wait_ready(page)
    assert count(page, "path.carte-blanche") == len(expected)
    assert f"{len(expected):,}".replace(",", "\u202f") in page.inner_text("#carte-layers-legend")
    assert "couches=blanches" in page.url
    assert axe_violations(page) == []

    # zoning: under the 2022 decree at T4 2023, under the 2024 one (15/02/2024) at T1 2024
    page.get_by_role("checkbox", name=map_layers.LAYERS["zonage"]).check()
    page.wait_for_function("() => document.querySelectorAll('path.carte-zone').length === 7", timeout=20000)
    legend = page.inner_text("#carte-layers-legend")
    assert "arrêté du 15/03/2022" in legend and "zone d'intervention prioritaire (ZIP) (4)" in legend
    assert count(page, "path.carte-zone-ZIP") == 4
    page.get_by_role("checkbox", name=map_layers.LAYERS["cpts"]).check()
    page.wait_for_function("() => document.querySelectorAll('path.carte-cpts').length === 4", timeout=20000)
    wait_ready(page)
    page.locator(".carte-map-col").screenshot(path=str(ROOT / "test-artifacts" / "carte-couches-2023T4.png"))
    assert axe_violations(page) == []

    choose(page, "carte-quarter", "T1 2024")
    page.wait_for_function("() => document.querySelectorAll('path.carte-zone').length === 5", timeout=20000)
    wait_ready(page)
    assert "arrêté du 15/02/2024" in page.inner_text("#carte-layers-legend")
    assert count(page, "path.carte-zone-ZIP") == 2
    assert count(page, "path.carte-blanche") == len(perimeters.uncovered(data, shapes, "2024Q1"))
    # a quarter before the first signature: no CPTS drawn, every commune a « zone blanche »
    choose(page, "carte-quarter", "T4 2019")
    page.wait_for_function("(n) => document.querySelectorAll('path.carte-blanche').length === n",
                           arg=len(perimeters.uncovered(data, shapes, "2019Q4")), timeout=60000)
    page.wait_for_function("() => !document.querySelector('path.carte-cpts, path.carte-zone')", timeout=20000)
    wait_ready(page)
    assert "aucun arrêté en vigueur" in page.inner_text("#carte-layers-legend")
    assert not page.console_errors


def test_counts_per_100000_inhabitants_or_raw(live_server, page, store_data):
    """A count is mapped per 100 000 inhabitants by default; « Nombre » shows the count (and goes into the
    permalink); a share has one basis: the choice is not shown."""
    page.goto(live_server.url + "/carte?indicateur=msp_count&trimestre=2023Q4")
    wait_ready(page)
    page.wait_for_function(f"() => document.querySelectorAll('{CHOROPLETH_PATHS}').length >= 12")
    expect(page.locator("#carte-legend")).to_contain_text("(pour 100 000 habitants)")
    rated = fills(page)
    page.get_by_label("Nombre", exact=True).check()
    expect(page.locator("#carte-legend")).not_to_contain_text("100 000")
    page.wait_for_function("() => window.location.search.includes('rapport=nombre')")
    wait_ready(page)
    assert fills(page) != rated                      # the classes follow the basis
    page.reload()
    wait_ready(page)
    expect(page.get_by_label("Nombre", exact=True)).to_be_checked()        # the permalink keeps it
    choose(page, "carte-indicator", store_data.indicators.at["apl_mg_mean", "label"])
    expect(page.locator("#carte-basis-field")).to_be_hidden()
    assert axe_violations(page) == []
