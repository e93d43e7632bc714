"""Friendly 404 page for unknown paths."""
import dash
from dash import dcc, html


def layout(**_query):
    return html.Div([
        html.H1("Page introuvable"),
        html.P("L'adresse demandée n'existe pas ou n'est plus disponible."),
        html.P(dcc.Link("Retour au suivi du plan", href="/")),
    ])


dash.register_page("not_found_404", path="/404", name="Page introuvable", title="Page introuvable", layout=layout)
