"""The Dash application factory: pages, callbacks and server settings from Settings."""
from __future__ import annotations

import html
import os
import sys

import dash
import flask
from dash.fingerprint import build_fingerprint

from . import appraisal, jobs
from . import security
from . import server as server_mod
from . import settings as settings_mod
from .settings import Settings


def create_app(conf: Settings) -> dash.Dash:
    settings_mod.use(conf)
    # Kiosk/security branch: an internal instance exposed without authentication refuses to start
    # (here, so that both `python app.py` and gunicorn's `app:server` are covered).
    security.check_startup(conf)
    appraisal.configure(conf)           # where appraisals come from (none on the public instance)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",                 # pages are registered explicitly: the public instance registers fewer
        assets_folder=str(settings_mod.ROOT / "assets"),
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
    _load_leaflet_on_demand(app)
    _link_dsfr(app, conf)
    app.layout = shell.layout
    server_mod.install(app, conf)
    # Kiosk/security branch: authentication, security headers, no tracebacks, callback request checks.
    security.install(app, conf)
    return app


def _link_dsfr(app: dash.Dash, conf: Settings) -> None:
    """The State design system's stylesheet (vendor/dsfr/, served by dashboard/server.py) on every page but the kiosk.

    The kiosk keeps its own wall-screen look (assets/kiosque.css): its page is served without the DSFR, and the
    navigation reaches it by a full page load (layouts/shell.py). The public instance serves the kiosk only.
    """
    if conf.public:
        return
    original = app.interpolate_index
    link = f'<link rel="stylesheet" href="{app.config.requests_pathname_prefix}{server_mod.DSFR_URL.lstrip("/")}">'
    kiosk = f"{app.config.requests_pathname_prefix}kiosque"

    def interpolate_index(**kwargs):
        if not flask.request.path.rstrip("/").startswith(kiosk):
            kwargs["css"] = f"{link}\n{kwargs.get('css', '')}"
        return original(**kwargs)

    app.interpolate_index = interpolate_index


LEAFLET_META = "acces-soins-leaflet"


def _load_leaflet_on_demand(app: dash.Dash) -> None:
    """dash-leaflet's bundle only on the pages that draw a map.

    Dash puts every component library's bundle on every page; dash-leaflet's (about 100 kB compressed) is only
    used by « Carte ». It is declared ``dynamic`` here (registered and served, but not in the page), and
    assets/leaflet-lazy.js stands in for ``window.dash_leaflet``: each of its components loads the bundle on
    first render, then renders the real component. The bundle's fingerprinted URL travels in a <meta> tag
    (the Content-Security-Policy forbids inline scripts).
    """
    module = sys.modules.get("dash_leaflet")
    if module is None:               # the public instance never imports it: nothing to do
        return
    main = next(r for r in module._js_dist if r.get("relative_package_path") == "dash_leaflet.js")
    main["dynamic"] = True
    modified = int(os.stat(os.path.join(os.path.dirname(module.__file__), "dash_leaflet.js")).st_mtime)
    url = (f"{app.config.requests_pathname_prefix}_dash-component-suites/dash_leaflet/"
           f"{build_fingerprint('dash_leaflet.js', module.__version__, modified)}")
    app.index_string = app.index_string.replace(
        "{%metas%}", f'{{%metas%}}\n        <meta name="{LEAFLET_META}" content="{html.escape(url)}">', 1)
