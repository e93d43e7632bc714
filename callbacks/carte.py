"""Callbacks of « Carte ». Thin: validate inputs, call dashboard.mapping and the layout builders.

Geometry never travels here: the restyle returns the view (values only, into the dcc.Store ``carte-view``,
repainted in place by ``assets/carte.js``) and a URL string that only changes with the level (dash-leaflet
refetches only when the URL string changes). The GeoJSON's hideout is never changed after the first drawing:
dash-leaflet re-creates every shape on a new hideout.
"""
from __future__ import annotations

from dash import ClientsideFunction, Input, Output, Patch, State, callback, clientside_callback, ctx, no_update

from dashboard import exports, map_layers, mapping, settings, store, territory
from layouts import carte as view

PAGE = view.PAGE


def _state(level, indicator, quarter, selected=None) -> tuple[store.Store, dict, str]:
    data = store.get()
    region = settings.current().region
    return data, mapping.normalise(data, indicator, level, quarter, selected, region), region


def restyle(level, indicator, quarter, selected, basis=None):
    """Indicator, quarter, level or basis (per 100 000 inhabitants or count) changed: new values (hideout),
    legend, caption, banner, and whether the basis is offered (counts only)."""
    data, st, region = _state(level, indicator, quarter, selected)
    if st["indicator"] is None or st["quarter"] is None:
        return (no_update,) * 6
    result = mapping.choropleth(data, st["indicator"], st["level"], st["quarter"], region, st["selected"], basis)
    return (mapping.geometry_url(data, st["level"]), result["hideout"], view.legend(result),
            view.caption(result, st["level"], st["quarter"], mapping.shape_count(data, st["level"], region), region,
                         mapping.arrondissement_count(data, st["level"], region)),
            view.demo_banner(result["has_demo"]), result["basis"] is None)


@callback(
    Output(f"{PAGE}-geojson", "url"), Output(f"{PAGE}-view", "data"), Output(f"{PAGE}-legend", "children"),
    Output(f"{PAGE}-caption", "children"), Output(f"{PAGE}-banner", "children"),
    Output(f"{PAGE}-basis-field", "hidden"),
    Input(f"{PAGE}-level", "value"), Input(f"{PAGE}-indicator", "value"), Input(f"{PAGE}-quarter", "value"),
    Input(f"{PAGE}-basis", "value"), State(f"{PAGE}-territory", "value"),
    prevent_initial_call=True,
)
def _restyle(level, indicator, quarter, basis, selected):
    return restyle(level, indicator, quarter, selected, basis)


def show_layers(active, quarter):
    """Layers switched on or quarter changed: the layers' URLs and values-only hideouts « as of » the quarter."""
    data = store.get()
    region = settings.current().region
    st = mapping.normalise(data, None, None, quarter, None, region)
    info = map_layers.view(data, active, st["quarter"], region)
    return (info["zonage_url"], info["zonage"], info["blanches_url"], info["blanches"], info["cpts_url"],
            view.layers_legend(info))


callback(
    Output(f"{PAGE}-layer-zonage", "url"), Output(f"{PAGE}-layer-zonage", "hideout"),
    Output(f"{PAGE}-layer-blanches", "url"), Output(f"{PAGE}-layer-blanches", "hideout"),
    Output(f"{PAGE}-layer-cpts", "url"), Output(f"{PAGE}-layers-legend", "children"),
    Input(f"{PAGE}-layers", "value"), Input(f"{PAGE}-quarter", "value"),
    prevent_initial_call=True,
)(show_layers)


@callback(
    Output(f"{PAGE}-indicator", "options"), Output(f"{PAGE}-indicator", "value"),
    Output(f"{PAGE}-territory", "options"), Output(f"{PAGE}-territory", "value"),
    Output(f"{PAGE}-territory", "placeholder"), Output(f"{PAGE}-indicator-hint", "children"),
    Input(f"{PAGE}-level", "value"), State(f"{PAGE}-indicator", "value"), State(f"{PAGE}-territory", "value"),
    prevent_initial_call=True,
)
def change_level(level, indicator, selected):
    """A new level: the indicators with values there (and which are left out) and its territories; keep the
    indicator when it has values there."""
    data, st, region = _state(level, indicator, None, selected)
    return (mapping.indicator_options(data, st["level"]), st["indicator"],
            mapping.territory_options(data, st["level"], region, selected=st["selected"]), st["selected"],
            view.territory_placeholder(data, st["level"], region), view.not_offered_hint(data, st["level"]))


