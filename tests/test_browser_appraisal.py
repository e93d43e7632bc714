"""The committee's appraisal in headless Chromium: a valideur records « appuis nécessaires » with a synthesis for
the MSP of the region on /saisie; the plan card and the detail on ``/`` show it beside the computed status; the
form reloads it pre-filled. axe on the form; screenshot kept in test-artifacts/saisie_appreciation.png."""
from __future__ import annotations

import pytest

from dashboard import plan
from dashboard.saisie import appraisals

from .helpers import ROOT, axe_violations, wait_ready
from .saisie_support import saisie_server, sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
HAPPENED = "Quatre ouvertures décalées au second semestre"
RISKS = "Départs de médecins dans le Cantal"


@pytest.fixture(scope="module")
def appraisal_server(built_store, tmp_path_factory):
    with saisie_server(built_store, tmp_path_factory.mktemp("appraisal-live"), {"vera": ("valideur",)}) as server:
        yield server


def test_validator_records_an_appraisal_shown_beside_the_status(appraisal_server, page, store_data):
    base = appraisal_server.url
    quarter = plan.resolve_state(store_data, "R84").quarter          # the plan page's quarter
    sign_in(page, base, "vera")
    page.wait_for_selector("#saisie-appraisal-current:not(:empty)", timeout=20000)
    form = page.locator("#saisie-appraisal")
    assert "MSP" in form.locator("#saisie-appraisal-indicator").inner_text()
    assert "(R84)" in form.locator("#saisie-appraisal-territory").inner_text()
    assert "Aucune appréciation enregistrée" in page.inner_text("#saisie-appraisal-current")
    form.get_by_label("appuis nécessaires").check()
    page.fill("#saisie-appraisal-happened", HAPPENED)
    page.fill("#saisie-appraisal-risks", RISKS)
    page.click("#saisie-appraisal-save")
    page.wait_for_function("() => document.querySelector('#saisie-appraisal-message').innerText"
                           ".includes('Appréciation enregistrée')")
    assert "enregistrée par vera" in page.inner_text("#saisie-appraisal-current")
    [stored] = appraisals.for_quarter(appraisal_server.database_url, quarter)
    assert (stored.indicator, stored.territory, stored.level) == ("msp_count", "R84", "appuis")
    assert axe_violations(page) == []
    form.screenshot(path=str(ARTIFACTS / "saisie_appreciation.png"))

    # the form comes back pre-filled
    page.reload()
    wait_ready(page)
    page.wait_for_selector("#saisie-appraisal-current:not(:empty)", timeout=20000)
    assert page.input_value("#saisie-appraisal-happened") == HAPPENED
    assert form.get_by_label("appuis nécessaires").is_checked()

    # the plan page: on the card beside the computed status, and in the detail with the synthesis
    page.goto(f"{base}/?indicateur=msp_count&trimestre={quarter}")
    wait_ready(page)
    card = page.inner_text("#plan-card-msp_count")
    assert "Appréciation : appuis nécessaires" in card
    assert any(s in card.lower() for s in ("en bonne voie", "à surveiller", "en retard", "cible atteinte"))  # badges are upper-cased by CSS
    detail = page.inner_text("#plan-detail")
    assert "Appréciation de l'équipe : appuis nécessaires (vera," in detail
    assert HAPPENED in detail and RISKS in detail
