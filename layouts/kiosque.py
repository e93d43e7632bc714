"""« Kiosque » : a full-screen, self-rotating, read-only view for a public screen.

Everything is rendered once, server-side, from ``dashboard.kiosk`` (pure content); the rotation,
the pause on touch, the data-version polling and the connection notice run client-side
(``assets/kiosque.js``, started by ``callbacks/kiosque.py``): no server round-trip per slide.
URL: ``/kiosque?diapos=plan,carte,territoire,trimestre,source&duree=12`` (validated; defaults from settings).
"""
from __future__ import annotations

import base64
import datetime as dt
import logging

import dash
from dash import dcc, html

from dashboard import fmt, kiosk, queries, settings, store, texts

from .components import status_badge

PAGE = "kiosque"


def _id(what: str) -> str:
    return f"{PAGE}-{what}"


def _mark(status: str | None, source: str = "") -> list:
    """Non-observed values are marked (only possible on an internal instance)."""
    return [" ", status_badge(status, source)] if status and status != "observed" else []


def _old(text: str | None) -> list:
    """An old figure says its year (« donnée de 2018 »), in words, not only in colour."""
    return [" ", html.Span(text, className="kiosque-old")] if text else []


def _when(period: str, text: str, old: str | None = None, prefix: str = "en ") -> html.Span:
    """The quarter of a figure; ``data-period`` lets the tests compare it with the slide's date."""
    return html.Span([prefix + text, *_old(old)], className="kiosque-when", **{"data-period": period})


def _plan_slide(data: store.Store, region: str, max_age: int) -> html.Div:
    cards = kiosk.plan_cards(data, region, max_age)
    if not cards:
        return html.P("Aucun indicateur du plan n'a encore de valeur publiée.", className="kiosque-empty")
    big, small = [c for c in cards if c["target"]][:3], [c for c in cards if not c["target"]][:4]
    if not big:
        big, small = cards[:3], cards[3:7]

    def big_card(c):
        t = c["target"]
        body = [html.H3(c["label"], className="kiosque-card-label"),
                html.P([html.Span(c["value_text"], className="kiosque-big-number"), *_mark(c["status"], c["source"])]),
                html.P([_when(c["period"], c["period_text"], c["old_text"]),
                        f" · {c['change_text']}" if c["change_text"] else ""], className="kiosque-card-when")]
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
            html.P(_when(c["period"], c["period_text"], c["old_text"]), className="kiosque-card-when"),
        ], className="kiosque-card")

    return html.Div([
        html.Div([big_card(c) for c in big], className="kiosque-cards-big"),
        html.Div([small_card(c) for c in small], className="kiosque-cards-small") if small else None,
    ], className="kiosque-body kiosque-plan")


def _map_slide(data: store.Store, region: str, max_age: int) -> html.Div:
    content = kiosk.map_content(data, region, max_age)
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
            html.P(["Par département, ", _when(content["period"], content["period_text"], content["old_text"], "")],
                   className="kiosque-card-when"),
            html.Ul(legend, className="kiosque-legend", **{"aria-label": "Légende"}),
            html.P(f"{len(valued)} département{'s' if len(valued) > 1 else ''} sur {len(content['items'])} "
                   f"avec une valeur publiée.", className="kiosque-note"),
            html.P(texts.DEMO_NOTICE,
                   className="kiosque-demo-note") if content["has_demo"] else None,
        ], className="kiosque-map-side"),
    ], className="kiosque-body kiosque-map-layout")


