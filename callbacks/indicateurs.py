"""« Indicateurs »: the big export of every value, as a background callback (DiskcacheManager or Celery)."""
from __future__ import annotations

from dash import Input, Output, callback, no_update

from dashboard import exports, fmt, store

PAGE = "indicateurs"


@callback(
    Output(f"{PAGE}-export-download", "data"),
    Output(f"{PAGE}-export-result", "children"),
    Input(f"{PAGE}-export", "n_clicks"),
    background=True,
    running=[(Output(f"{PAGE}-export", "disabled"), True, False)],
    progress=[Output(f"{PAGE}-export-status", "children")],
    progress_default=[""],
    prevent_initial_call=True,
)
def export_all_values(set_progress, n_clicks):
    """Thin: the file is ``exports.csv_export`` of this process's store (filtered on a public instance)."""
    if not n_clicks:
        return no_update, no_update
    set_progress("Préparation de l'export…")
    data = store.get()
    set_progress(f"Mise en forme de {fmt.number(len(data.observations))} valeurs…")
    text = exports.csv_export(data)
    message = (f"Export prêt : {fmt.number(len(data.observations))} valeurs, "
               f"données version {data.version}.")
    return {"content": text, "filename": exports.filename(data), "type": "text/csv"}, message
