"""Four eyes on the figure, in headless Chromium (issue 25): a valideur types D15's MCS count, D15's contributor
submits it, and that valideur cannot approve it — the review names her as its entrant and offers her no button,
the server refuses a crafted approval (audited) — while a second valideur can."""
from __future__ import annotations

import json

import pytest

from dashboard import security
from dashboard.saisie import service

from .saisie_support import PASSWORD, saisie_server as live_saisie
from .saisie_support import sign_in
from .test_browser_saisie import edit
from .test_security import call, login_opener, parse_outputs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def saisie_server(built_store, tmp_path_factory):
    with live_saisie(built_store, tmp_path_factory.mktemp("saisie-four-eyes"),
                     {"alice": ("contributeur", "D15"), "vera": ("valideur",),
                      "victor": ("valideur",)}) as server:
        yield server


def test_the_valideur_who_typed_a_value_cannot_approve_it(saisie_server, page, store_data):
    base, url = saisie_server.url, saisie_server.database_url
    quarter = service.default_quarter()

    # 1. vera, valideur, types D15's value
    sign_in(page, base, "vera")
    page.wait_for_selector(".ag-row", timeout=20000)
    rows = service.expected(store_data, service.scope(store_data, security.Account("vera", "valideur"), "R84"))
    d15 = str(list(zip(rows["indicator"], rows["territory"])).index(("mcs_count", "D15")))
    edit(page, d15, "valeur", "31")
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('Enregistré')")
    edit(page, d15, "source", "Bilan du SAMU 15")
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('Enregistré')"
                           " && document.querySelectorAll('.ag-row').length > 0")
    page.wait_for_function("() => [...document.querySelectorAll('.ag-center-cols-container .ag-row')]"
                           ".some(r => r.innerText.includes('Bilan du SAMU 15'))")

    # 2. alice, D15's contributor, submits it
    sign_in(page, base, "alice")
    page.wait_for_selector(".ag-row", timeout=20000)
    page.click("#saisie-submit")
    page.wait_for_function("() => document.querySelector('#saisie-message').innerText.includes('envoyée')")
    ident = int(page.inner_text("#saisie-message").split("n° ")[1].split(" ")[0])
    assert service.get_submission(url, ident).items[0].entered_by == "vera"

    # 3. vera sees who entered it, and no button to approve it
    sign_in(page, base, "vera")
    page.wait_for_selector(".saisie-submission", timeout=20000)
    card = page.locator(".saisie-submission", has_text=f"Soumission n° {ident} ")
    assert "Saisie par" in card.inner_text() and "vera" in card.inner_text()
    assert card.locator('button:has-text("Approuver et publier")').count() == 0
    assert service.SELF_DECISION in card.inner_text()

    # … and a crafted approval is refused by the server (answered with the refusal, audited)
    opener = login_opener(base, "vera", PASSWORD)[0]
    _s, _h, text = call(base, "/_dash-dependencies", opener=opener, method="GET")
    dep = next(d for d in json.loads(text) if any("saisie-approve" in str(i["id"]) for i in d["inputs"]))
    outs = parse_outputs(dep["output"])
    target = {"type": "saisie-approve", "index": ident}
    body = {"output": dep["output"], "outputs": outs,
            "inputs": [[{"id": target, "property": "n_clicks", "value": 1}]],
            "state": [{"id": "saisie-refresh", "property": "data", "value": 0}],
            "changedPropIds": [f"{json.dumps(target, separators=(',', ':'), sort_keys=True)}.n_clicks"]}
    status, _h, text = call(base, "/_dash-update-component", body, opener=opener)
    assert status == 200 and service.SELF_DECISION in text        # the page's own answer: refused, said so
    assert service.get_submission(url, ident).status == "submitted"
    refused = service.audit_rows(url, user="vera", action="refused")
    assert any("dont il a saisi une valeur" in d for d in refused["detail"])

    # 4. victor, another valideur, may
    sign_in(page, base, "victor")
    page.wait_for_selector(".saisie-submission", timeout=20000)
    card = page.locator(".saisie-submission", has_text=f"Soumission n° {ident} ")
    assert card.locator('button:has-text("Approuver et publier")').count() == 1