@callback(
    Output(f"{PAGE}-territory", "options", allow_duplicate=True),
    Input(f"{PAGE}-territory", "search_value"), State(f"{PAGE}-level", "value"),
    State(f"{PAGE}-territory", "value"),
    prevent_initial_call=True,
)
def search_territory(typed, level, selected):
    """Long lists (communes) are searched here as the user types; short ones are complete already."""
    data, st, region = _state(level, None, None, selected)
    if len(mapping.region_codes(data, st["level"], region)) <= mapping.TERRITORY_LIST_MAX:
        return no_update
    return mapping.territory_options(data, st["level"], region, typed, st["selected"])


@callback(
    Output(f"{PAGE}-territory", "value", allow_duplicate=True),
    Input(f"{PAGE}-geojson", "clickData"), State(f"{PAGE}-level", "value"),
    prevent_initial_call=True,
)
def click_territory(feature, level):
    """A click on a shape selects it (the code is checked: a crafted payload changes nothing)."""
    code = ((feature or {}).get("properties") or {}).get("code") if isinstance(feature, dict) else None
    if not territory.is_code(code):
        return no_update
    data, st, _region = _state(level, None, None, code)
    return st["selected"] or no_update


@callback(
    Output(f"{PAGE}-panel", "children"), Output(f"{PAGE}-view", "data", allow_duplicate=True),
    Output(f"{PAGE}-announce", "children"),
    Input(f"{PAGE}-territory", "value"), Input(f"{PAGE}-quarter", "value"), State(f"{PAGE}-level", "value"),
    prevent_initial_call=True,
)
def show_territory(selected, quarter, level):
    """Side panel of the selected territory, announced by name; only the ``selected`` key of the view is patched."""
    data, st, _region = _state(level, None, quarter, selected)
    patch = Patch()
    patch["selected"] = st["selected"]
    return (view.side_panel(data, st["selected"], st["level"], st["quarter"]), patch,
            view.announce(data, st["selected"]))


PAGER = {f"{PAGE}-table-first": "first", f"{PAGE}-table-prev": "prev", f"{PAGE}-table-next": "next",
         f"{PAGE}-table-last": "last"}


def show_table(level, indicator, quarter, query, sort, page, move=None, basis=None):
    """One page of the table for the state; ``move`` (first/prev/next/last) pages from ``page``, anything else
    (a new indicator, quarter, level, filter or sort) starts again at the first page."""
    data, st, region = _state(level, indicator, quarter)
    page = page if isinstance(page, int) and not isinstance(page, bool) else 0
    target = {"first": 0, "prev": page - 1, "next": page + 1, "last": 10 ** 9}.get(move, 0)
    shown = view.table_view(data, st["indicator"], st["level"], st["quarter"], region, query, sort, target, basis)
    return (shown["table"], shown["status"], shown["page"],
            *("true" if shown[edge] else "false" for edge in ("at_start", "at_start", "at_end", "at_end")))


@callback(
    Output(f"{PAGE}-table", "children"), Output(f"{PAGE}-table-status", "children"),
    Output(f"{PAGE}-table-page", "data"),
    *(Output(button, "aria-disabled") for button in PAGER),
    Input(f"{PAGE}-level", "value"), Input(f"{PAGE}-indicator", "value"), Input(f"{PAGE}-quarter", "value"),
    Input(f"{PAGE}-table-filter", "value"), Input(f"{PAGE}-table-sort", "value"), Input(f"{PAGE}-basis", "value"),
    *(Input(button, "n_clicks") for button in PAGER),
    State(f"{PAGE}-table-page", "data"),
    prevent_initial_call=True,
)
def _show_table(level, indicator, quarter, query, sort, basis, _first, _prev, _next, _last, page):
    return show_table(level, indicator, quarter, query, sort, page, PAGER.get(ctx.triggered_id), basis)


