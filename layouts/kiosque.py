"""« Kiosque » : a full-screen, self-rotating, read-only view for a public screen.

Everything is rendered once, server-side, from ``dashboard.kiosk`` (pure content); the rotation,
the pause on touch, the data-version polling and the connection notice run client-side
(``assets/kiosque.js``, started by ``callbacks/kiosque.py``): no server round-trip per slide.
URL: ``/kiosque?diapos=plan,carte,territoire,trimestre,source&duree=12`` (validated; defaults from settings).
"""
from __future__ import annotations

import base64

import dash
from dash import dcc, html

from dashboard import kiosk, queries, settings, store

from .components import status_badge

PAGE = "kiosque"


def _id(what: str) -> str:
    return f"{PAGE}-{what}"


def _mark(status: str | None, source: str = "") -> list:
    """Non-observed values are marked (only possible on an internal instance)."""
    return [" ", status_badge(status, source)] if status and status != "observed" else []


def _plan_slide(data: store.Store, region: str) -> html.Div:
    cards = kiosk.plan_cards(data, region)
    if not cards:
        return html.P("Aucun indicateur du plan n'a encore de valeur publiée.", className="kiosque-empty")
    big, small = [c for c in cards if c["target"]][:3], [c for c in cards if not c["target"]][:4]
    if not big:
        big, small = cards[:3], cards[3:7]

    def big_card(c):
        t = c["target"]
        body = [html.H3(c["label"], className="kiosque-card-label"),
                html.P([html.Span(c["value_text"], className="kiosque-big-number"), *_mark(c["status"], c["source"])]),
                html.P([f"en {c['period_text']}", f" · {c['change_text']}" if c["change_text"] else ""],
                       className="kiosque-card-when")]
        if t:
            body += [
                html.Div(html.Div(className="kiosque-bar-fill", style={"width": f"{t['share'] * 100:.1f}%"}),
                         className="kiosque-bar", **{"aria-hidden": "true"}),
                html.P([html.Strong(f"Avancement : {t['share_text']}"),
                        f" — {c['value_text']} sur {t['value_text']} visés au {t['period_text']} "
                        f"(départ : {t['baseline_text']})"], className="kiosque-card-target"),
            ]
        return html.Article(body, className="kiosque-card kiosque-card-big")

    def small_card(c):
        return html.Article([
            html.H3(c["label"], className="kiosque-card-label"),
            html.P([html.Span(c["value_text"], className="kiosque-mid-number"), *_mark(c["status"], c["source"])]),
            html.P(f"en {c['period_text']}", className="kiosque-card-when"),
        ], className="kiosque-card")

    return html.Div([
        html.Div([big_card(c) for c in big], className="kiosque-cards-big"),
        html.Div([small_card(c) for c in small], className="kiosque-cards-small") if small else None,
    ])


def _map_slide(data: store.Store, region: str) -> html.Div:
    content = kiosk.map_content(data, region)
    if content is None:
        return html.P("Aucune valeur départementale n'est encore publiée.", className="kiosque-empty")
    svg = kiosk.map_svg(data, content)
    valued = [i for i in content["items"] if i["value"] is not None]
    alt = (f"Carte des départements : {content['label']}, {content['period_text']}. "
           + " ; ".join(f"{i['name']} {i['value_text']}" for i in content["items"]))
    picture = (html.Img(src="data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
                        alt=alt, className="kiosque-map-img") if svg else None)
    legend = [html.Li([html.Span(className="kiosque-swatch", style={"background": colour}), text])
              for colour, text in content["legend"]]
    if len(valued) < len(content["items"]):
        legend.append(html.Li([html.Span(className="kiosque-swatch kiosque-swatch-nodata"), "pas de donnée publiée"]))
    return html.Div([
        html.Div(picture, className="kiosque-map"),
        html.Div([
            html.H3(content["label"], className="kiosque-map-title"),
            html.P(f"Par département, {content['period_text']}", className="kiosque-card-when"),
            html.Ul(legend, className="kiosque-legend", **{"aria-label": "Légende"}),
            html.P(f"{len(valued)} département{'s' if len(valued) > 1 else ''} sur {len(content['items'])} "
                   f"avec une valeur publiée.", className="kiosque-note"),
            html.P("Valeurs de démonstration (« démo ») : illustratives, pas des faits.",
                   className="kiosque-demo-note") if content["has_demo"] else None,
        ], className="kiosque-map-side"),
    ], className="kiosque-map-layout")


def _spot(sheet: dict, first: bool) -> html.Article:
    facts = [html.Li([html.Span(f["label"], className="kiosque-fact-label"),
                      html.Span([f["value_text"], *_mark(f["status"])], className="kiosque-fact-value"),
                      html.Span(f" en {f['period_text']}", className="kiosque-card-when")]) for f in sheet["facts"]]
    ini = sheet["initiative"]
    return html.Article([
        html.H3([sheet["name"], html.Span(f" ({sheet['code'][1:]})", className="kiosque-code")],
                className="kiosque-spot-name"),
        html.Div([
            html.Div([
                html.Dl([html.Dt("Habitants"), html.Dd(sheet["population_text"]),
                         html.Dt("Communes"), html.Dd(sheet["communes_text"]),
                         html.Dt("Intercommunalités"), html.Dd(sheet["epci_text"])], className="kiosque-dl"),
                html.Ul(facts, className="kiosque-facts") if facts else
                html.P("Pas encore d'indicateur publié à l'échelle du département.", className="kiosque-note"),
            ], className="kiosque-spot-main"),
            html.Aside([html.P("Initiative locale", className="kiosque-kicker"), html.H4(ini["title"]),
                        html.P(ini["text"]), html.P(f"{ini['year']} — {ini['source']}", className="kiosque-note")],
                       className="kiosque-initiative") if ini else None,
        ], className="kiosque-spot-body"),
    ], className="kiosque-spot", hidden=not first)


