"""Shared components: provenance badges, demo banner, definitions, data-version line.

Every value shown to a user goes through ``value_with_status`` or ``status_badge`` so that
demo and estimated values are always marked the same way.
"""
from __future__ import annotations


from dash import dcc, html

from dashboard import cache, fmt, store
from dashboard.schema import STATUS_LABELS
from .static_html import StaticHtml, freeze

STATUS_HELP = {
    "observed": "Valeur observée, issue d'une source nommée",
    "estimated": "Valeur estimée par calcul (méthode indiquée)",
    "demo": "Valeur de démonstration : illustrative, ne pas l'interpréter comme un fait",
}


def page_id(page: str, what: str) -> str:
    """Ids say their page: ``page_id("plan", "quarter") == "plan-quarter"``."""
    return f"{page}-{what}"


# DSFR badges of provenance (colour variants without icon: the word says it). ``badge badge-<status>`` stay as
# hooks: the kiosk, drawn without the DSFR, styles them itself, and tests find the provenance by them.
STATUS_BADGE_CLASSES = {
    "observed": "fr-badge--blue-cumulus",
    "estimated": "fr-badge--yellow-tournesol",
    "demo": "fr-badge--purple-glycine",
}


def status_badge(status: str, source: str = "") -> html.Span:
    title = STATUS_HELP.get(status, "")
    if source:
        title = f"{title}. Source : {source}"
    variant = STATUS_BADGE_CLASSES.get(status, "")
    return html.Span(STATUS_LABELS.get(status, status), title=title,
                     className=f"fr-badge fr-badge--sm {variant} badge badge-{status}".replace("  ", " "))


def revision_badge(text: str) -> html.Span | None:
    """« révisé » beside a value the State revised, with its previous value and date (``fmt.revision``)."""
    if not text:
        return None
    return html.Span([html.Span("révisé", className="fr-badge fr-badge--sm fr-badge--orange-terre-battue"),
                      " ", html.Span(text.split(" : ", 1)[-1], className="revision-previous")],
                     className="revision", title=text)


def value_with_status(value: float | None, unit: str, status: str | None, source: str = "",
                      decimals: int | None = None) -> html.Span:
    children = [html.Span(fmt.value(value, unit, decimals), className="value")]
    if status and status != "observed":
        children += [" ", status_badge(status, source)]
    cls = "value-with-status" + (" is-demo" if status == "demo" else "")
    return html.Span(children, className=cls, title=source or None)


def appraisal_block(ap, status: str | None) -> html.Div:
    """The team's appraisal beside the computed status (plan detail, territory sheet): level, author, date,
    synthesis, and the mark of a strong disagreement (:func:`dashboard.appraisal.disagreement`)."""
    from dashboard import appraisal

    clash = appraisal.disagreement(ap.level, status)
    return html.Div([
        html.P([html.Strong("Appréciation de l'équipe : "), ap.label, f" ({ap.byline})",
                html.Span(f" ▲ Désaccord avec le statut calculé : {clash}", className="appraisal-clash")
                if clash else None]),
        html.P(ap.synthesis, className="appraisal-synthesis") if ap.synthesis else None,
    ], className="detail-appraisal")


def demo_banner(show: bool = True) -> html.Div | None:
    """A compact DSFR notice (two lines on a phone): the explanation is one click away, not on the first screen."""
    if not show:
        return None
    return html.Div(html.Div(html.Div([
        html.P([html.Span("Données de démonstration", className="fr-notice__title"),
                html.Span(" : des valeurs illustratives, marquées « démo ».", className="fr-notice__desc")]),
        html.Details([html.Summary("En savoir plus"),
                      html.P("Elles sont produites pour faire fonctionner l'outil là où aucune donnée réelle n'est "
                             "encore chargée, et ne doivent pas être lues comme des faits.")],
                     className="demo-details"),
    ], className="fr-notice__body"), className="fr-container"),
        className="fr-notice fr-notice--info demo-banner", role="note")


def dsfr_table(table: html.Table, variant: str = "", content_class: str = "", **content) -> StaticHtml:
    """A table in the DSFR's frame: it scrolls inside its box, never the page. ``variant``: e.g. ``fr-table--sm``;
    ``content_class`` and ``content`` (e.g. ``tabIndex``, ``role``) go to the box that scrolls. Frozen (one
    component, layouts/static_html.py): a table has no callback inside, and hundreds of cells cost Dash's
    renderer a visit of the whole page each."""
    inner = html.Div(table, className=f"fr-table__content {content_class}".strip(), **content)
    return freeze(html.Div(html.Div(html.Div(inner, className="fr-table__container"), className="fr-table__wrapper"),
                           className=f"fr-table {variant}".strip()))


def definition(indicator: dict) -> html.Details:
    """The catalogue's definition, one click away (a native <details>: keyboard accessible)."""
    target = ""
    return html.Details([
        html.Summary("Définition et source"),
        html.P(indicator["definition"]),
        html.P([html.Strong("Source : "), indicator["source"]]),
        html.P([html.Strong("Unité : "), indicator["unit"], " — ", html.Strong("Fréquence : "),
                indicator["frequency"], target]),
    ], className="definition")


def data_version_line(data: store.Store) -> str:
    return f"Données : version {data.version}, construite le {fmt.short_date(data.built_at)}"


# plotly's toolbar, reduced to what makes sense on these small time series: reset the axes after a drag-zoom,
# and save as PNG. A whitelist (``modeBarButtons``) rather than a list of removals: a button added by a later
# plotly.js (4.x added « Share chart », an upload to Plotly Cloud) never appears on an internal page.
MODEBAR_BUTTONS = [["toImage", "resetScale2d"]]


def graph_config(filename: str, toolbar: bool = True) -> dict:
    """The one plotly config of every chart: French, no logo, no cloud or Chart Studio link.

    ``toolbar=False`` for small multiples (the territory sheet), whose table and figures say it all; the
    toolbar, when shown, appears on hover and its buttons are labelled in French (assets/charts.js).
    """
    return {
        "locale": "fr",
        "displaylogo": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "showLink": False,
        "showTips": False,
        "responsive": True,
        "displayModeBar": "hover" if toolbar else False,
        "modeBarButtons": MODEBAR_BUTTONS,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def download_button(component_id: str, label: str) -> html.Button:
    return html.Button(label, id=component_id, n_clicks=0, type="button",
                       className="fr-btn fr-btn--secondary fr-btn--sm fr-btn--icon-left fr-icon-download-line")


def memoize_render(maxsize: int = 64):
    """Memoise a component builder on the store version and its arguments (:func:`dashboard.cache.per_version`,
    bounded, per process, fork-safe): page content is a pure function of the published data and the URL state,
    and building plotly figures costs tens of milliseconds each. A first argument that is a Store is keyed on
    its version; otherwise the served store's version is used."""
    return cache.per_version(maxsize, current_store=True)


__all__ = ["memoize_render", "dcc", "html", "page_id", "status_badge", "value_with_status", "demo_banner", "definition",
           "dsfr_table",
           "data_version_line", "download_button", "graph_config"]
