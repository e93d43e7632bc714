"""The Dash application factory: pages, callbacks and server settings from Settings."""
from __future__ import annotations

import dash

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
    app.layout = shell.layout
    server_mod.install(app, conf)
    # Kiosk/security branch: authentication, security headers, no tracebacks, callback request checks.
    security.install(app, conf)
    return app
