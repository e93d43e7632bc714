"""« Suivi du plan » (placeholder until its page lands)."""
import dash
from dash import html

PAGE = "plan"


def layout(**_query):
    return html.Div([html.H1("Suivi du plan"), html.P("Cette page est en cours de construction.")])


dash.register_page(__name__, path="/", name="Suivi du plan", title="Suivi du plan – Accès aux soins", order=1, layout=layout)
