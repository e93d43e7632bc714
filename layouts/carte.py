"""« Carte » (placeholder until its page lands)."""
import dash
from dash import html

PAGE = "carte"


def layout(**_query):
    return html.Div([html.H1("Carte"), html.P("Cette page est en cours de construction.")])


dash.register_page(__name__, path="/carte", name="Carte", title="Carte – Accès aux soins", order=2, layout=layout)