def _territory_slide(data: store.Store, region: str) -> html.Div:
    sheets = kiosk.spotlights(data, region)
    return html.Div([_spot(s, i == 0) for i, s in enumerate(sheets)], className="kiosque-spots")


def _quarter_slide(data: store.Store, region: str) -> html.Div:
    summary = kiosk.quarter_summary(data, region)
    if not summary["sentences"]:
        return html.P("Aucune valeur régionale publiée.", className="kiosque-empty")
    return html.Div([
        html.P(f"Derniers chiffres régionaux, le plus récent au {summary['quarter_text']}", className="kiosque-kicker"),
        html.Ul([html.Li([s["text"], *_mark(s["status"])]) for s in summary["sentences"]],
                className="kiosque-sentences"),
    ])


def _source_slide(data: store.Store) -> html.Div:
    counts = kiosk.status_counts(data)
    return html.Div([
        html.P(["Données au ", html.Strong(kiosk.data_date(data) or "–")], className="kiosque-source-date"),
        html.P(f"Version publiée le {kiosk.built_date(data) or '–'}.", className="kiosque-note"),
        html.H3("Sources", className="kiosque-card-label"),
        html.Ul([html.Li(s) for s in kiosk.sources(data)], className="kiosque-sources"),
        html.P("Ce kiosque n'affiche que des valeurs observées, issues de sources nommées." if data.public else
               f"Valeurs : {counts.get('observed', 0)} observées, {counts.get('estimated', 0)} estimées, "
               f"{counts.get('demo', 0)} de démonstration.", className="kiosque-note"),
        html.P(f"Tableau de bord libre de l'ARS {queries.name_of(data, queries.region_of(data) or '')} — suivi du plan "
               "d'accès aux soins.",
               className="kiosque-note"),
    ])


BUILDERS = {
    "plan": lambda d, r: _plan_slide(d, r),
    "carte": lambda d, r: _map_slide(d, r),
    "territoire": lambda d, r: _territory_slide(d, r),
    "trimestre": lambda d, r: _quarter_slide(d, r),
    "source": lambda d, r: _source_slide(d),
}


def layout(**query) -> html.Div:
    conf = settings.current()
    cfg = kiosk.config(conf.kiosk_slides, conf.kiosk_seconds, query)
    try:
        data = store.get()
    except store.StoreUnavailable:
        return html.Div([html.H1("Accès aux soins", className="kiosque-title"),
                         html.P("Données momentanément indisponibles.", className="kiosque-empty")],
                        id=_id("root"), className="kiosque")
    region = conf.region
    region_name = queries.name_of(data, region, region)
    shows_demo = kiosk.shows_demo(data, region, cfg.slides)
    slides = []
    for i, name in enumerate(cfg.slides):
        slides.append(html.Section([
            html.H2(kiosk.SLIDE_LABELS[name], className="kiosque-slide-title"),
            BUILDERS[name](data, region),
        ], id=_id(f"diapo-{name}"), className="kiosque-slide", hidden=i > 0, **{"data-slide": name}))
    date = kiosk.data_date(data)
    return html.Div([
        dcc.Store(id=_id("config"), data={**cfg.as_data(), "version": data.version}),
        dcc.Store(id=_id("engine")),
        html.Header([
            html.H1(["Accès aux soins", html.Span(f" en {region_name}", className="kiosque-region")],
                    className="kiosque-title"),
            html.P(f"Données au {date}" if date else "", id=_id("date"), className="kiosque-date"),
        ], className="kiosque-header"),
        html.Div("Certaines valeurs sont de démonstration (marquées « démo ») : elles ne sont pas des faits.",
                 className="kiosque-demo-banner", role="note") if shows_demo else None,
        html.Div(slides, id=_id("slides"), className="kiosque-slides", **{"aria-live": "off"}),
        html.Footer([
            html.Ol([html.Li(kiosk.SLIDE_LABELS[n], **{"data-slide": n}, **({"aria-current": "step"} if i == 0 else {}))
                     for i, n in enumerate(cfg.slides)], id=_id("steps"), className="kiosque-steps",
                    **{"aria-label": "Diapositives"}),
            html.P("", id=_id("pause"), className="kiosque-pause", role="status"),
            html.P("", id=_id("notice"), className="kiosque-notice", role="status"),
        ], className="kiosque-footer"),
    ], id=_id("root"), className="kiosque", tabIndex="-1")


dash.register_page(__name__, path="/kiosque", name="Kiosque", title="Kiosque – Accès aux soins", order=4, layout=layout)
