"""The public/internal boundary on the server: authentication, start-up check, hardening.

* Public instance (``ACCES_SOINS_PUBLIC=1``): no authentication; only public pages are registered
  and the store is loaded filtered (see ``store._load``).
* Internal instance: open on a loopback address (development, tests); on any other address it
  REFUSES TO START unless authentication is configured, with either
  - a users file (``ACCES_SOINS_USERS_FILE``): one ``name:hash [role [territories]]`` per line, hashes from
    ``werkzeug.security.generate_password_hash`` (``python -m dashboard.security add-user NAME --role …``); or
  - a trusted header set by an authenticating reverse proxy (``ACCES_SOINS_TRUSTED_HEADER``, e.g.
    ``X-Remote-User``); the proxy must strip it from client requests.
  Sessions expire after ``SESSION_HOURS``; login ``/connexion``, logout ``/deconnexion``; pages
  redirect to ``/connexion``, ``/_dash-*`` answer 401.
* Every response: security headers (CSP, nosniff, referrer policy, framing); no traceback ever
  (exceptions become a friendly page or a 4xx/204 JSON answer for Dash callbacks).
See docs/securite.md.
"""
from __future__ import annotations

import datetime as dt
import functools
import getpass
import hashlib
import hmac
import html as html_escape
import ipaddress
import logging
import re
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, jsonify, redirect, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from .accounts import (  # noqa: F401  (re-exported: the accounts are read below the web layer, by saisie too)
    _ACCOUNTS_CACHE, _NAME_RE, _SCOPE_RE, DEFAULT_ROLE, ROLES, Account, _cached, account_of, add_user,
    parse_role, read_accounts, read_roles, read_users)
from .settings import Settings

log = logging.getLogger(__name__)

SESSION_HOURS = 8
LOGIN_PATH, LOGOUT_PATH = "/connexion", "/deconnexion"
# reachable without a session: the login page itself, its stylesheet, the health check (kiosk polling)
_OPEN = re.compile(r"^/(connexion|deconnexion|healthz|assets/style\.css|dsfr/[\w./-]+|_favicon\.ico)$")
MAX_CALLBACK_BYTES = 2 * 1024 * 1024
_DATA_PREFIXES = ("/geometrie/", "/export/")
_INTERNAL_ONLY = re.compile(r"^/assets/saisie\.css$")


class StartupRefused(SystemExit):
    """The instance must not start (e.g. internal, exposed, without authentication)."""


# ---- addresses ------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def current_account(conf: Settings) -> Account | None:
    """The account of the request's user (session or trusted header), None without one."""
    return account_of(conf, current_user(conf))


# Called with the user's name after a successful sign-in (the saisie module records it in its audit log).
LOGIN_LISTENERS: list = []


@functools.cache
def _dummy_hash() -> str:
    """A hash to check an unknown user's password against (the same work as a known one's), made on first use:
    at import it cost every process — CLI, worker, test server — 0,2 s of key derivation."""
    return generate_password_hash(secrets.token_hex(8))


def check_user(users: dict[str, str], name: str, password: str) -> bool:
    if not isinstance(name, str) or not isinstance(password, str) or len(password) > 1024:
        return False
    hashed = users.get(name)
    ok = check_password_hash(hashed or _dummy_hash(), password)   # same work whether the user exists or not
    return bool(hashed) and ok


# ---- start-up check ---------------------------------------------------------------------------

def auth_configured(conf: Settings) -> bool:
    return bool(conf.users_file or conf.trusted_header)


