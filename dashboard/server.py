"""Flask-level routes and hooks around the Dash app: health check, real 404s, friendly errors."""
from __future__ import annotations

import gzip
import html as html_escape
import logging
import os
import threading
import re
import sys

import dash
from flask import Response, jsonify, request

from . import map_layers, mapping, store
from .settings import ROOT, Settings

# Routes Dash and Flask serve themselves (components, assets, callbacks).
# (kiosque branch: + the login/logout routes of dashboard/security.py)
_INTERNAL = re.compile(r"^/(_dash-|_reload-hash|_favicon|assets/|dsfr/|healthz|geometrie/|export/|connexion$|deconnexion$|api(/|$)|integrer/|oembed$)")


def _template_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"<([^>]+)>", r"(?P<\1>[^/]+)", template.rstrip("/")) + "/?$")


def page_for(path: str) -> tuple[dict, dict] | None:
    """The registered page serving ``path`` and its path variables, or None."""
    path = path.rstrip("/") or "/"
    for page in dash.page_registry.values():
        if page["module"] == "not_found_404":
            continue
        if page.get("path_template"):
            m = _template_regex(page["path_template"]).match(path)
            if m:
                return page, m.groupdict()
        if page["path"] == path:
            return page, {}
    return None


def friendly_page(title: str, message: str, status: int, links: list[tuple[str, str]] = ()) -> Response:
    items = "".join(f'<li><a href="{html_escape.escape(h)}">{html_escape.escape(t)}</a></li>' for t, h in links)
    body = (f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{html_escape.escape(title)}</title>"
            f"<link rel='stylesheet' href='{DSFR_URL}'><link rel='stylesheet' href='/assets/style.css'></head><body><main class='site-main'>"
            f"<h1>{html_escape.escape(title)}</h1><p>{html_escape.escape(message)}</p>"
            f"{'<ul>' + items + '</ul>' if items else ''}<p><a href='/'>Retour à l'accueil</a></p></main></body></html>")
    return Response(body, status=status, mimetype="text/html")


def unavailable_page() -> Response:
    page = friendly_page("Données momentanément indisponibles",
                         "Aucune version des données ne peut être lue pour le moment (l'incident est consigné "
                         "dans le journal du serveur). Réessayez dans quelques minutes.", 503)
    page.headers["Retry-After"] = "60"
    return page


def _failed(failure) -> dict:
    return {"failed_version": failure.version, "error": failure.error} if failure else {}


_STATIC = re.compile(r"^/(_dash-component-suites|assets|dsfr)/")
STATIC_CACHE_ENTRIES = 256


def _install_static_gzip(server) -> None:
    """Compress each static file once per process instead of on every request.

    Dash's compression (flask-compress) re-compresses plotly.js (≈ 4 MB) for every first visit, which
    under load takes the CPU the callbacks need. Static URLs are fingerprinted by Dash (``?v=``/``?m=``),
    so their bytes never change for a given URL: the gzip result is kept per URL (bounded). Registered
    after flask-compress, this hook runs before it; flask-compress then sees Content-Encoding and skips.
    """
    cache: dict[str, bytes] = {}
    lock = threading.Lock()

    @server.after_request
    def gzip_static(response):
        if (request.method != "GET" or response.status_code != 200 or not _STATIC.match(request.path)
                or "gzip" not in request.headers.get("Accept-Encoding", "")
                or "Content-Encoding" in response.headers
                or (response.mimetype or "").startswith(("image/", "font/"))):
            return response
        key = request.full_path
        body = cache.get(key)
        if body is None:
            response.direct_passthrough = False
            body = gzip.compress(response.get_data(), compresslevel=6)
            with lock:
                if len(cache) < STATIC_CACHE_ENTRIES:
                    cache[key] = body
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(body))
        response.vary.add("Accept-Encoding")
        return response


