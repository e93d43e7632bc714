"""The public/internal boundary, enforced on the server.

* Public instance: crafted payloads (≥ 1 000) to every callback it declares (ids read from
  /_dash-dependencies, so the test follows whatever pages are merged) and requests to other routes:
  no non-public indicator id, no demo/estimated marker, no 500, no traceback.
* Internal instance: refuses to start exposed without authentication; with a users file or a trusted
  header, anonymous requests get a redirect (pages) or 401 (/_dash-*), authenticated ones work.
"""
from __future__ import annotations

import http.cookiejar
import itertools
import json
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.parse
import urllib.request

import pytest

from dashboard import security, settings, store

from .helpers import ROOT, LiveServer

CATALOGUE = tomllib.loads((ROOT / "data" / "raw" / "catalogue" / "indicators.toml").read_text(encoding="utf-8"))
PRIVATE_IDS = sorted(i["id"] for i in CATALOGUE["indicator"] if not i["public"])
PUBLIC_IDS = sorted(i["id"] for i in CATALOGUE["indicator"] if i["public"])
# What a demo or estimated value looks like in any answer (status values, their French labels, CSS marks).
STATUS_MARKERS = ['"demo"', '"estimated"', "démo", "estimée", "badge-demo", "badge-estimated", "is-demo",
                  "démonstration"]
