"""Fiche territoire: quarter selector (a permalink), print, CSV and PDF (background job) downloads."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

from dashboard import appraisal, periods, settings, sheet, store, territory

ERROR = "Fiche indisponible : territoire ou trimestre inconnu."


def _params(params) -> tuple[str, str] | None:
    """Validated (code, quarter) from the page's store; None for anything malformed."""
    if not isinstance(params, dict):
        return None
    code, quarter = params.get("code"), params.get("quarter")
    if not territory.is_code(code) or not periods.is_quarter(quarter):
        return None
    return code, quarter


def _assemble(code: str, quarter: str) -> dict:
    """The sheet as the page shows it, the team's appraisals included on the internal instance."""
    appraisals = appraisal.of_territory(code, quarter) if appraisal.enabled() else None
    conf = settings.current()
    return sheet.assemble(store.get(), code, quarter, conf.region, appraisals, conf.thresholds)


def csv_download(n_clicks, params):
    checked = _params(params)
    if not n_clicks or checked is None:
        return no_update
    try:
        s = _assemble(*checked)
    except (sheet.SheetError, store.StoreUnavailable):
        return no_update
    return {"content": sheet.csv_text(s), "filename": sheet.csv_filename(s), "type": "text/csv"}


def pdf_download(n_clicks, params, href, set_progress=lambda _p: None):
    """(download, status text): the sheet assembled, then drawn by dashboard.pdf."""
    checked = _params(params)
    if not n_clicks or checked is None:
        return no_update, (ERROR if n_clicks else "")
    start = time.perf_counter()
    set_progress(("Assemblage des données…",))
    try:
        s = _assemble(*checked)
    except (sheet.SheetError, store.StoreUnavailable):
        return no_update, ERROR
    set_progress(("Mise en page du PDF…",))
    # fpdf2 (with Pillow and fontTools: 18 MB) is loaded by the first PDF a worker draws, not by every worker
    from dashboard import pdf
    origin = ""
    if isinstance(href, str) and href.startswith(("http://", "https://")):
        parts = urlsplit(href)
        origin = f"{parts.scheme}://{parts.netloc}"
    content = pdf.render(s, generated_at=dt.datetime.now(), base_url=origin)
    seconds = time.perf_counter() - start
    return ({"content": pdf.b64(content), "base64": True, "filename": pdf.filename(s), "type": "application/pdf"},
            f"PDF prêt ({seconds:.1f} s).".replace(".", ",", 1))


callback(Output("territoire-csv-download", "data"), Input("territoire-csv", "n_clicks"),
         State("territoire-params", "data"), prevent_initial_call=True)(csv_download)


@callback(Output("territoire-pdf-download", "data"), Output("territoire-pdf-status", "children"),
          Input("territoire-pdf", "n_clicks"), State("territoire-params", "data"), State("app-url", "href"),
          background=True, prevent_initial_call=True,
          running=[(Output("territoire-pdf", "disabled"), True, False),
                   (Output("territoire-pdf-progress", "hidden"), False, True)],
          progress=[Output("territoire-pdf-progress", "children")])
def _pdf(set_progress, n_clicks, params, href):
    return pdf_download(n_clicks, params, href, set_progress)


clientside_callback(
    ClientsideFunction(namespace="territoire", function_name="print"),   # assets/clientside.js
    Output("territoire-print", "title"), Input("territoire-print", "n_clicks"), prevent_initial_call=True,
)
