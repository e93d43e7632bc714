"""One quarter for the session and what each page says of it, in a real browser (issue 22, points 3, 4 and 7):
the plan page, the map and the sheet open on the same quarter and say why; the sheet says why communes are
missing; the saisie grid shows the published value beside each cell, demo values marked."""
from dashboard import queries, texts

from .helpers import axe_violations, wait_ready


def test_plan_map_and_sheet_open_on_the_same_quarter_and_say_so(live_server, page, store_data):
    q = queries.session_quarter(store_data, "R84")
    hint = texts.default_quarter(q)
    page.goto(live_server.url + "/")
    wait_ready(page)
    assert page.inner_text("#plan-quarter") == "T2 2024" and page.inner_text("#plan-quarter-hint") == hint
    page.goto(live_server.url + "/carte")
    wait_ready(page)
    assert page.inner_text("#carte-quarter") == "T2 2024" and page.inner_text("#carte-quarter-hint") == hint
    page.goto(live_server.url + "/territoire/D15")
    wait_ready(page)
    assert page.input_value("#territoire-quarter") == q and page.inner_text("#territoire-quarter-hint") == hint
    assert axe_violations(page) == []


def test_the_sheet_of_cc_hautes_terres_says_why_it_has_no_value(live_server, page):
    page.goto(live_server.url + "/territoire/E200066637")
    wait_ready(page)
    note = page.inner_text("#territoire-missing-communes")
    assert "4 communes de ce territoire (Celles, Chalinargues, Chavagnac, Sainte-Anastasie)" in note
    assert "Les valeurs de l'EPCI" in note
    assert axe_violations(page) == []
