"""The API on the public instance (the kiosk's boundary, a rate limit) and on an internal one with authentication
(the pages' sign-in, or a token per user for scripts)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dashboard import security

from .helpers import ROOT, LiveServer
from .test_security import PRIVATE_IDS, TRACE_MARKERS, assert_clean, call

# The catalogue's own texts may say how an indicator is computed (« valeur estimée (calcul) » in a source): there
# the probe looks for private ids and traces; everywhere values are served, for any non-observed mark too.
CATALOGUE_TEXT = ("/api/v1/indicateurs", "/api/v1/openapi.json", "/api?", "/api")

PROBES = ["/api/v1/indicateurs?taille=1000", "/api/v1/territoires?niveau=departement",
          "/api/v1/valeurs?taille=1000", "/api/v1/valeurs.csv?taille=1000", "/api/v1/versions",
          "/api/v1/openapi.json", "/api", "/api/v1/valeurs?territoire=R84&taille=1000",
          "/api/v1/valeurs?niveau=departement&taille=1000&page=2"]
PROBES += [f"/api/v1/valeurs?indicateur={i}" for i in PRIVATE_IDS]
PROBES += [f"/api/v1/avancement?indicateur={i}&territoire=R84" for i in PRIVATE_IDS]
PROBES += [f"/api/v1/valeurs?indicateur={i}&statut=demo" for i in PRIVATE_IDS[:2]]


@pytest.mark.parametrize("path", PROBES)
def test_public_api_reveals_no_private_indicator_nor_demo_value(public_server, path):
    status, headers, text = call(public_server.url, path)
    if path.startswith(CATALOGUE_TEXT) and not path.startswith("/api/v1/valeurs"):
        assert status < 500 and not [m for m in TRACE_MARKERS if m in text]
        assert not [i for i in PRIVATE_IDS if i in text.replace(path, "")], path
    else:
        assert_clean(status, text, f"GET {path}", echo=path)
    if "indicateur=" in path:          # a private indicator does not exist there
        assert status == 400


def test_public_values_are_observed_only_and_msp_is_there(public_server):
    status, _, text = call(public_server.url, "/api/v1/valeurs?indicateur=msp_count&territoire=R84")
    body = json.loads(text)
    assert status == 200 and body["total"] > 0
    assert {r["statut"] for r in body["donnees"]} == {"observed"}
    assert any(r["trimestre"] == "2023Q4" and r["valeur"] == 383 for r in body["donnees"])


def test_public_repeated_request_with_its_etag_is_a_304(public_server):
    url = "/api/v1/valeurs?indicateur=msp_count&territoire=R84"
    status, headers, _ = call(public_server.url, url)
    assert status == 200 and "public" in headers["Cache-Control"]
    status, _, body = call(public_server.url, url, headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""


def test_embeds_may_be_framed_by_any_site_on_the_public_instance_and_nothing_else(public_server):
    status, headers, _ = call(public_server.url, "/integrer/graphique/msp_count")
    assert status == 200 and "frame-ancestors *" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers
    _, headers, _ = call(public_server.url, "/kiosque")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"


# last of the public tests: it spends the address's quota
def test_public_rate_limit_answers_429_problem(public_server):
    limit = int(__import__("dashboard.api", fromlist=["RATE_LIMIT"]).RATE_LIMIT.split()[0])
    seen = []
    for _ in range(limit + 20):
        status, headers, text = call(public_server.url, "/api/v1/versions")
        seen.append(status)
        if status == 429:
            break
    assert seen[-1] == 429, seen[-5:]
    assert headers["Content-Type"].startswith("application/problem+json") and headers["Retry-After"]
    assert json.loads(text)["status"] == 429
    assert call(public_server.url, "/kiosque")[0] == 200          # the pages are not limited


# ---- the internal instance with authentication ---------------------------------------------------

@pytest.fixture(scope="module")
def users_server(built_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-auth")
    users = folder / "users"
    security.add_user(users, "alice", "un mot de passe assez long")
    env = {"ACCES_SOINS_USERS_FILE": str(users), "ACCES_SOINS_SECRET_KEY": "test-secret",
           "ACCES_SOINS_DATABASE_URL": f"sqlite:///{folder / 'saisie.sqlite3'}"}
    out = subprocess.run([sys.executable, "-m", "dashboard.security", "add-token", "alice"], cwd=ROOT,
                         env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    server = LiveServer(data_dir=built_store, extra_env=env)
    yield server, token, users
    server.stop()


def test_internal_api_asks_for_authentication(users_server):
    server, _, _ = users_server
    for path in ("/api/v1/valeurs?indicateur=msp_count", "/api/v1/openapi.json", "/api"):
        status, headers, text = call(server.url, path)
        assert status == 401, path
        assert headers["Content-Type"].startswith("application/problem+json") and "Bearer" in headers["WWW-Authenticate"]


def test_a_token_opens_the_api_and_nothing_else(users_server):
    server, token, _ = users_server
    auth = {"Authorization": f"Bearer {token}"}
    status, _, text = call(server.url, "/api/v1/valeurs?indicateur=msp_count&territoire=R84", headers=auth)
    assert status == 200 and json.loads(text)["total"] > 0
    assert call(server.url, "/api/v1/versions", headers={"Authorization": f"Bearer {token}x"})[0] == 401
    assert call(server.url, "/api/v1/versions", headers={"Authorization": "Bearer as_inconnu"})[0] == 401
    assert call(server.url, "/indicateurs", headers=auth)[0] == 302           # pages still need a sign-in


def test_tokens_are_stored_hashed(users_server):
    _, token, users = users_server
    stored = (users.parent / "users.jetons").read_text(encoding="utf-8")
    assert token not in stored and "alice " in stored
    import sqlite3

    with sqlite3.connect(users.parent / "saisie.sqlite3") as db:           # the creation is audited
        assert ("alice", "api_token") in db.execute("select user, action from audit_log").fetchall()
    # and the history (/saisie/historique) says it in French
    from dashboard.saisie import service

    shown = service.audit_rows(f"sqlite:///{users.parent / 'saisie.sqlite3'}", user="alice")
    assert "jeton d'API créé" in shown["action"].tolist()


def test_add_token_refuses_an_unknown_user(tmp_path):
    security.add_user(tmp_path / "users", "alice", "un mot de passe assez long")
    out = subprocess.run([sys.executable, "-m", "dashboard.security", "add-token", "bob"], cwd=ROOT,
                         env={**__import__("os").environ, "ACCES_SOINS_USERS_FILE": str(tmp_path / "users")},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "utilisateur inconnu" in out.stderr and "Traceback" not in out.stderr
