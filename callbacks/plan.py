"""Callbacks of « Suivi du plan »: thin, each calls dashboard.plan / layouts.plan builders.

- quarter change → cards, summary, banner, heading, detail;
- card selection → selected indicator (then the detail);
- state → URL (clientside ``history.pushState``: a permalink without re-rendering the page;
  back/forward re-render it from the URL through the pages router);
- exports: the quarterly table as CSV and XLSX (dcc.Download); each chart as PNG (clientside);
- the quarter's pack (« dossier de séance », PPTX and PDF): a background job with progress (dashboard.pack).
"""
from __future__ import annotations

import base64
import time

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from dashboard import appraisal, exports, pack, plan, store, validate
from layouts import plan as page


def _clean(data, quarter, indicator=None):
    """Inputs as the client sent them → a quarter and an indicator of this store, or None (then defaults)."""
    return validate.quarter(None, quarter), validate.indicator(data, indicator)


def _view(quarter, indicator=None):
    """(store, settings, region, state) of the page for the inputs as the client sent them."""
    data, conf, region = page.context()
    return data, conf, region, page.state_for(data, region, *_clean(data, quarter, indicator))


@callback(
    Output("plan-indicator", "data"),
    Input({"type": page.CARD, "index": ALL}, "n_clicks"),
    State("plan-indicator", "data"),
    prevent_initial_call=True,
)
def select_indicator(_clicks, current):
    """A card's button was pressed: select its indicator (ignore re-rendered buttons, n_clicks 0)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
        return no_update
    chosen = validate.indicator(page.context()[0], trigger.get("index"))
    return chosen if chosen is not None and chosen != current else no_update


@callback(
    Output("plan-cards", "children"),
    Output("plan-summary", "children"),
    Output("plan-banner", "children"),
    Output("plan-heading", "children"),
    Input("plan-quarter", "value"),
    State("plan-indicator", "data"),
    prevent_initial_call=True,
)
def update_quarter(quarter, indicator):
    data, conf, region, state = _view(quarter, indicator)
    over = page.overview(data, conf, region, state.quarter, state.indicator, page.appraisals_of(conf, state.quarter))
    return over["cards"], over["summary"], over["banner"], over["heading"]


@callback(
    Output("plan-completeness", "children"),
    Output("plan-alerts", "children"),
    Input("plan-quarter", "value"),
    prevent_initial_call=True,
)
def update_completeness_and_alerts(quarter):
    """The saisie's completeness line and the alerts of the quarter (neither depends on the indicator)."""
    data, conf, region, state = _view(quarter)
    over = page.overview(data, conf, region, state.quarter, state.indicator, page.appraisals_of(conf, state.quarter))
    return page.completeness_line(conf, data, region, state.quarter), over["alerts"]


@callback(
    Output("plan-detail", "children"),
    Input("plan-quarter", "value"),
    Input("plan-indicator", "data"),
    prevent_initial_call=True,
)
def update_detail(quarter, indicator):
    data, conf, region, state = _view(quarter, indicator)
    return page.detail_section(data, conf, region, state.quarter, state.indicator,
                               page.appraisals_of(conf, state.quarter))


def _export_table(quarter):
    data, conf, region, state = _view(quarter)
    table = plan.store_quarterly_table(data, region, state.quarter, data.thresholds)
    if not conf.public:
        table = appraisal.with_appraisals(table, appraisal.appraisals_for)
    return data, conf, region, state.quarter, table


@callback(
    Output("plan-download-csv", "data"),
    Input("plan-export-csv", "n_clicks"),
    State("plan-quarter", "value"),
    prevent_initial_call=True,
)
def export_csv(n_clicks, quarter):
    if not n_clicks:
        return no_update
    _data, _conf, region, q, table = _export_table(quarter)
    return dcc.send_string(plan.to_csv(table), f"suivi-plan-{region}-{q}.csv", type="text/csv")


@callback(
    Output("plan-download-xlsx", "data"),
    Input("plan-export-xlsx", "n_clicks"),
    State("plan-quarter", "value"),
    prevent_initial_call=True,
)
def export_xlsx(n_clicks, quarter):
    if not n_clicks:
        return no_update
    data, conf, region, q, table = _export_table(quarter)
    readme = plan.export_readme(data.version, data.built_at, region, q, data.thresholds)
    content = plan.to_xlsx(table, readme=readme, definitions=exports.definitions(data, table["indicateur"].unique()))
    return dcc.send_bytes(content, f"suivi-plan-{region}-{q}.xlsx",
                          type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def pack_download(n_clicks, quarter, set_progress=lambda _p: None):
    """(PPTX download, PDF download, status text) of the quarter's pack."""
    if not n_clicks:
        return no_update, no_update, ""
    start = time.perf_counter()
    try:
        data, conf, region = page.context()
    except store.StoreUnavailable:
        return no_update, no_update, "Dossier indisponible : aucune donnée publiée."
    state = page.state_for(data, region, _clean(data, quarter)[0])
    if state.quarter is None:
        return no_update, no_update, "Dossier indisponible : aucun trimestre."
    pptx, pdf = pack.build(data, region, state.quarter, data.thresholds,
                           progress=lambda text: set_progress((text,)))
    names = pack.filenames(region, state.quarter)
    encode = lambda content: base64.b64encode(content).decode("ascii")  # noqa: E731
    seconds = f"{time.perf_counter() - start:.1f}".replace(".", ",")
    return ({"content": encode(pptx), "base64": True, "filename": names[0],
             "type": "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
            {"content": encode(pdf), "base64": True, "filename": names[1], "type": "application/pdf"},
            f"Dossier de séance prêt ({seconds} s) : PPTX et PDF téléchargés.")


@callback(Output("plan-download-pack-pptx", "data"), Output("plan-download-pack-pdf", "data"),
          Output("plan-pack-status", "children"),
          Input("plan-pack", "n_clicks"), State("plan-quarter", "value"),
          background=True, prevent_initial_call=True,
          running=[(Output("plan-pack", "disabled"), True, False),
                   (Output("plan-pack-progress", "hidden"), False, True)],
          progress=[Output("plan-pack-progress", "children")])
def _pack(set_progress, n_clicks, quarter):
    return pack_download(n_clicks, quarter, set_progress)


# The state into the URL (permalink), without a round trip and without re-rendering the page. Going back or
# forward (popstate) sets the controls from the URL again, which re-runs the callbacks above.
clientside_callback(
    ClientsideFunction(namespace="plan", function_name="syncUrl"),       # assets/clientside.js
    Output("plan-url-sync", "data"),
    Input("plan-quarter", "value"),
    Input("plan-indicator", "data"),
    State("plan-defaults", "data"),
    prevent_initial_call=True,
)

# Selection shown on the cards without re-rendering them (keeps the keyboard focus on the button).
clientside_callback(
    ClientsideFunction(namespace="plan", function_name="showSelection"),
    Output("plan-cards", "className"),
    Input("plan-indicator", "data"),
    prevent_initial_call=True,
)

# PNG export of each chart (a keyboard-reachable button, besides plotly's own toolbar).
for _graph in ("plan-trajectory", "plan-breakdown"):
    clientside_callback(
        ClientsideFunction(namespace="plan", function_name="downloadPng"),
        Output(f"{_graph}-png", "title"),
        Input(f"{_graph}-png", "n_clicks"),
        State(f"{_graph}-png", "id"),
        prevent_initial_call=True,
    )
