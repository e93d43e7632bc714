"""« Territoires » (placeholder until the fact sheet lands)."""
import dash
from dash import html

PAGE = "territoire"


def layout(code=None, **_query):
    return html.Div([html.H1("Fiche territoire"), html.P("Cette page est en cours de construction.")])


dash.register_page(__name__, path_template="/territoire/<code>", path="/territoire", name="Territoires",
                   title="Territoires – Accès aux soins", order=3, layout=layout)