@callback(
    Output(f"{PAGE}-export-download", "data"),
    Input(f"{PAGE}-export-csv", "n_clicks"),
    State(f"{PAGE}-level", "value"), State(f"{PAGE}-indicator", "value"), State(f"{PAGE}-quarter", "value"),
    State(f"{PAGE}-table-filter", "value"), State(f"{PAGE}-table-sort", "value"), State(f"{PAGE}-basis", "value"),
    prevent_initial_call=True,
)
def export_table(n_clicks, level, indicator, quarter, query, sort, basis=None):
    """The whole table as filtered and sorted (every page, in the map's basis), with provenance, as a French
    CSV."""
    data, st, region = _state(level, indicator, quarter)
    if not n_clicks or st["indicator"] is None or st["quarter"] is None:
        return no_update
    frame = mapping.export_frame(data, st["indicator"], st["level"], st["quarter"], region, query, sort, basis)
    return {"content": exports.to_csv(frame), "filename": view.export_filename(st["indicator"], st["level"],
                                                                              st["quarter"]), "type": "text/csv"}


# A new view: the shapes are restyled where they are (assets/carte.js: repaint).
clientside_callback(
    ClientsideFunction(namespace="carte", function_name="repaint"),      # assets/clientside.js → carte.js
    Output(f"{PAGE}-repainted", "data"), Input(f"{PAGE}-view", "data"),
)

# Structures: the category filter is applied in the browser through the layer's hideout (nothing resent).
clientside_callback(
    ClientsideFunction(namespace="carte", function_name="categories"),
    Output(f"{PAGE}-structures", "hideout"), Input(f"{PAGE}-structures-toggle", "value"),
    State(f"{PAGE}-structures", "hideout"),
    prevent_initial_call=True,
)

def structures_list(opened, categories, quarter=None):
    """The list of structures open at the quarter, drawn once first opened (Dash does not follow a <details>'
    open state: its summary's clicks do), then redrawn with the category filter and the quarter."""
    if not opened:
        return no_update
    data, st, _region = _state(None, None, quarter)
    return view.structures_table(mapping.structure_rows(data, categories, st["quarter"]))


callback(Output(f"{PAGE}-structures-list", "children"), Input(f"{PAGE}-structures-summary", "n_clicks"),
         Input(f"{PAGE}-structures-toggle", "value"), Input(f"{PAGE}-quarter", "value"),
         prevent_initial_call=True)(structures_list)


@callback(Output(f"{PAGE}-structures", "data"), Output(f"{PAGE}-structures-toggle", "options"),
          Input(f"{PAGE}-quarter", "value"), prevent_initial_call=True)
def structures_at(quarter):
    """A new quarter: the structures open at its end (opened on or before its last day), and their counts."""
    data, st, _region = _state(None, None, quarter)
    if not sum(mapping.structure_counts(data).values()):
        return no_update, no_update               # none loaded: the list of categories is not shown at all
    return mapping.structures_geojson(data, st["quarter"]), view.structure_options(data, st["quarter"])


# The view state goes into the address bar with replaceState: a permalink, without a page reload and
# without Dash Pages re-rendering the layout (which a dcc.Location update of `search` would trigger).
clientside_callback(
    ClientsideFunction(namespace="carte", function_name="syncUrl"),
    Output(f"{PAGE}-query", "data"),
    Input(f"{PAGE}-level", "value"), Input(f"{PAGE}-indicator", "value"), Input(f"{PAGE}-quarter", "value"),
    Input(f"{PAGE}-territory", "value"), Input(f"{PAGE}-map", "zoom"), Input(f"{PAGE}-map", "center"),
    Input(f"{PAGE}-layers", "value"), Input(f"{PAGE}-basis", "value"),
)
