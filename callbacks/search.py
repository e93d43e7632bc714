"""Search box: suggestions as the user types; cleared when the page changes."""
from __future__ import annotations

from dash import Input, Output, callback, ctx, no_update

from dashboard import store
from layouts.search import PREFIXES, results


def update(value, _pathname, triggered: str | None = None):
    """(input value, suggestions, status): thin wrapper over ``layouts.search.results``."""
    if triggered == "app-url":
        return "", [], ""
    try:
        data = store.get()
    except store.StoreUnavailable:
        return no_update, [], "Recherche indisponible : aucune donnée publiée."
    items, status = results(data, value)
    return no_update, items, status


def _register(prefix: str) -> None:
    @callback(Output(f"{prefix}-input", "value"), Output(f"{prefix}-results", "children"),
              Output(f"{prefix}-status", "children"),
              Input(f"{prefix}-input", "value"), Input("app-url", "pathname"), prevent_initial_call=True)
    def _update(value, pathname):
        return update(value, pathname, ctx.triggered_id)


for _prefix in PREFIXES:
    _register(_prefix)