TRACE_MARKERS = ["Traceback", 'File "', "Werkzeug Debugger", "site-packages"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(base, path, body=None, headers=None, opener=None, method=None, raw=False):
    data = body if raw or body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    opener = opener or urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def assert_clean(status, text, what, echo=""):
    """``echo``: the request's own URL, which Dash Pages reflects in meta tags (og:url): the client's
    own input coming back is not a leak, so it is removed before looking for private ids."""
    if echo:
        for form in (echo, echo.replace("&", "&amp;")):
            text = text.replace(form, "")
    assert status < 500, f"{what}: HTTP {status}"
    for marker in TRACE_MARKERS:
        assert marker not in text, f"{what}: trace « {marker} » dans la réponse"
    for ident in PRIVATE_IDS:
        assert ident not in text, f"{what}: indicateur non public « {ident} » dans la réponse"
    for marker in STATUS_MARKERS:
        assert marker not in text, f"{what}: marque de valeur non observée « {marker} » dans la réponse"


# ---- the filtered store -------------------------------------------------------------------------

def test_public_store_holds_only_public_indicators_and_observed_values(built_store):
    internal = store.open_store(built_store)
    public = store.open_store(built_store, public=True)
    assert set(internal.observations["status"]) >= {"observed", "demo"}       # the default data has demo values
    assert set(public.observations["status"]) == {"observed"}
    assert set(public.indicators.index) == set(PUBLIC_IDS) & set(internal.indicators.index)
    assert not set(public.observations["indicator"]) & set(PRIVATE_IDS)
    assert not set(public.targets["indicator"]) & set(PRIVATE_IDS)
    assert {"inputs", "warnings"}.isdisjoint(public.manifest)


# ---- crafted payloads ---------------------------------------------------------------------------

HUGE = "x" * 200_000
NASTY = [None, True, 0, -1, 10 ** 30, 3.5, 1e308, "", " ", "demo", "estimated", "observed",
         *PRIVATE_IDS, "msp_count", "D15", "D99", "ZZZ", "R84", "FR", "C15014", "E200066389", "2023Q4", "2099Q9",
         "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\u0000", HUGE,
         [], [1, 2], {"a": 1}, {"indicator": "contracts_count", "status": "demo"}, [[["deep"]]],
         "/carte", "/territoire/D15", "/indicateurs", "/", "/plan", "/kiosque", "//evil.example",
         "?diapos=plan,carte&duree=2", "?indicateur=contracts_count&statut=demo", "?duree=-5&diapos=" + "x," * 500,
         "?diapos=plan&__class__=1", "?territoire=D15&trimestre=2023Q4", "?code=D99"]


def parse_outputs(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, _, prop = part.rpartition(".")
        out.append({"id": ident, "property": prop})
    return out


def payloads(deps: list[dict]):
    """(url, body, raw) tuples: well-formed bodies with nasty values, then malformed bodies."""
    outputs = [d["output"] for d in deps]
    for dep in deps:
        inputs = dep["inputs"]
        outs = parse_outputs(dep["output"])
        base = {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0],
                "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs[:1]], "state": []}
        # every input with every nasty value, the others plausible
        for k, _ in enumerate(inputs):
            for value in NASTY:
                body = dict(base, inputs=[{**i, "value": value if j == k else "/kiosque"} for j, i in enumerate(inputs)])
                yield "/_dash-update-component", body, False
        # pairs of values for two-input callbacks (the pages router: pathname × search)
        if len(inputs) == 2:
            paths = ["/kiosque", "/carte", "/indicateurs", "/territoire/D15", "/", None, 5]
            searches = [v for v in NASTY if isinstance(v, str) and v.startswith("?")] + ["", None, HUGE]
            for p, s in itertools.product(paths, searches):
                body = dict(base, inputs=[{**inputs[0], "value": p}, {**inputs[1], "value": s}])
                yield "/_dash-update-component?endId=forged~0000", body, False
        # every input at once with the same nasty value, and the query strings Dash's renderer may add
        # (endId, and the background-callback handles cacheKey/job/oldJob/cancelJob)
        for query in ("", "?endId=forged", "?cacheKey=abc&job=1", "?cacheKey=../../x&job=../y",
                      "?oldJob=x&cancelJob=y&endId=z"):
            for value in NASTY:
                body = dict(base, inputs=[{**i, "value": value} for i in inputs])
                yield "/_dash-update-component" + query, body, False
        # other outputs' ids, wrong shapes
        for other in outputs:
            yield "/_dash-update-component", dict(base, output=other), False
        for broken in ({"output": dep["output"]}, {"output": dep["output"], "inputs": "x"},
                       {"output": dep["output"], "inputs": [1, 2]}, {"output": dep["output"], "inputs": None},
                       {"output": dep["output"], "inputs": [{"id": "x"}]}, dict(base, outputs=None),
                       dict(base, changedPropIds="x"), dict(base, state=[{"value": HUGE}]),
                       dict(base, inputs=[{"id": {"type": "x", "index": ["ALL"]}, "property": "value", "value": 1}])):
            yield "/_dash-update-component", broken, False
    # not even a callback
    for output in ["", "x", "...", "..a.b...c.d..", "contracts_count.children", "plan-quarter.value",
                   "carte-map.hideout", "territoire-sheet.children", "indicateurs-list.children", None, 5, ["a"]]:
        yield "/_dash-update-component", {"output": output, "inputs": [], "outputs": {}}, False
    for raw in [b"", b"null", b"[]", b"{", b"\xff\xfe", b"{\"output\": " + b"[" * 5000 + b"]" * 5000 + b"}",
                json.dumps({"output": "x" * 100_000}).encode()]:
        yield "/_dash-update-component", raw, True


def test_crafted_callback_payloads_reveal_nothing(public_server, capsys):
    status, _, text = call(public_server.url, "/_dash-dependencies")
    assert status == 200
    deps = json.loads(text)
    outputs = {o["id"] for d in deps for o in parse_outputs(d["output"])}
    # only the shell, the kiosk and Dash's page router exist on the public instance
    assert all(re.match(r"^(app-|kiosque-|_pages_)", o) for o in outputs), outputs
    tried = 0
    statuses: dict[int, int] = {}
    for url, body, raw in payloads(deps):
        status, _, text = call(public_server.url, url, body, raw=raw, method="POST")
        statuses[status] = statuses.get(status, 0) + 1
        assert_clean(status, text, f"POST {url} {str(body)[:200]}")
        tried += 1
    # a GET or other verbs on the callback route
    for method in ("GET", "PUT", "DELETE"):
        status, _, text = call(public_server.url, "/_dash-update-component", method=method)
        assert_clean(status, text, method)
        tried += 1
    with capsys.disabled():
        print(f"\n{tried} requêtes forgées envoyées à /_dash-update-component (statuts : {statuses})")
    assert tried >= 1000


ROUTES = ["/", "/kiosque", "/kiosque?diapos=plan,carte,territoire,trimestre,source&duree=8",
          "/kiosque?diapos=contracts_count&duree=abc&sonde=-1", "/kiosque?statut=demo&indicateur=medicobus_count",
          "/carte", "/carte?indicateur=contracts_count", "/territoire", "/territoire/D15", "/territoire/D99",
          "/indicateurs", "/plan", "/nulle-part", "/_dash-layout", "/_dash-dependencies", "/healthz",
          "/geometrie/departement.geojson", "/geometrie/commune.geojson", "/geometrie/../../etc/passwd",
          "/export/plan.csv", "/export/contracts_count.csv", "/export/territoire/D15.csv",
          "/connexion", "/deconnexion", "/assets/../dashboard/settings.py", "/_reload-hash",
          "/_dash-component-suites/../../app.py", "/%2e%2e/%2e%2e/etc/passwd"]


@pytest.mark.parametrize("path", ROUTES)
def test_other_routes_reveal_nothing(public_server, path):
    status, headers, text = call(public_server.url, path)
    assert_clean(status, text, f"GET {path}", echo=path)
    assert "Content-Security-Policy" in headers


def test_public_instance_serves_only_the_kiosk(public_server):
    for path in ("/carte", "/territoire/D15", "/indicateurs", "/geometrie/departement.geojson", "/export/plan.csv"):
        assert call(public_server.url, path)[0] == 404, path
    status, headers, _ = call(public_server.url, "/")
    assert status == 302 and headers["Location"].endswith("/kiosque")
    assert call(public_server.url, "/kiosque")[0] == 200


def test_security_headers(public_server):
    _, headers, _ = call(public_server.url, "/kiosque")
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-eval'" not in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_csp_follows_settings():
    from dashboard.settings import Settings

    csp = security.content_security_policy(
        Settings(tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png", frame_ancestors="https://ars.example.fr"),
        ["'sha256-abc'"])
    assert "img-src 'self' data: blob: https://*.tile.example.org" in csp
    assert "frame-ancestors https://ars.example.fr" in csp
    assert "script-src 'self' 'sha256-abc'" in csp


# ---- internal instance: start-up refusal and authentication -------------------------------------

def run_app(built_store, tmp_path, **env):
    full = {"ACCES_SOINS_DATA_DIR": str(built_store), "ACCES_SOINS_PUBLIC": "0",
            "ACCES_SOINS_CACHE_DIR": str(tmp_path / "cache"), "ACCES_SOINS_PORT": "1",
            **{f"ACCES_SOINS_{k}": v for k, v in env.items()}}
    import os

    return subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env={**os.environ, **full},
                          capture_output=True, text=True, timeout=60)


def _startup(built_store, tmp_path, monkeypatch, **env) -> str | None:
    """security.check_startup — what create_app runs first — on the settings of these variables: None when the
    instance may start, else its refusal."""
    for name in ("HOST", "USERS_FILE", "TRUSTED_HEADER", "PUBLIC"):
        monkeypatch.delenv(f"ACCES_SOINS_{name}", raising=False)
    for k, v in {"DATA_DIR": str(built_store), "CACHE_DIR": str(tmp_path / "cache"), **env}.items():
        monkeypatch.setenv(f"ACCES_SOINS_{k}", v)
    try:
        security.check_startup(settings.load())
    except security.StartupRefused as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "ars.example.fr"])