def _spot(sheet: dict, first: bool) -> html.Article:
    facts = [html.Li([html.Span(f["label"], className="kiosque-fact-label"),
                      html.Span([f["value_text"], *_mark(f["status"])], className="kiosque-fact-value"),
                      html.Span(_when(f["period"], f["period_text"], f["old_text"]), className="kiosque-card-when")])
             for f in sheet["facts"]]
    ini = sheet["initiative"]
    return html.Article([
        html.Div([
            html.H3([sheet["name"], html.Span(f" ({sheet['code'][1:]})", className="kiosque-code")],
                    className="kiosque-spot-name"),
            html.P(sheet["dates_text"] or "", className="kiosque-slide-date"),
        ], className="kiosque-spot-head"),
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


def _territory_slide(data: store.Store, region: str, max_age: int) -> html.Div:
    sheets = kiosk.spotlights(data, region, max_age)
    return html.Div([_spot(s, i == 0) for i, s in enumerate(sheets)], className="kiosque-body kiosque-spots")


def _quarter_slide(data: store.Store, region: str, max_age: int) -> html.Div:
    summary = kiosk.quarter_summary(data, region, max_age=max_age)
    if not summary["sentences"]:
        return html.P("Aucune valeur régionale récente publiée.", className="kiosque-empty")
    return html.Div([
        html.P("Derniers chiffres régionaux, du plus récent au plus ancien", className="kiosque-kicker"),
        html.Ul([html.Li([html.Span(s["text"], **{"data-period": s["period"]}), *_old(s["old_text"]),
                          *_mark(s["status"])]) for s in summary["sentences"]],
                className="kiosque-sentences"),
    ], className="kiosque-body")


def _source_slide(data: store.Store, shown: list[tuple[str, str]], max_age: int) -> html.Div:
    """Sources and versions; ``shown``: (status, quarter) of the figures of the kiosk's other slides."""
    counts = kiosk.status_counts(data)
    oldest = kiosk.freshness(data, max_age).oldest
    return html.Div([
        html.Div([
            html.P(f"Chiffres affichés : {(kiosk.dates_text(q for _s, q in shown) or 'aucun').lower()}.",
                   className="kiosque-source-date"),
            html.P(f"Version publiée le {kiosk.built_date(data) or '–'} ; chiffres les plus récents de la version au "
                   f"{kiosk.data_date(data) or '–'}.", className="kiosque-note"),
            html.P(f"Les chiffres antérieurs au {fmt.quarter(oldest)} ne sont pas affichés ; ceux de plus d'un an "
                   "avant les plus récents portent leur année.", className="kiosque-note") if oldest else None,
        ]),
        html.Div([
            html.H3("Sources", className="kiosque-card-label"),
            html.Ul([html.Li(s) for s in kiosk.sources(data)], className="kiosque-sources"),
        ]),
        html.Div([
            html.P("Ce kiosque n'affiche que des valeurs observées, issues de sources nommées." if data.public else
                   f"Valeurs : {counts.get('observed', 0)} observées, {counts.get('estimated', 0)} estimées, "
                   f"{counts.get('demo', 0)} de démonstration.", className="kiosque-note"),
            html.P(f"Tableau de bord libre de l'ARS {queries.name_of(data, queries.region_of(data) or '')} — suivi du "
                   "plan d'accès aux soins.", className="kiosque-note"),
        ]),
    ], className="kiosque-body")


BUILDERS = {
    "plan": _plan_slide,
    "carte": _map_slide,
    "territoire": _territory_slide,
    "trimestre": _quarter_slide,
}


def _slide(data: store.Store, region: str, name: str, slides: tuple[str, ...], max_age: int) -> list:
    """A slide's heading with the date of its own figures (the territory slide dates each département),
    then its content."""
    if name == "source":
        shown = kiosk.shown_figures(data, region, tuple(s for s in slides if s != "source") or kiosk.SLIDES, max_age)
        return [html.Div(html.H2(kiosk.SLIDE_LABELS[name], className="kiosque-slide-title"), className="kiosque-slide-head"),
                _source_slide(data, shown, max_age)]
    date = None if name == "territoire" else kiosk.dates_text(
        q for _s, q in kiosk.shown_figures(data, region, (name,), max_age))
    return [html.Div([html.H2(kiosk.SLIDE_LABELS[name], className="kiosque-slide-title"),
                      html.P(date, className="kiosque-slide-date") if date else None], className="kiosque-slide-head"),
            BUILDERS[name](data, region, max_age)]


def _slides(data: store.Store, region: str, names: tuple[str, ...], max_age: int) -> list[tuple[str, list]]:
    """(name, content) of each slide that renders: one that fails is logged and left out, so that the screen
    goes on turning with the others rather than showing an error or stopping."""
    built = []
    for name in names:
        try:
            built.append((name, _slide(data, region, name, names, max_age)))
        except Exception:  # noqa: BLE001 — any failure of one slide: the others are still shown
            logging.getLogger(__name__).exception("diapositive « %s » non affichée", name)
    return built


def layout(**query) -> html.Div:
    conf = settings.current()
    cfg = kiosk.config(conf.kiosk_slides, conf.kiosk_seconds, query)
    try:
        data = store.get()
    except store.StoreUnavailable:
        return html.Div([html.H1("Accès aux soins", className="kiosque-title"),
                         html.P("Données momentanément indisponibles.", className="kiosque-empty")],
                        id=_id("root"), className="kiosque")
    region, max_age = conf.region, conf.kiosk_max_age_quarters
    region_name = queries.name_of(data, region, region)
    shows_demo = kiosk.shows_demo(data, region, cfg.slides, max_age)
    built = _slides(data, region, cfg.slides, max_age)
    if not built:
        return html.Div([html.H1("Accès aux soins", className="kiosque-title"),
                         html.P("Données momentanément indisponibles.", className="kiosque-empty")],
                        id=_id("root"), className="kiosque")
    slides = [html.Section(content, id=_id(f"diapo-{name}"), className="kiosque-slide", hidden=i > 0,
                           **{"data-slide": name})
              for i, (name, content) in enumerate(built)]
    return html.Div([
        dcc.Store(id=_id("config"), data={**cfg.as_data(), "version": data.version}),
        dcc.Store(id=_id("engine")),
        html.Header([
            html.H1(["Accès aux soins", html.Span(f" en {region_name}", className="kiosque-region")],
                    className="kiosque-title"),
            html.P(queries.freshness_text(data, dt.date.today()), id=_id("freshness"), className="kiosque-freshness"),
        ], className="kiosque-header"),
        html.Div("Certaines valeurs sont de démonstration (marquées « démo ») : elles ne sont pas des faits.",
                 className="kiosque-demo-banner", role="note") if shows_demo else None,
        html.Div(slides, id=_id("slides"), className="kiosque-slides", **{"aria-live": "off"}),
        html.Footer([
            html.Ol([html.Li(kiosk.SLIDE_LABELS[n], **{"data-slide": n}, **({"aria-current": "step"} if i == 0 else {}))
                     for i, (n, _content) in enumerate(built)], id=_id("steps"), className="kiosque-steps",
                    **{"aria-label": "Diapositives"}),
            # the countdown counts each second (a timer: not read out each time); the pause itself is announced
            # once, by the status beside it
            html.P("", id=_id("pause"), className="kiosque-pause", role="timer"),
            html.P("", id=_id("pause-status"), className="kiosque-sr", role="status"),
            html.P("", id=_id("notice"), className="kiosque-notice", role="status"),
        ], className="kiosque-footer"),
    ], id=_id("root"), className="kiosque", tabIndex="-1")


dash.register_page(__name__, path="/kiosque", name="Kiosque", title="Kiosque – Accès aux soins", order=4, layout=layout)
