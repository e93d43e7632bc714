"""The page frame: State-like header, navigation, main content, footer with the data version."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import queries, settings, store

from .components import data_version_line
from .search import search_box

# pages whose links reload the page: they need a component library loaded before Dash starts (dashboard/webapp.py)
FULL_LOAD = {"/saisie"}
NAV = [("Suivi du plan", "/"), ("Carte", "/carte"), ("Territoires", "/territoire"), ("Kiosque", "/kiosque"),
       ("Indicateurs", "/indicateurs"), ("Saisie", "/saisie")]


def _may_enter() -> bool:
    """The « Saisie » link is for the signed-in contributors, valideurs and admins only."""
    from dashboard import security

    try:
        who = security.current_account(settings.current())
    except RuntimeError:                     # outside a request
        return False
    return bool(who and who.at_least("contributeur"))


def _nav(public: bool) -> html.Nav:
    registered = {p["path"] for p in dash.page_registry.values()}
    if "/saisie" in registered and not _may_enter():
        registered.discard("/saisie")
    links = [html.Li(dcc.Link(label, href=href, className="nav-link", refresh=href in FULL_LOAD)) for label, href in NAV
             if href in registered or (href == "/territoire" and "/territoire/<code>" in
                                       {p.get("path_template") for p in dash.page_registry.values()})]
    return html.Nav(html.Ul(links, className="nav-list"), className="site-nav", **{"aria-label": "Navigation principale"})


def _footer() -> html.Footer:
    try:
        line = data_version_line(store.get())
    except store.StoreUnavailable:
        line = "Aucune donnée publiée : lancer « make data »."
    return html.Footer([
        html.P(line, id="app-data-version"),
        html.P(["Sources : DREES (APL, FINESS), Baromètre des résultats de l'action publique, agence régionale de santé. ",
                dcc.Link("Définitions des indicateurs", href="/indicateurs")]),
    ], className="site-footer")


def _tagline() -> str:
    """« ARS Auvergne-Rhône-Alpes — suivi trimestriel du plan »: the region's name comes from the store."""
    try:
        name = queries.name_of(store.get(), settings.current().region)
    except store.StoreUnavailable:
        name = ""
    return f"ARS {name} — suivi trimestriel du plan" if name else "Suivi trimestriel du plan"


def layout() -> html.Div:
    public = settings.current().public
    return html.Div([
        dcc.Location(id="app-url", refresh="callback-nav"),
        dcc.Store(id="app-page"),
        html.A("Aller au contenu", href="#contenu", className="skip-link"),
        html.Header([
            html.Div([
                html.Div(["République", html.Br(), "Française"], className="marianne-block", **{"aria-hidden": "true"}),
                html.Div([
                    html.P(dcc.Link("Accès aux soins", href="/"), className="site-title"),
                    html.P(_tagline(), className="site-tagline"),
                ]),
                html.Div(None if public else search_box(), id="app-search-slot", className="search-slot"),
            ], className="header-inner"),
            _nav(public),
        ], className="site-header"),
        html.Main(dash.page_container, id="contenu", className="site-main", tabIndex="-1"),
        _footer(),
    ], className="app-shell")
