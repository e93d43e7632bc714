"""The saisie journey in headless Chromium: a contributor for D15 enters and submits the MCS count, a valideur
sees it with its effect on the plan page and approves; she cannot approve her own regional figure (four eyes:
another valideur does); the background job publishes; the plan page and the
territory sheet show the value (the sheet with its source and validator); the history lists each step. axe on each view;
screenshots kept in test-artifacts/ (saisie.png, saisie_revue.png, saisie_historique.png)."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard import fmt, queries, security, store
from dashboard.saisie import service

from .helpers import ROOT, axe_violations, wait_ready
from .saisie_support import saisie_server as live_saisie
from .saisie_support import sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def saisie_server(built_store, tmp_path_factory):
    with live_saisie(built_store, tmp_path_factory.mktemp("saisie-live"),
                     {"alice": ("contributeur", "D15"), "vera": ("valideur",),
                      "victor": ("valideur",)}) as server:
        yield server


def edit(page, row_index: str, column: str, text: str) -> None:
    cell = page.locator(f'.ag-center-cols-container .ag-row[row-index="{row_index}"] .ag-cell[col-id="{column}"]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def approve(page, ident: int) -> None:
    """Approve submission ``ident`` on /saisie and wait for the background job to publish it."""
    page.locator(".saisie-submission", has_text=f"Soumission n° {ident} ").locator(
        'button:has-text("Approuver et publier")').click()
    try:
        page.wait_for_function(f"() => document.querySelector('#saisie-publish-result').innerText"
                               f".includes('(soumission n° {ident})')", timeout=120000)
    except PlaywrightTimeout:          # say what the page shows instead of the publication line
        raise AssertionError(f"publication de la soumission n° {ident} non annoncée ; la page montre : "
                             f"{page.inner_text('main')[:1500]!r}") from None


def test_contributor_enters_validator_approves_value_is_published(saisie_server, page, store_data):
    base = saisie_server.url
    quarter = service.default_quarter()
    before = service.last_known(store_data, "mcs_count", "D15", quarter)
    new_value = int(before["value"]) + 1 if before else 5

    # 1. the contributor for D15
    sign_in(page, base, "alice")
    page.wait_for_selector(".ag-row", timeout=20000)
    assert "alice, contributeur (D15)" in page.inner_text("main")
    row = page.locator('.ag-pinned-left-cols-container .ag-row', has_text="Médecins correspondants")
    index = row.get_attribute("row-index")
    # beside the cell, what the pages publish for it: value, quarter, status (a demo value marked as such)
    shown = service.grid_rows(saisie_server.database_url, store_data, security.Account("alice", "contributeur", ("D15",)),
                              quarter, "R84")[int(index)]
    published = page.locator(f'.ag-center-cols-container .ag-row[row-index="{index}"] .ag-cell[col-id="donnee"]')
    assert published.inner_text() == shown["donnee"] and (shown["demo"] == ("saisie-demo" in published.get_attribute("class")))
    assert "Valeur publiée" in page.inner_text(".ag-header") and "Mesurée au" in page.inner_text(".ag-header")
    edit(page, index, "valeur", str(new_value))
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('Enregistré')")
    edit(page, index, "source", "Bilan du SAMU 15")
    wait_ready(page)                                        # the save callback has answered
    page.reload()                                           # nothing typed is lost on a reload
    page.wait_for_selector(".ag-row", timeout=20000)
    cells = page.locator(f'.ag-center-cols-container .ag-row[row-index="{index}"]').inner_text()
    assert str(new_value) in cells and "Bilan du SAMU 15" in cells and "brouillon" in cells
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "saisie.png"), full_page=True)
    page.click("#saisie-submit")
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('envoyée')")
    ident = int(page.inner_text("#saisie-message").split("n° ")[1].split(" ")[0])

    # 2. the valideur enters the regional figure (the plan page follows the region's quarters) …
    sign_in(page, base, "vera")
    page.wait_for_selector(".saisie-submission", timeout=20000)
    region_rows = service.expected(store_data, service.scope(store_data, security.Account("vera", "valideur"), "R84"))
    r84 = str(list(zip(region_rows["indicator"], region_rows["territory"])).index(("mcs_count", "R84")))
    regional = service.last_known(store_data, "mcs_count", "R84", quarter)
    edit(page, r84, "valeur", str(int(regional["value"]) + 2))
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('Enregistré')")
    edit(page, r84, "source", "Bilan régional des SAMU")
    wait_ready(page)
    page.click("#saisie-submit")
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('envoyée')")
    own = int(page.inner_text("#saisie-message").split("n° ")[1].split(" ")[0])
    # … and reviews the contributor's value: old → new, who, why, effect on the plan page
    review = page.inner_text("#saisie-review")
    assert f"Soumission n° {ident} — alice" in review and "Bilan du SAMU 15" in review
    assert "Effet sur la page du plan" in review and f"→ {new_value}" in review
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "saisie_revue.png"), full_page=True)
    approve(page, ident)
    # four eyes: her own submission waits for another valideur (no button; the server refuses it anyway:
    # tests/test_saisie.py)
    card = page.locator(".saisie-submission", has_text=f"Soumission n° {own} ")
    assert card.locator('button:has-text("Approuver et publier")').count() == 0
    assert "Vous ne pouvez pas valider votre propre saisie : un autre valideur doit le faire." in card.inner_text()
    assert service.get_submission(saisie_server.database_url, own).status == "submitted"
    sign_in(page, base, "victor")
    page.wait_for_selector(".saisie-submission", timeout=20000)
    approve(page, own)

    # 3. published: the plan page and the territory sheet show the value, its source and its validator
    data = store.open_store(saisie_server.data_dir)
    shown = queries.value_at(data, "mcs_count", "D15", quarter)
    assert shown["value"] == new_value and "validée par vera" in shown["source"]
    page.goto(f"{base}/?indicateur=mcs_count&trimestre={quarter}")
    wait_ready(page)
    cantal = page.locator("#plan-breakdown-table tr", has_text="Cantal").inner_text()
    assert f"Cantal\t{new_value}\tOBSERVÉE" in cantal, cantal
    # a partial quarter says so: how many départements are of the quarter (« 1 département sur 12 » when only
    # the Cantal has been entered for it), each row keeping its own latest value and saying when it was measured
    t = data.territories
    deps = t[(t["level"] == "departement") & (t["region"] == "R84")]["code"].tolist()
    fresh = [d for d in deps if (queries.value_at(data, "mcs_count", d, quarter) or {}).get("period") == quarter]
    assert "D15" in fresh
    said = f"{len(fresh)} département{'s' if len(fresh) > 1 else ''} sur {len(deps)}"
    assert said in page.inner_text("#plan-detail"), said
    assert cantal.split("\t")[3] == fmt.quarter(quarter)
    page.goto(f"{base}/territoire/D15?trimestre={quarter}")
    wait_ready(page)
    text = page.inner_text("main")
    assert "validée par vera" in text and "Bilan du SAMU 15" in text

    # 4. the history lists each step
    page.goto(f"{base}/saisie/historique")
    wait_ready(page)
    page.wait_for_selector(".saisie-audit", timeout=20000)
    history = page.inner_text("#historique-table")
    # (the audited refusal of a self-approval is tested in tests/test_saisie.py: here no button offers it)
    for action in ("connexion", "brouillon", "soumission", "approbation", "publication"):
        assert action in history, action
    assert "Cantal (D15)" in history                       # territories by name, their code beside
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "saisie_historique.png"), full_page=True)


def test_a_mixed_upload_shows_each_refused_row_and_saves_nothing(saisie_server, page, tmp_path):
    """Issue 22, point 4: the page lists every refused row with its line and reason; nothing of the file saved."""
    quarter = service.default_quarter()
    path = tmp_path / "depot-mixte.csv"
    path.write_text("indicateur,territoire,trimestre,valeur,statut,source,note\n"
                    f"mcs_count,D15,{quarter},7,observed,Bilan SAMU 15,\n"
                    f"mcs_count,D69,{quarter},7,observed,Bilan SAMU 69,\n"
                    f"mcs_count,D99,{quarter},7,observed,Bilan SAMU,\n", encoding="utf-8")
    before = service.drafts(saisie_server.database_url, quarter, ["D15", "D69"])
    sign_in(page, saisie_server.url, "alice")
    page.wait_for_selector(".ag-row", timeout=20000)
    page.set_input_files("#saisie-upload input[type=file]", str(path))
    page.wait_for_selector("#saisie-message .saisie-refused-rows", timeout=20000)
    text = page.inner_text("#saisie-message")
    assert "depot-mixte.csv refusé, rien n'a été enregistré : 2 lignes sont à corriger" in text
    assert "Ligne 3, colonne territoire : saisie pour D69 hors du périmètre" in text
    assert "Ligne 4, colonne territoire" in text and "D99" in text
    page.locator("#saisie-message").screenshot(path=str(ARTIFACTS / "saisie_depot_refuse.png"))
    after = service.drafts(saisie_server.database_url, quarter, ["D15", "D69"])
    assert len(after) == len(before) and "D69" not in set(after["territory"])
    assert not axe_violations(page)