# plotly.js as a partial bundle holding only the trace types the charts use (scatter, bar; see
# dashboard/plan_figures.py and sheet_charts.py): the npm package plotly.js-basic-dist-min, same version as the
# plotly.js of the installed plotly package (tests/test_static_gzip.py checks it), with its licence.
PLOTLY_BUNDLE = ROOT / "vendor" / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
# dcc.Graph loads plotly.js only when a page has a chart, from this URL (dash-renderer's _dashPlotlyJSURL when
# serve_locally), or from its fingerprinted form: both get the partial bundle, the full one is never served.
_PLOTLY_URL = re.compile(r"/_dash-component-suites/plotly/package_data/plotly(\.v[0-9a-z_]+)?\.min\.js$")


def _install_partial_plotly(server) -> None:
    body = PLOTLY_BUNDLE.read_bytes()

    @server.before_request
    def partial_plotly():
        if request.method in ("GET", "HEAD") and _PLOTLY_URL.search(request.path):
            # the URL carries no version: a day of cache, then revalidated by ETag
            response = Response(body, mimetype="application/javascript")
            response.cache_control.public = True
            response.cache_control.max_age = 86400
            response.add_etag()
            return response.make_conditional(request)
        return None


# The State design system (DSFR), the subset built by scripts/vendor_dsfr.py: served from the repository (``make run``
# needs no Node.js), under a URL carrying its version so that browsers may keep it a year.
DSFR_DIR = ROOT / "vendor" / "dsfr"
DSFR_VERSION = (DSFR_DIR / "VERSION").read_text(encoding="utf-8").strip()
DSFR_URL = f"/dsfr/dsfr.min.css?v={DSFR_VERSION}"


def _install_dsfr(server) -> None:
    from flask import send_from_directory

    @server.route("/dsfr/<path:name>")
    def dsfr(name):
        # fonts and icons are named by the stylesheet without the version: a day, then revalidated
        return send_from_directory(DSFR_DIR, name, max_age=31536000 if request.args.get("v") else 86400)


# ---- warm-up: the first visitor of each page does not pay for the process's or the version's first render ----
# One thread per process and store version renders what a first visit would: the map's geometry of every level
# (mapping.warm) and the default view of every page (WARM_PAGES), filling the per-version memo caches
# (dashboard/cache.py) while requests are served. /healthz says when it is done (``warm``).
WARM_PAGES = ("/", "/carte", "/territoire/{region}", "/kiosque")   # pages this instance does not serve: skipped
_WARM_LOCK = threading.Lock()
_WARMUP = {"pid": None, "version": None, "done": False, "pages": ()}


def _new_warm_lock() -> None:
    """In a forked child (a background job), a lock held by a thread of the parent would never be released."""
    global _WARM_LOCK
    _WARM_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_warm_lock)


def warm_up(app: dash.Dash, conf: Settings) -> list[str]:
    """Render every page's default view and the map's geometry once, now (the warm-up thread's work; tests call
    it directly). Returns the paths rendered. A failure only costs time: the page fails again, and is reported,
    when a visitor asks for it."""
    if not conf.public:
        mapping.warm(conf.region)
    done = []
    for path in WARM_PAGES:
        path = path.format(region=conf.region)
        found = page_for(path)
        if found is None:
            continue
        page, variables = found
        try:
            with app.server.test_request_context(path):   # layouts may read the request (the signed-in account)
                page["layout"](**variables)
            done.append(path)
        except Exception:  # noqa: BLE001 — see above
            logging.getLogger(__name__).warning("préchauffage de %s interrompu", path, exc_info=True)
    return done


def _warm_thread(app: dash.Dash, conf: Settings, version: str) -> None:
    pages = warm_up(app, conf)
    with _WARM_LOCK:
        if _WARMUP["version"] == version:    # else a newer version was picked up meanwhile: its own thread reports
            _WARMUP.update(done=True, pages=tuple(pages))


