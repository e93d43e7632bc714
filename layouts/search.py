"""The territory search box (shown in the header of every page, and on /territoire).

Accessible: a visible label, a native search input, a polite live region announcing the number of results, and
suggestions as a list of links (keyboard: ↓/↑ move between input and suggestions, Échap returns to the input,
Entrée on the input opens the first suggestion; see assets/search.js).
"""
from __future__ import annotations

from dash import dcc, html

from dashboard import search

MIN_CHARS = 2
PREFIXES = ("search", "search-page")     # header box, box of the /territoire page


def search_box(prefix: str = "search", label: str = "Rechercher un territoire") -> html.Div:
    return html.Div([
        html.Label([label, html.Span(" (nom ou code, sans souci des accents ; flèche bas pour parcourir les "
                                     "suggestions)", className="visually-hidden")],
                   htmlFor=f"{prefix}-input", className="search-label"),
        dcc.Input(id=f"{prefix}-input", type="search", debounce=False, autoComplete="off",
                  placeholder="Commune, EPCI, département ou code INSEE", className="search-input"),
        html.P(id=f"{prefix}-status", className="visually-hidden", **{"aria-live": "polite"}),
        html.Ul(id=f"{prefix}-results", className="search-results", **{"aria-label": "Territoires trouvés"}),
    ], className="search-box", role="search", **{"aria-label": label if prefix == "search" else f"{label} (page)"})


def suggestion(result: dict) -> html.Li:
    return html.Li(dcc.Link([
        html.Span(result["name"], className="search-name"), " ",
        html.Span(result["level_label"], className="search-level"),
        html.Span(f" · {result['context']}" if result["context"] else "", className="search-context"),
    ], href=result["href"], className="search-link", title=search.label(result)))


def results(data, value) -> tuple[list, str]:
    """(suggestion items, status text) for the typed value: pure, used by the callback."""
    if not isinstance(value, str) or len(value.strip()) < MIN_CHARS:
        return [], ""
    found = search.search(data, value, limit=8)
    if not found:
        return [html.Li("Aucun territoire trouvé.", className="search-empty")], "Aucun territoire trouvé."
    n = len(found)
    return [suggestion(r) for r in found], f"{n} territoire{'s' if n > 1 else ''} trouvé{'s' if n > 1 else ''}."
