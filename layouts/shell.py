"""The page frame in the State design system (DSFR): header, navigation, main content, footer with the data version."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import queries, settings, store

from .components import data_version_line
from .search import search_box

# pages whose links reload the page: the kiosk (no DSFR) and « Saisie » (dash-ag-grid loaded before Dash starts)
FULL_LOAD = {"/saisie", "/kiosque"}
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
    templates = {p.get("path_template") for p in dash.page_registry.values()}
    items = []
    for label, href in NAV:
        if not (href in registered or (href == "/territoire" and "/territoire/<code>" in templates)):
            continue
        # The kiosk is drawn without the DSFR (its own wall-screen look) and « Saisie » needs dash-ag-grid loaded
        # before Dash starts (dashboard/webapp.py): both are reached by a full page load.
        link = (html.A if href in FULL_LOAD else dcc.Link)(label, href=href, className="fr-nav__link nav-link")
        items.append(html.Li(link, className="fr-nav__item"))
    return html.Nav(html.Ul(items, className="fr-nav__list nav-list"), className="fr-nav site-nav",
                    **{"aria-label": "Navigation principale"})


def _footer() -> html.Footer:
    try:
        line = data_version_line(store.get())
    except store.StoreUnavailable:
        line = "Aucune donnée publiée : lancer « make data »."
    return html.Footer(html.Div([
        html.Div([
            html.Div(html.P(["République", html.Br(), "Française"], className="fr-logo"),
                     className="fr-footer__brand"),
            html.Div([
                html.P(line, id="app-data-version", className="fr-footer__content-desc"),
                html.P(["Sources : DREES (APL, FINESS), Baromètre des résultats de l'action publique, agence "
                        "régionale de santé. ", dcc.Link("Définitions des indicateurs", href="/indicateurs")],
                       className="fr-footer__content-desc"),
            ], className="fr-footer__content"),
        ], className="fr-footer__body"),
    ], className="fr-container"), className="fr-footer site-footer", id="pied-de-page")


def _tagline() -> str:
    """« ARS Auvergne-Rhône-Alpes — suivi trimestriel du plan »: the region's name comes from the store."""
    try:
        name = queries.name_of(store.get(), settings.current().region)
    except store.StoreUnavailable:
        name = ""
    return f"ARS {name} — suivi trimestriel du plan" if name else "Suivi trimestriel du plan"


def _header(public: bool) -> html.Header:
    """The DSFR header: bloc-marque « République Française », service name and the region as tagline, the
    territory search among the tools, then the main navigation (always shown: no menu to open on phones)."""
    brand = html.Div([
        html.Div(html.Div(html.P(["République", html.Br(), "Française"], className="fr-logo"),
                          className="fr-header__logo"), className="fr-header__brand-top"),
        html.Div([
            dcc.Link(html.P("Accès aux soins", className="fr-header__service-title site-title"), href="/",
                     title="Accueil — Accès aux soins"),
            html.P(_tagline(), className="fr-header__service-tagline site-tagline"),
        ], className="fr-header__service"),
    ], className="fr-header__brand")    # no fr-enlarge-link: the link keeps its own 3 px focus ring
    tools = html.Div(html.Div(None if public else search_box(), id="app-search-slot",
                              className="fr-header__search search-slot"), className="fr-header__tools")
    return html.Header([
        html.Div(html.Div(html.Div([brand, tools], className="fr-header__body-row"), className="fr-container"),
                 className="fr-header__body"),
        html.Div(html.Div(_nav(public), className="fr-container"), className="fr-header__menu"),
    ], className="fr-header site-header")


def layout() -> html.Div:
    public = settings.current().public
    return html.Div([
        dcc.Location(id="app-url", refresh="callback-nav"),
        dcc.Store(id="app-page"),
        html.A("Aller au contenu", href="#contenu", className="skip-link"),
        _header(public),
        html.Main(html.Div(dash.page_container, className="fr-container"), id="contenu", className="site-main",
                  tabIndex="-1"),
        _footer(),
    ], className="app-shell")