def test_internal_instance_refuses_to_start_exposed_without_auth(built_store, tmp_path, monkeypatch, host):
    refusal = _startup(built_store, tmp_path, monkeypatch, HOST=host)
    assert refusal and "Démarrage refusé" in refusal and "ACCES_SOINS_USERS_FILE" in refusal


def test_exposed_starts_with_auth_or_public_and_loopback_stays_open(built_store, tmp_path, monkeypatch):
    users = tmp_path / "users"
    security.add_user(users, "alice", "un mot de passe assez long")
    assert _startup(built_store, tmp_path, monkeypatch, HOST="0.0.0.0", USERS_FILE=str(users)) is None
    assert _startup(built_store, tmp_path, monkeypatch, HOST="0.0.0.0", TRUSTED_HEADER="X-Remote-User") is None
    assert _startup(built_store, tmp_path, monkeypatch, HOST="0.0.0.0", PUBLIC="1") is None
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert _startup(built_store, tmp_path, monkeypatch, HOST=host) is None, host
    empty = tmp_path / "empty"
    empty.write_text("# personne\n")
    assert "aucun utilisateur" in _startup(built_store, tmp_path, monkeypatch, HOST="127.0.0.1", USERS_FILE=str(empty))


@pytest.mark.slow   # two processes importing the app: seconds
def test_import_app_applies_the_startup_rule(built_store, tmp_path):
    """What gunicorn (app:server) and python app.py do: the rule above, run by the import itself."""
    # "import app" is what gunicorn does with app:server (and python app.py does it first)
    refused = run_app(built_store, tmp_path, HOST="0.0.0.0")
    assert refused.returncode != 0
    assert "Démarrage refusé" in refused.stderr and "ACCES_SOINS_USERS_FILE" in refused.stderr
    assert "Traceback" not in refused.stderr
    users = tmp_path / "users"
    security.add_user(users, "alice", "un mot de passe assez long")
    started = run_app(built_store, tmp_path, HOST="0.0.0.0", USERS_FILE=str(users))
    assert started.returncode == 0, started.stderr


