"""The open-data API as a client uses it (docs/api.md): figures, formats, errors, HTTP caching, the OpenAPI document.

Requests go through the internal app's Flask test client on the default store (the ``app`` fixture); the public
instance, tokens and the rate limit are in tests/test_api_public.py.
"""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from dashboard import api, plan, settings


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def get_json(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:500])
    return r.get_json(force=True)


def test_msp_in_the_region_is_383_observed_at_2023q4_with_its_source(client):
    body = get_json(client, "/api/v1/valeurs?indicateur=msp_count&territoire=R84")
    rows = {r["trimestre"]: r for r in body["donnees"]}
    q4 = rows["2023Q4"]
    assert q4["valeur"] == 383 and q4["statut"] == "observed" and q4["date"] == "2023-12-01"
    assert "IND-311" in q4["source"]
    assert body["total"] == len(body["donnees"]) and [r["trimestre"] for r in body["donnees"]] == sorted(rows)


def test_avancement_is_the_plan_pages_taux(client, app_settings, store_data):
    body = get_json(client, "/api/v1/avancement?indicateur=msp_count&territoire=R84&trimestre=2023Q4")
    conf = settings.current()
    card = next(c for c in plan.store_cards(store_data, "R84", "2023Q4", conf.thresholds)
                if c.indicator == "msp_count")
    assert body["taux_avancement"] == pytest.approx(card.progress)
    assert body["statut"] == card.status and body["texte"] == card.progress_text
    assert body["valeur"] == 383 and body["cible"] == 590 and body["valeur_reference"] == 341


def test_valeurs_csv_read_with_pandas_holds_the_plan_pages_figures(client, store_data):
    r = client.get("/api/v1/valeurs.csv?territoire=R84&taille=1000")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    frame = pd.read_csv(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")), sep=";", decimal=",",
                        dtype={"trimestre": str})
    conf = settings.current()
    quarter = plan.resolve_state(store_data, "R84").quarter
    cards = [c for c in plan.store_cards(store_data, "R84", quarter, conf.thresholds)
             if c.value is not None]
    assert cards
    for c in cards:      # each card's value, at the quarter it was measured, is a row of the CSV
        hit = frame[(frame["indicateur"] == c.indicator) & (frame["trimestre"] == c.period)]
        assert len(hit) == 1, c.indicator
        assert hit["valeur"].iloc[0] == pytest.approx(c.value, abs=0.051), c.indicator


def test_csv_by_accept_header_is_the_same_as_the_suffix(client):
    by_accept = client.get("/api/v1/territoires?niveau=departement&parent=R84", headers={"Accept": "text/csv"})
    by_suffix = client.get("/api/v1/territoires.csv?niveau=departement&parent=R84")
    assert by_accept.mimetype == by_suffix.mimetype == "text/csv"
    assert by_accept.get_data() == by_suffix.get_data()
    lines = by_suffix.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("code;nom;niveau") and len(lines) == 13      # the 12 départements of ARA


def test_pages_are_bounded_ordered_and_linked(client):
    first = get_json(client, "/api/v1/territoires?niveau=commune&taille=50")
    assert len(first["donnees"]) == 50 and first["total"] > 4000 and first["precedente"] is None
    second = get_json(client, first["suivante"])
    codes = [t["code"] for t in first["donnees"] + second["donnees"]]
    assert codes == sorted(codes) and len(set(codes)) == 100
    again = get_json(client, "/api/v1/territoires?niveau=commune&taille=50")
    assert again["donnees"] == first["donnees"]                      # stable
    assert get_json(client, "/api/v1/territoires?taille=1000")["taille"] == 1000