def check_startup(conf: Settings) -> None:
    """Refuse (non-zero exit, French message) an internal instance exposed without authentication,
    or one whose users file is unusable. Called by create_app, so ``python app.py`` and gunicorn alike."""
    if conf.public:
        return
    if conf.users_file:
        try:
            users = read_users(conf.users_file)
        except (OSError, ValueError) as exc:
            raise StartupRefused(f"Démarrage refusé : fichier d'utilisateurs illisible ({exc}). "
                                 "Voir docs/securite.md.") from None
        if not users:
            raise StartupRefused(f"Démarrage refusé : aucun utilisateur dans {conf.users_file} "
                                 "(python -m dashboard.security add-user NOM).")
    if not is_loopback(conf.host) and not auth_configured(conf):
        raise StartupRefused(
            f"Démarrage refusé : l'instance interne écouterait sur {conf.host!r}, une adresse accessible depuis "
            "le réseau, sans authentification. Définir ACCES_SOINS_USERS_FILE (fichier d'utilisateurs, "
            "voir « python -m dashboard.security add-user NOM ») ou ACCES_SOINS_TRUSTED_HEADER (en-tête posé par "
            "un mandataire inverse authentifiant), ou ACCES_SOINS_PUBLIC=1 pour le kiosque public, ou écouter "
            "sur 127.0.0.1. Voir docs/securite.md.")


# ---- headers ----------------------------------------------------------------------------------

