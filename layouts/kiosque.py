"""« Kiosque » (placeholder until its page lands)."""
import dash
from dash import html

PAGE = "kiosque"


def layout(**_query):
    return html.Div([html.H1("Kiosque"), html.P("Cette page est en cours de construction.")])


dash.register_page(__name__, path="/kiosque", name="Kiosque", title="Kiosque – Accès aux soins", order=4, layout=layout)
