"""« Indicateurs » : the catalogue, with definitions, units, sources, targets and frequency."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import catalogue, settings, store

from .components import demo_banner, download_button

PAGE = "indicateurs"


def _card(row: dict) -> html.Article:
    facts = [
        ("Unité", row["unit_label"]),
        ("Sens", row["polarity_label"]),
        ("Fréquence", row["frequency_label"]),
        ("Niveaux", row["levels_label"]),
        ("Cible", row["target_label"]),
        ("Dernière valeur", row["last_label"]),
        ("Diffusion", row["public_label"]),
    ]
    # a DSFR card without link (fr-card--no-arrow): the definition is the content
    return html.Article(html.Div(html.Div([
        html.H3(row["label"], id=f"{PAGE}-{row['id']}", className="fr-card__title"),
        html.P(row["definition"], className="fr-card__desc"),
        html.Dl([item for k, v in facts for item in (html.Dt(k), html.Dd(v))], className="facts"),
        html.P([html.Strong("Source : "), row["source"]], className="source"),
        html.P([html.Strong("Identifiant : "), html.Code(row["id"])], className="ident"),
    ], className="fr-card__content"), className="fr-card__body"), className="fr-card fr-card--no-arrow indicator-card")


def _export() -> html.Section:
    """The big export: every value of the store, built by a background callback (callbacks/indicateurs.py)."""
    return html.Section([
        download_button(f"{PAGE}-export", "Exporter toutes les valeurs (CSV)"),
        html.P(html.A("Télécharger le paquet de données (ZIP : CSV et datapackage.json, Frictionless)",
                      href="/export/donnees.zip", id=f"{PAGE}-datapackage", className="fr-link fr-icon-download-line",
                      download="")),
        html.P("Toutes les valeurs, tous territoires et trimestres, avec leur statut, leur source et leur note.",
               className="hint"),
        html.P(id=f"{PAGE}-export-status", role="status", className="export-status"),   # progress
        html.P(id=f"{PAGE}-export-result", role="status", className="export-status"),   # outcome
        dcc.Download(id=f"{PAGE}-export-download"),
    ], className="export", **{"aria-label": "Export des valeurs"})


def layout(**_query) -> html.Div:
    data = store.get()
    rows = catalogue.describe(data, settings.current().region)
    themes: dict[str, list] = {}
    for row in rows:
        themes.setdefault(row["theme"], []).append(row)
    return html.Div([
        html.H1("Indicateurs suivis"),
        html.P("Chaque indicateur du plan, avec sa définition, son unité, sa source, sa fréquence et sa cible "
               "quand le plan en fixe une. Les valeurs sont observées (source nommée), estimées (méthode nommée) "
               "ou de démonstration.", className="lead"),
        demo_banner(any(r["last_status"] == "demo" for r in rows)),
        _export(),
        *[html.Section([html.H2(theme), html.Div([_card(r) for r in items], className="card-grid")],
                       className="theme") for theme, items in themes.items()],
    ])


dash.register_page(__name__, path="/indicateurs", name="Indicateurs", title="Indicateurs – Accès aux soins", order=5, layout=layout)