def _origin(url: str) -> str | None:
    """``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


EMBED_PREFIX = "/integrer/"


def frame_ancestors(conf: Settings, path: str = "") -> str:
    """Who may frame a page: ``ACCES_SOINS_FRAME_ANCESTORS``, else on the public instance any site for the embeds
    (``/integrer/…``, made to be framed; their figures are public), and nobody elsewhere (docs/api.md)."""
    configured = (conf.frame_ancestors or "").strip()
    if configured:
        return configured
    return "*" if conf.public and path.startswith(EMBED_PREFIX) else "'none'"


def content_security_policy(conf: Settings, script_hashes: list[str], path: str = "") -> str:
    tiles = _origin(conf.tile_url)
    ancestors = frame_ancestors(conf, path)
    directives = {
        "default-src": "'self'",
        # Dash's inline scripts (renderer start, string clientside callbacks) are allowed by hash
        # (app.csp_hashes()); no 'unsafe-inline', and no 'unsafe-eval': Dash's production bundles
        # do not need it (the dev bundles, never served here, would).
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",        # React/plotly/leaflet set inline styles
        "img-src": " ".join(["'self'", "data:", "blob:", *([tiles] if tiles else [])]),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


# ---- installation on the Flask server ---------------------------------------------------------

def _login_page(error: str = "", status: int = 200, next_url: str = "/") -> Response:
    token = session.get("csrf") or secrets.token_urlsafe(32)
    session["csrf"] = token
    err = f"<p class='fr-error-text login-error' role='alert'>{html_escape.escape(error)}</p>" if error else ""
    from .server import DSFR_URL
    body = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Connexion – Accès aux soins</title>
<link rel="stylesheet" href="{DSFR_URL}"><link rel="stylesheet" href="/assets/style.css"></head>
<body><main class="site-main fr-container" id="contenu">
<h1>Connexion</h1><p class="lead">Tableau de bord interne de l'agence régionale de santé : identifiez-vous.</p>{err}
<form method="post" action="{LOGIN_PATH}" class="login-form">
<input type="hidden" name="csrf" value="{html_escape.escape(token)}">
<input type="hidden" name="suivant" value="{html_escape.escape(next_url)}">
<div class="fr-input-group"><label class="fr-label" for="connexion-nom">Nom d'utilisateur</label>
<input class="fr-input" id="connexion-nom" name="nom" autocomplete="username" required maxlength="64"></div>
<div class="fr-input-group"><label class="fr-label" for="connexion-mdp">Mot de passe</label>
<input class="fr-input" id="connexion-mdp" name="mot_de_passe" type="password" autocomplete="current-password" required
 maxlength="1024"></div>
<p><button class="fr-btn" type="submit">Se connecter</button></p>
</form></main></body></html>"""
    resp = Response(body, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _safe_next(url: object) -> str:
    """Only local paths: no scheme, no host, no ``//`` (open redirect)."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        return "/"
    return url


# ---- API tokens (scripts): one or more per user, stored hashed -----------------------------------

TOKEN_PREFIX = "as_"


def tokens_file(conf: Settings) -> Path:
    """Beside the users file (or the data folder in trusted-header mode): ``name sha256 created`` per line."""
    return Path(conf.users_file + ".jetons") if conf.users_file else Path(conf.data_dir).parent / "jetons-api"


def _token_hash(token: str) -> str:
    # a token is 256 random bits: a plain SHA-256 cannot be reversed, and checking it costs nothing
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def read_tokens(path: str | Path) -> dict[str, str]:
    """sha256 of a token -> its user."""
    out = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3 or not _NAME_RE.match(fields[0]) or not re.fullmatch(r"[0-9a-f]{64}", fields[1]):
            raise ValueError(f"{path}:{n}: ligne attendue « nom empreinte-sha256 date »")
        out[fields[1]] = fields[0]
    return out


def add_token(conf: Settings, name: str) -> str:
    """A new token for ``name`` (shown once, stored hashed); the user must exist in users-file mode."""
    if not _NAME_RE.match(name):
        raise ValueError("nom d'utilisateur : lettres, chiffres, . _ @ - (64 caractères au plus)")
    if conf.users_file and name not in read_users(conf.users_file):
        raise ValueError(f"utilisateur inconnu : {name} (python -m dashboard.security add-user {name})")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    path = tokens_file(conf)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else "# Jetons de l'API (nom empreinte date), voir docs/api.md\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(old + f"{name} {_token_hash(token)} {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}\n",
                   encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return token


def token_user(conf: Settings, header: str) -> str | None:
    """The user of an ``Authorization: Bearer as_…`` header, None when absent, unknown or of a removed user."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    name = _cached(str(tokens_file(conf)), read_tokens).get(_token_hash(token.strip()))
    if name and conf.users_file and not _cached(conf.users_file, read_accounts).get(name):
        return None                                   # removed from the users file: its tokens go with it
    return name


def current_user(conf: Settings) -> str | None:
    if request.path.startswith("/api/") and request.headers.get("Authorization"):
        return token_user(conf, request.headers["Authorization"])   # scripts: a token, never a session
    if conf.trusted_header:
        name = request.headers.get(conf.trusted_header, "").strip()
        if name and len(name) <= 256:
            return name
    user, since = session.get("user"), session.get("since")
    if user and isinstance(since, (int, float)) and time.time() - since < SESSION_HOURS * 3600:
        return user
    return None


def install(app, conf: Settings) -> None:
    """Hooks on ``app.server`` (Flask): authentication (internal instance), security headers,
    no-traceback error handling, Dash callback request checks."""
    server = app.server
    check_startup(conf)
    server.config.update(
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="acces_soins_session",
        MAX_CONTENT_LENGTH=server.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024,
        PROPAGATE_EXCEPTIONS=False,
    )
    needs_auth = not conf.public and auth_configured(conf)

    def users() -> dict[str, str]:
        if not conf.users_file:
            return {}
        return {name: hashed for name, (hashed, _a) in _cached(conf.users_file, read_accounts).items()}

    def guard():
        path = request.path
        if conf.public and (path in (LOGIN_PATH, LOGOUT_PATH) or _INTERNAL_ONLY.match(path)):
            from .server import friendly_page       # the public instance has no sign-in and no saisie
            return friendly_page("Page introuvable", "L'adresse demandée n'existe pas.", 404)
        if conf.public and request.method == "GET" and path == "/":
            return redirect("/kiosque")           # the public instance's only page
        if needs_auth and not _OPEN.match(path) and not current_user(conf):
            if path.startswith("/api/") or path == "/api":
                from .api import problem
                resp = problem(401, "Authentification requise", "Connectez-vous, ou envoyez un jeton de l'API : "
                               "« Authorization: Bearer … » (python -m dashboard.security add-token NOM).")
                resp.headers["WWW-Authenticate"] = 'Bearer realm="acces-soins"'
                return resp
            if path.startswith(("/_dash-", "/_reload-hash")) or request.method != "GET":
                return jsonify({"erreur": "authentification requise"}), 401
            target = request.full_path.rstrip("?") if request.query_string else path
            return redirect(f"{LOGIN_PATH}?suivant={_quote(target)}")
        if path.startswith("/_dash-update-component"):
            return _check_callback_request(app)
        rule = request.url_rule.rule if request.url_rule else ""
        if path.startswith(_DATA_PREFIXES) and rule in ("", "/<path:path>"):
            # a data route (geometry, export) this instance does not serve: a real 404, not Dash's page shell
            from .server import friendly_page
            return friendly_page("Page introuvable", "L'adresse demandée n'existe pas.", 404)
        return None

    # First of all before_request hooks: nothing (real 404s, pages) runs for an anonymous visitor.
    server.before_request_funcs.setdefault(None, []).insert(0, guard)

    if needs_auth:
        @server.route(LOGIN_PATH, methods=["GET", "POST"])
        def login():
            if request.method == "GET":
                return _login_page(next_url=_safe_next(request.args.get("suivant", "/")))
            form = request.form
            next_url = _safe_next(form.get("suivant", "/"))
            token = session.get("csrf", "")
            if not token or not hmac.compare_digest(str(form.get("csrf", "")), token):
                return _login_page("Formulaire expiré : réessayez.", 400, next_url)
            name, password = form.get("nom", ""), form.get("mot_de_passe", "")
            if not check_user(users(), name, password):
                time.sleep(0.5)                   # slows guessing down
                log.warning("connexion refusée pour %r depuis %s", name[:64], request.remote_addr)
                return _login_page("Nom d'utilisateur ou mot de passe incorrect.", 401, next_url)
            session.clear()
            session.permanent = True
            session.update(user=name, since=time.time())
            for listener in LOGIN_LISTENERS:
                try:
                    listener(name)
                except Exception:  # noqa: BLE001 — an audit failure must not block a sign-in; it is logged
                    log.exception("écouteur de connexion en échec")
            return redirect(next_url)

        @server.route(LOGOUT_PATH)
        def logout():
            session.clear()
            return redirect(LOGIN_PATH)

    hashes: list[str] = []

    @server.after_request
    def headers(resp):
        if not hashes:
            try:
                hashes.extend(app.csp_hashes())
            except Exception:  # noqa: BLE001 — headers must never break a response
                pass
        h = resp.headers
        h.setdefault("Content-Security-Policy", content_security_policy(conf, hashes, request.path))
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if frame_ancestors(conf, request.path) == "'none'":
            h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return resp

    @server.errorhandler(Exception)
    def no_traceback(exc):
        """Any unexpected exception: logged with its traceback, answered without one."""
        if isinstance(exc, HTTPException):
            return exc
        log.exception("erreur sur %s %s", request.method, request.path)
        if request.path.startswith("/_dash-"):
            # a callback that failed on its input: a client error, not a server one, and no detail
            return jsonify({"erreur": "requête refusée"}), 400
        from .server import friendly_page
        return friendly_page("Une erreur est survenue", "Le service n'a pas pu répondre. Réessayez dans un instant.",
                             500)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def _check_callback_request(app):
    """Reject, before Dash sees them, callback requests that are not even well-formed: not JSON,
    too big, or naming an output that is not a server callback of this instance (e.g. a page not
    registered on the public instance). Dash would raise (→ 500); here they get a 4xx."""
    if request.method != "POST":
        return jsonify({"erreur": "méthode non autorisée"}), 405
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        return jsonify({"erreur": "requête trop volumineuse"}), 413
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"erreur": "requête invalide"}), 400
    output = body.get("output")
    known = app.callback_map
    if not isinstance(output, str) or output not in known or not callable(known[output].get("callback")):
        return jsonify({"erreur": "rappel inconnu"}), 404
    for key in ("inputs", "state"):
        value = body.get(key, [])
        if not isinstance(value, list) or any(not isinstance(v, (dict, list)) for v in value):
            return jsonify({"erreur": "requête invalide"}), 400
    if not isinstance(body.get("outputs", {}), (dict, list)) or not isinstance(body.get("changedPropIds", []), list):
        return jsonify({"erreur": "requête invalide"}), 400
    return None