@pytest.mark.parametrize("query", [
    "/api/v1/valeurs?taille=1001", "/api/v1/valeurs?taille=0", "/api/v1/valeurs?page=-1", "/api/v1/valeurs?page=x",
    "/api/v1/valeurs?indicateur=inconnu", "/api/v1/valeurs?indicateur=<script>", "/api/v1/valeurs?territoire=D99",
    "/api/v1/valeurs?depuis=2023T4", "/api/v1/valeurs?depuis=2024Q1&jusqua=2023Q1", "/api/v1/valeurs?niveau=canton",
    "/api/v1/valeurs?inconnu=1", "/api/v1/valeurs?taille=1&taille=2", "/api/v1/territoires?parent=ZZ9",
    "/api/v1/avancement", "/api/v1/avancement?indicateur=msp_count&trimestre=2023Q5",
    "/api/v1/avancement?indicateur=msp_count&territoire=%00", "/api/v1/versions?x=1",
    "/api/v1/indicateurs.csv?page=" + "9" * 40,
])
def test_every_bad_parameter_is_a_400_problem_in_french(client, query):
    r = client.get(query)
    assert r.status_code == 400, (query, r.status_code)
    assert r.mimetype == "application/problem+json"
    body = r.get_json(force=True)
    assert body["status"] == 400 and body["title"] == "Paramètre invalide" and body["detail"]
    assert "Input should" not in body["detail"]                  # pydantic's English never reaches a client


def test_unknown_paths_and_methods_are_problems(client):
    r = client.get("/api/v1/nulle-part")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = client.post("/api/v1/valeurs")
    assert r.status_code == 405


def test_etag_304_cache_control_last_modified_and_cors(client):
    url = "/api/v1/valeurs?indicateur=msp_count&territoire=R84"
    r = client.get(url)
    tag = r.headers["ETag"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in r.headers["Cache-Control"] and r.headers["Last-Modified"].endswith("GMT")
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    other = client.get(url + "&depuis=2023Q1", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["ETag"] != tag         # the query is in the tag
    assert client.get(url, headers={"Accept": "text/csv"}).headers["ETag"] != tag
    pre = client.options(url, headers={"Origin": "http://ailleurs.example", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204 and "GET" in pre.headers["Access-Control-Allow-Methods"]


def test_versions_name_the_served_one(client, store_data):
    body = get_json(client, "/api/v1/versions")
    current = [v for v in body["donnees"] if v["courante"]]
    assert [v["version"] for v in current] == [store_data.version]
    assert current[0]["tables"]["observations"] == len(store_data.observations)


def test_openapi_document_is_3_1_with_real_examples(client, store_data):
    doc = get_json(client, "/api/v1/openapi.json")
    assert doc["openapi"].startswith("3.1")
    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {"indicateurs", "territoires", "valeurs", "avancement", "versions", "valeurs_csv"} <= ops
    schemas = doc["components"]["schemas"]
    value = next(v for k, v in schemas.items() if k.endswith("Value"))["examples"][0]
    stored = store_data.observations
    row = stored[(stored["indicator"] == value["indicateur"]) & (stored["territory"] == value["territoire"])
                 & (stored["period"] == value["trimestre"])]
    assert len(row) == 1 and row["value"].iloc[0] == pytest.approx(value["valeur"], abs=0.051)
    assert "text/csv" in doc["paths"]["/api/v1/valeurs"]["get"]["responses"]["200"]["content"]
    assert "application/problem+json" in doc["paths"]["/api/v1/valeurs"]["get"]["responses"]["400"]["content"]


def test_docs_page_uses_packaged_assets_only(client):
    page = client.get("/api").get_data(as_text=True)
    assert "/api/ressources/swagger-ui-bundle.js" in page and "http" not in page.replace("http-equiv", "")
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "api-docs.js"):
        r = client.get(f"/api/ressources/{name}")
        assert r.status_code == 200 and len(r.get_data()) > 100, name
    assert client.get("/api/ressources/../../settings.py").status_code == 404


def test_csv_rows_are_the_json_rows(client):
    j = get_json(client, "/api/v1/indicateurs?taille=3")["donnees"]
    csv = pd.read_csv(io.BytesIO(client.get("/api/v1/indicateurs.csv?taille=3").get_data()), sep=";",
                      encoding="utf-8-sig")
    assert csv["id"].tolist() == [i["id"] for i in j]
    assert csv["niveaux"].iloc[0] == "|".join(j[0]["niveaux"])


def test_problem_has_the_rfc_9457_members():
    from flask import Flask

    with Flask("t").test_request_context("/api/v1/valeurs"):
        body = json.loads(api.problem(400, "Paramètre invalide", "taille : trop grand").get_data())
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