def _start_warm_up(app: dash.Dash, conf: Settings, version: str) -> None:
    """Start the warm-up of ``version`` in this process unless it is started already (cheap: on every request)."""
    pid = os.getpid()
    if _WARMUP["pid"] == pid and _WARMUP["version"] == version:
        return
    with _WARM_LOCK:
        if _WARMUP["pid"] == pid and _WARMUP["version"] == version:
            return
        _WARMUP.update(pid=pid, version=version, done=False, pages=())
    threading.Thread(target=_warm_thread, args=(app, conf, version), name="prechauffage", daemon=True).start()


def warm_state(version: str) -> bool:
    """Whether this process has finished warming ``version``."""
    return _WARMUP["pid"] == os.getpid() and _WARMUP["version"] == version and _WARMUP["done"]


def install(app: dash.Dash, conf: Settings) -> None:
    server = app.server
    _install_static_gzip(server)
    _install_partial_plotly(server)
    _install_dsfr(server)
    if not conf.public:  # the public instance serves the kiosk only: no map route to probe
        mapping.install_routes(server, conf)  # /geometrie/<level>.geojson: the map's geometry, cached and gzipped
        map_layers.install_routes(server, conf)  # /geometrie/cpts.geojson: dissolved CPTS perimeters per quarter

    from . import api_web
    api_web.install(app, conf)           # /api/v1/… and its documentation page /api (docs/api.md)

    @server.before_request
    def warm_current_version():
        """At a process's first request, and at the first one after a new version is picked up: warm it in the
        background. Never at import: a Celery worker or a forked job imports the app too, and a child forked
        while a thread holds a lock would wait for it forever."""
        try:
            data = store.get()
        except store.StoreUnavailable:
            return None
        _start_warm_up(app, conf, data.version)
        return None

    @server.route("/healthz")
    def healthz():
        """200 while a version is served, even an older one than CURRENT names (``degraded``); 503 without any.
        ``warm``: the served version's pages and map are rendered once in this process (a load balancer may wait
        for it before sending traffic; the status code does not depend on it, a cold process still answers)."""
        try:
            data = store.get()
        except store.StoreUnavailable:
            return jsonify({"status": "indisponible", "version": None, **_failed(store.failure())}), 503
        failed = store.failure()
        return jsonify({"status": "dégradé" if failed else "ok", "degraded": failed is not None,
                        "version": data.version, "built_at": data.built_at, "warm": warm_state(data.version),
                        **_failed(failed)})

    @server.before_request
    def unavailable():
        """No readable version at all (cold start): every page answers a clear 503, not an empty shell."""
        if request.method != "GET" or _INTERNAL.match(request.path) or page_for(request.path) is None:
            return None
        try:
            store.get()
        except store.StoreUnavailable:
            return unavailable_page()
        return None

    @server.errorhandler(store.StoreUnavailable)
    def store_unavailable(_exc):   # more specific than security's handler of Exception
        if request.path.startswith("/_dash-"):
            return jsonify({"erreur": "données indisponibles"}), 503
        return unavailable_page()

    @server.before_request
    def real_not_found():
        """Dash answers every path with its page shell; a wrong URL must get a real 404."""
        if request.method != "GET" or _INTERNAL.match(request.path):
            return None
        found = page_for(request.path)
        if found is None:
            return friendly_page("Page introuvable", "L'adresse demandée n'existe pas.", 404)
        page, variables = found
        # A page may refuse its path variables (e.g. an unknown territory code): module.not_found(**vars)
        # returns None when the page exists, else a Response (with suggestions).
        module = sys.modules.get(page["module"])
        check = getattr(module, "not_found", None)
        if check and variables:
            return check(**variables)
        return None

    @server.errorhandler(500)
    def internal_error(_exc):  # never a traceback in a response
        return friendly_page("Une erreur est survenue", "Le service n'a pas pu répondre. Réessayez dans un instant.",
                             500)