def test_users_file_and_cli(tmp_path):
    path = tmp_path / "users"
    security.add_user(path, "alice", "un mot de passe assez long")
    security.add_user(path, "bob", "un autre mot de passe long")
    users = security.read_users(path)
    assert set(users) == {"alice", "bob"} and "un mot de passe" not in path.read_text()
    assert security.check_user(users, "alice", "un mot de passe assez long")
    assert not security.check_user(users, "alice", "faux")
    assert not security.check_user(users, "carol", "un mot de passe assez long")
    with pytest.raises(ValueError):
        security.add_user(path, "x", "court")
    with pytest.raises(ValueError):
        security.add_user(path, "nom:avec:deux-points", "un mot de passe assez long")
    cli = subprocess.run([sys.executable, "-m", "dashboard.security", "add-user", "carol", "--file", str(path)],
                         cwd=ROOT, input="encore un mot de passe\n", capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert security.check_user(security.read_users(path), "carol", "encore un mot de passe")


@pytest.fixture(scope="module")
def users_server(built_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth")
    security.add_user(folder / "users", "alice", "un mot de passe assez long")
    server = LiveServer(data_dir=built_store, extra_env={"ACCES_SOINS_USERS_FILE": str(folder / "users"),
                                                         "ACCES_SOINS_SECRET_KEY": "test-secret"})
    yield server
    server.stop()


def login_opener(base, name, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    status, _, page = call(base, "/connexion?suivant=/indicateurs", opener=opener)
    assert status == 200 and "<form" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf": token, "suivant": "/indicateurs", "nom": name,
                                   "mot_de_passe": password}).encode()
    status, headers, _ = call(base, "/connexion", form, opener=opener, raw=True, method="POST",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    return opener, status, headers


def test_anonymous_requests_are_refused(users_server):
    base = users_server.url
    status, headers, _ = call(base, "/indicateurs")
    assert status == 302 and "/connexion?suivant=/indicateurs" in headers["Location"]
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert call(base, path)[0] == 401, path
    status, _, text = call(base, "/_dash-update-component", {"output": "x", "inputs": []}, method="POST")
    assert status == 401 and "indicateur" not in text
    assert call(base, "/healthz")[0] == 200                     # the kiosk's polling needs no session
    assert call(base, "/nulle-part")[0] == 302                  # nothing is revealed, not even what exists


def test_login_through_the_form(users_server):
    base = users_server.url
    opener, status, headers = login_opener(base, "alice", "un mot de passe assez long")
    assert status == 302 and headers["Location"].endswith("/indicateurs")
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    status, _, text = call(base, "/indicateurs", opener=opener)
    assert status == 200
    assert call(base, "/_dash-layout", opener=opener)[0] == 200
    status, _, deps = call(base, "/_dash-dependencies", opener=opener)
    assert status == 200 and "_pages_content" in deps
    # logout ends the session
    call(base, "/deconnexion", opener=opener)
    assert call(base, "/indicateurs", opener=opener)[0] == 302


def test_wrong_password_or_forged_form_is_refused(users_server):
    _, status, _ = login_opener(users_server.url, "alice", "mauvais")
    assert status == 401
    _, status, _ = login_opener(users_server.url, "mallory", "un mot de passe assez long")
    assert status == 401
    form = urllib.parse.urlencode({"csrf": "forged", "nom": "alice", "mot_de_passe": "un mot de passe assez long"})
    status, _, _ = call(users_server.url, "/connexion", form.encode(), raw=True, method="POST",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400


def test_open_redirect_is_refused():
    assert security._safe_next("//evil.example/x") == "/"
    assert security._safe_next("https://evil.example") == "/"
    assert security._safe_next("/territoire/D15?x=1") == "/territoire/D15?x=1"


def test_trusted_header(built_store):
    server = LiveServer(data_dir=built_store, extra_env={"ACCES_SOINS_TRUSTED_HEADER": "X-Remote-User"})
    try:
        assert call(server.url, "/indicateurs")[0] == 302
        assert call(server.url, "/_dash-layout")[0] == 401
        assert call(server.url, "/indicateurs", headers={"X-Remote-User": "alice"})[0] == 200
        assert call(server.url, "/_dash-layout", headers={"X-Remote-User": "alice"})[0] == 200
    finally:
        server.stop()


def test_loopback_without_auth_stays_open(live_server):
    assert call(live_server.url, "/indicateurs")[0] == 200
