"""The Dash application factory: pages, callbacks and server settings from Settings."""
from __future__ import annotations

import html
import os
import sys
import threading

import dash
from dash.development.base_component import Component
import flask
from dash.fingerprint import build_fingerprint

from . import jobs
from . import security
from . import server as server_mod
from . import settings as settings_mod
from .saisie import appraisals as saisie_appraisals
from .settings import Settings


def create_app(conf: Settings) -> dash.Dash:
    settings_mod.use(conf)
    # Kiosk/security branch: an internal instance exposed without authentication refuses to start
    # (here, so that both `python app.py` and gunicorn's `app:server` are covered).
    security.check_startup(conf)
    saisie_appraisals.configure(conf)   # where appraisals come from (none on the public instance)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",                 # pages are registered explicitly: the public instance registers fewer
        assets_folder=str(settings_mod.ROOT / "assets"),
        # the kiosk's own look and engine: on its page only (_page_styles); the public instance has no saisie
        assets_ignore=KIOSK_ASSETS + (f"|{INTERNAL_ASSETS}" if conf.public else ""),
        title="Accès aux soins – suivi du plan",
        update_title=None,
        compress=True,
        background_callback_manager=jobs.background_manager(conf),
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "description", "content": "Suivi trimestriel du plan d'accès aux soins"}],
    )
    # Pages are in French: screen readers need <html lang="fr">.
    app.index_string = app.index_string.replace("<html>", '<html lang="fr">')
    app.server.secret_key = conf.secret_key
    # Imported here: page modules call dash.register_page, which needs the app to exist.
    import callbacks
    import layouts
    from layouts import shell

    layouts.register(public=conf.public)
    callbacks.register(public=conf.public)
    _load_on_demand(app)
    _page_styles(app, conf)
    app.layout = shell.layout
    server_mod.install(app, conf)
    # Kiosk/security branch: authentication, security headers, no tracebacks, callback request checks.
    security.install(app, conf)
    _setup_once(app)
    return app


def _setup_once(app: dash.Dash) -> None:
    """Dash copies the page callbacks into ``callback_map`` in a first-request hook that marks itself done before
    it has finished: under threads, a worker's concurrent first requests saw a half-filled map (unknown callback,
    404). This hook runs first and lets one request finish Dash's setup while the others wait."""
    lock = threading.Lock()

    def setup():
        with lock:
            app._setup_server()   # returns at once once done

    app.server.before_request_funcs.setdefault(None, []).insert(0, setup)


KIOSK_ASSETS = r"kiosque\.(css|js)$"
INTERNAL_ASSETS = r"saisie\.css$"      # the internal saisie's stylesheet: never on the kiosk, never public


def _page_styles(app: dash.Dash, conf: Settings) -> None:
    """The State design system's stylesheet (vendor/dsfr/, served by dashboard/server.py) on every page but the
    kiosk; the kiosk's own stylesheet and engine (assets/kiosque.*) on the kiosk only.

    The kiosk keeps its own wall-screen look: its page is served without the DSFR, and the navigation reaches it by
    a full page load (layouts/shell.py). The public instance serves the kiosk only. Each page then loads only what
    it uses (the first-load budgets, bench/weight.py).
    """
    original = app.interpolate_index
    prefix = app.config.requests_pathname_prefix
    dsfr = f'<link rel="stylesheet" href="{prefix}{server_mod.DSFR_URL.lstrip("/")}">'
    kiosk_css = f'<link rel="stylesheet" href="{app.get_asset_url("kiosque.css")}">'
    kiosk_js = f'<script src="{app.get_asset_url("kiosque.js")}"></script>'
    kiosk = f"{prefix}kiosque"

    def interpolate_index(**kwargs):
        if conf.public or flask.request.path.rstrip("/").startswith(kiosk):
            # before the other stylesheets, where Dash put it when it loaded every asset everywhere (the page
            # stylesheets that follow carry print and screen rules the kiosk's type sizes were tuned against)
            css = "\n".join(line for line in kwargs.get("css", "").split("\n") if "saisie.css" not in line)
            kwargs["css"] = f"{kiosk_css}\n{css}"
            kwargs["scripts"] = f"{kwargs.get('scripts', '')}\n{kiosk_js}"
        else:
            kwargs["css"] = f"{dsfr}\n{kwargs.get('css', '')}"
        return original(**kwargs)

    app.interpolate_index = interpolate_index


LAZY_META = "acces-soins-lazy"
# (module, main bundle, window namespace, pages): component libraries used by one page only. dash-leaflet is
# loaded by stand-ins on first render (any page may draw a map); dash-ag-grid misbehaves when loaded after the
# renderer started (its grid never draws), so it is loaded upfront on the pages that use it, and links to them
# reload the page (layouts/shell.py FULL_LOAD).
ON_DEMAND = (("dash_leaflet", "dash_leaflet.js", "dash_leaflet", ()),                 # « Carte »
             ("dash_ag_grid", "dash_ag_grid.min.js", "dash_ag_grid", ("/saisie",)))  # « Saisie »


def _load_on_demand(app: dash.Dash) -> None:
    """dash-leaflet's and dash-ag-grid's bundles only on the pages that use them.

    Dash puts every component library's bundle on every page; dash-leaflet's (about 100 kB compressed) is only
    used by « Carte » and dash-ag-grid's (360 kB) by « Saisie ». Each is declared ``dynamic`` here (registered
    and served, but not in the page), and assets/lazy-components.js stands in for ``window.<namespace>``: each
    of its components loads the bundle on first render, then renders the real component. The bundle's
    fingerprinted URL travels in a <meta> tag (the Content-Security-Policy forbids inline scripts).
    """
    for name, bundle, namespace, pages in ON_DEMAND:
        module = sys.modules.get(name)
        if module is None:               # the public instance never imports them: nothing to do
            continue
        main = next(r for r in module._js_dist if r.get("relative_package_path") == bundle)
        main["dynamic"] = True
        modified = int(os.stat(os.path.join(os.path.dirname(module.__file__), bundle)).st_mtime)
        url = (f"{app.config.requests_pathname_prefix}_dash-component-suites/{name}/"
               f"{build_fingerprint(bundle, module.__version__, modified)}")
        components = ",".join(sorted(n for n, o in vars(module).items()
                                     if isinstance(o, type) and issubclass(o, Component)
                                     and o.__module__.startswith(name)))
        app.index_string = app.index_string.replace(
            "{%metas%}", f'{{%metas%}}\n        <meta name="{LAZY_META}" content="{html.escape(namespace)} '
                         f'{html.escape(url)} {html.escape(components)} {html.escape(",".join(pages) or "-")}">', 1)