# ---- CLI --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    import argparse

    from . import settings

    parser = argparse.ArgumentParser(prog="python -m dashboard.security",
                                     description="Utilisateurs du tableau de bord interne (voir docs/securite.md).")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-user", help="ajouter un utilisateur ou changer son mot de passe")
    add.add_argument("name", metavar="NOM")
    add.add_argument("--file", help="fichier d'utilisateurs (défaut : ACCES_SOINS_USERS_FILE)")
    add.add_argument("--role", default=DEFAULT_ROLE, choices=ROLES, help="rôle (défaut : lecteur)")
    add.add_argument("--territoires", default="", help="périmètre d'un contributeur, ex. D15,D43")
    add.add_argument("--password", help="mot de passe (scripts) ; sinon demandé")
    add.add_argument("--email", metavar="ADRESSE", help="adresse électronique (relances de la saisie)")
    mail = sub.add_parser("set-email", help="enregistrer l'adresse électronique d'un utilisateur (relances)")
    mail.add_argument("name", metavar="NOM")
    mail.add_argument("email", metavar="ADRESSE")
    sub.add_parser("check", help="vérifier que la configuration permet de démarrer")
    tok = sub.add_parser("add-token", help="créer un jeton de l'API pour un utilisateur (scripts)")
    tok.add_argument("name", metavar="NOM")
    args = parser.parse_args(argv)
    conf = settings.current()
    if args.command == "add-token":
        return _add_token_command(conf, args.name)
    if args.command == "set-email":
        return _set_email_command(conf, args.name, args.email, known_only=True)
    if args.command == "check":
        try:
            check_startup(conf)
        except StartupRefused as exc:
            print(exc, file=sys.stderr)
            return 1
        print("Configuration acceptée.")
        return 0
    if args.email is not None:              # checked before anything is written: no user left without it
        from .saisie import reminders

        try:
            reminders.check_email(args.email)
        except ValueError as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return 2
    path = args.file or conf.users_file
    if not path:
        print("Fichier d'utilisateurs non défini : --file CHEMIN ou ACCES_SOINS_USERS_FILE.", file=sys.stderr)
        return 2
    if args.password is not None:
        password = args.password
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Mot de passe pour {args.name} : ")
        if getpass.getpass("Confirmer : ") != password:
            print("Les deux saisies diffèrent.", file=sys.stderr)
            return 2
    else:                                          # scripted: the password on the first line of stdin
        password = sys.stdin.readline().rstrip("\n")
    try:
        add_user(path, args.name, password, args.role, args.territoires)
    except (ValueError, OSError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(f"Utilisateur {args.name} ({args.role}) enregistré dans {path}.")
    return 0 if args.email is None else _set_email_command(conf, args.name, args.email)


def _set_email_command(conf: Settings, name: str, address: str, known_only: bool = False) -> int:
    """The address goes to the saisie database (users file or trusted header alike), audited. ``known_only``
    (set-email): the name must be in the users or roles file — the reminders read no one else."""
    from .accounts import all_accounts
    from .saisie import db, reminders

    try:
        if known_only and name not in {a.name for a in all_accounts(conf)}:
            print(f"Erreur : utilisateur inconnu : {name} (ni dans ACCES_SOINS_USERS_FILE ni dans "
                  "ACCES_SOINS_ROLES_FILE)", file=sys.stderr)
            return 2
        reminders.set_email(db.database_url(conf), name[:256], address, actor=name[:256])
    except (ValueError, OSError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(f"Adresse de {name} enregistrée : {address.strip()} (relances de la saisie).")
    return 0


def _add_token_command(conf: Settings, name: str) -> int:
    try:
        token = add_token(conf, name)
    except (ValueError, OSError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    try:                                       # the audit log of the entries database (docs/saisie.md)
        from .saisie import db, service

        service.record(db.database_url(conf), name, "api_token", detail=f"jeton de l'API créé pour {name}")
    except Exception as exc:  # noqa: BLE001 — the token exists; say that its audit line is missing
        print(f"Attention : création du jeton non consignée dans le journal d'audit ({exc}).", file=sys.stderr)
    print(f"Jeton de l'API pour {name} (affiché une seule fois, conservé haché dans {tokens_file(conf)}) :")
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
