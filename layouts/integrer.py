"""The « Intégrer » block of a page: the <iframe> code of the figure shown, to paste into another site
(embeds: dashboard/embeds.py, docs/api.md)."""
from __future__ import annotations

import flask
from dash import dcc, html

from dashboard import embeds


def embed_block(state: dict, title: str, ident: str) -> html.Details:
    """A closed « Intégrer » disclosure holding the iframe code (selectable text) and the embed's link."""
    url = embeds.embed_url(state, None)
    # absolute when the page is built in a request (Dash's page callback): the code is pasted on another site
    base = flask.request.host_url.rstrip("/") if flask.has_request_context() else ""
    code = embeds.iframe_code(base + url, title, state["kind"])
    return html.Details([
        html.Summary("Intégrer", className="fr-btn fr-btn--tertiary fr-btn--sm"),
        html.P("Code à coller dans une page d'un autre site (ce site doit l'autoriser : "
               "ACCES_SOINS_FRAME_ANCESTORS, ou l'instance publique) :"),
        html.Label("Code d'intégration (iframe)", htmlFor=ident, className="fr-label"),
        dcc.Textarea(id=ident, value=code, readOnly=True, rows=3, style={"width": "100%"}),
        html.P([html.A("Aperçu de l'intégration", href=url, target="_blank", rel="noopener"), *images(state)]),
    ], className="embed-code no-print")


def images(state: dict) -> list:
    """The chart as PNG and SVG, its title, place, quarter, sources and data version drawn in (server-side)."""
    if state["kind"] != "graphique":
        return []
    base, query = f"{embeds.PREFIX}/graphique/{state['indicator']}", embeds.query_of(state, None)
    return [" · ", html.A("Image PNG", href=f"{base}.png?{query}", download=""),
            " · ", html.A("Image SVG", href=f"{base}.svg?{query}", download="")]
