"""« Fiche territoire » : a visit briefing for any territory (/territoire/<code>), on screen, printed and as PDF.

The figures all come from ``dashboard.sheet.assemble``; this module only renders them. ``?trimestre=2023Q4``
picks the quarter, ``?impression=1`` the print view (no site frame). ``not_found(code)`` gives unknown codes a
real 404 with suggestions.
"""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import appraisal, fmt, search, settings, sheet, sheet_charts, store
from dashboard.schema import STATUS_LABELS
from dashboard.server import friendly_page

from .components import (appraisal_block, demo_banner, dsfr_table, graph_config, memoize_render, status_badge,
                         value_with_status)
from .search import search_box

PAGE = "territoire"


def _id(what: str) -> str:
    return f"{PAGE}-{what}"


# ---- unknown codes -----------------------------------------------------------------------------

def not_found(code=None, **_vars):
    """None when the territory exists, else a real 404 page with suggestions (called before Dash answers)."""
    try:
        data = store.get()
    except store.StoreUnavailable:
        return None
    if isinstance(code, str) and store.territory(data, code):
        return None
    links = [(search.label(r), r["href"]) for r in search.suggest_for_code(data, code)]
    links.append(("Tous les territoires", "/territoire"))
    return friendly_page("Territoire introuvable",
                         f"Aucun territoire ne porte le code « {str(code)[:30]} ». Codes attendus : FR, R84 "
                         f"(région), D15 (département), E200066389 (EPCI), C15014 (commune). Peut-être cherchiez-vous :",
                         404, links)


def _unknown(data, code) -> html.Div:
    suggestions = search.suggest_for_code(data, code)
    return html.Div([
        html.H1("Territoire introuvable"),
        html.P(f"Aucun territoire ne porte le code « {str(code)[:30]} »."),
        html.P("Peut-être cherchiez-vous :"),
        html.Ul([html.Li(dcc.Link(search.label(r), href=r["href"])) for r in suggestions]),
        html.P(dcc.Link("Tous les territoires", href="/territoire")),
    ], className="territoire-unknown")


# ---- landing page ------------------------------------------------------------------------------

def landing(data) -> html.Div:
    region = settings.current().region
    links = [html.Li(dcc.Link(item["label"], href=item["href"])) for item in sheet.region_links(data, region)]
    return html.Div([
        html.H1("Fiches territoire"),
        html.P("Une fiche de visite pour chaque territoire : ses indicateurs comparés au département, à la région et "
               "à la France, leurs évolutions, ses structures de soins, son zonage et les initiatives locales. "
               "Imprimable et exportable en PDF.", className="lead"),
        search_box("search-page", "Rechercher un territoire"),
        html.H2("La région et ses départements"),
        html.Ul(links, className="territoire-links"),
        html.P(dcc.Link("Toute la France", href="/territoire/FR")),
    ], className="territoire-landing")


# ---- the sheet ---------------------------------------------------------------------------------

def _value(v: dict | None, unit: str) -> html.Span | str:
    if v is None:
        return "–"
    return value_with_status(v["value"], unit, v["status"], v["source"])


def _header(s: dict) -> html.Header:
    t = s["territory"]
    parents = []
    for p in s["parents"]:
        parents += [dcc.Link(p["name"], href=p["href"]), f" ({p['level_label'] if p['level'] == 'epci' else p['level_label'].lower()})", " › "]
    facts = [
        html.Dt("Niveau"), html.Dd(t["level_label"]),
        html.Dt("Population"), html.Dd(f"{fmt.number(t['population'])} habitants" if t["population"] else "–"),
        html.Dt("Code"), html.Dd(s["code"]),
        html.Dt("Trimestre"), html.Dd(s["quarter_label"]),
    ]
    if parents:
        facts += [html.Dt("Appartient à"), html.Dd(parents[:-1])]
    return html.Header([
        html.P("Fiche territoire", className="territoire-kicker"),
        html.H1(t["name"], id=_id("title")),
        html.Dl(facts, className="facts territoire-facts"),
        html.P(s["freshness"], className="territoire-version", id=_id("freshness")),
        html.P(f"Données : version {s['version']}, construite le {_date(s['built_at'])}. "
               f"Adresse permanente : {s['permalink']}", className="territoire-version", id=_id("version")),
    ], className="territoire-header")


def _date(iso: str) -> str:
    if not iso or len(iso) < 10:
        return "–"
    y, m, d = iso[:10].split("-")
    return f"{d}/{m}/{y}"


def _toolbar(s: dict, options: list[dict], printing: bool) -> html.Div:
    base = f"/territoire/{s['code']}?trimestre={s['quarter']}"
    return html.Div([
        # A plain GET form: the quarter is in the URL (a permalink), works with the keyboard and without JS.
        html.Form([
            html.Label("Trimestre", htmlFor=_id("quarter"), className="fr-label"),
            html.Select([html.Option(o["label"], value=o["value"], selected=o["value"] == s["quarter"])
                         for o in options], id=_id("quarter"), name="trimestre", className="fr-select territoire-quarter"),
            *([dcc.Input(type="hidden", name="impression", value="1", id=_id("print-flag"))] if printing else []),
            html.Button("Afficher", type="submit", className="fr-btn fr-btn--secondary", id=_id("quarter-submit")),
            html.P(s["quarter_hint"], id=_id("quarter-hint"), className="fr-hint-text") if s["quarter_hint"] else None,
        ], action=f"/territoire/{s['code']}", method="get", className="territoire-quarter-field fr-select-group"),
        (dcc.Link("Retour à la fiche", href=base, className="fr-btn fr-btn--secondary") if printing else
         dcc.Link("Version imprimable", href=base + "&impression=1", className="fr-btn fr-btn--secondary",
                  id=_id("print-link"))),
        # on the screen page, « Imprimer » prints the print view (charts drawn at their paper width: plotly does
        # not redraw a chart for paper, so the screen page's charts would be cut at their card's edge)
        html.Button("Imprimer", id=_id("print"), className="fr-btn fr-btn--secondary", n_clicks=0, type="button",
                    **{"data-print-url": "" if printing else base + "&impression=1&imprimer=1"}),
        html.Button("PDF", id=_id("pdf"), className="fr-btn", n_clicks=0, type="button",
                    title="Télécharger la fiche en PDF"),
        html.Button("CSV", id=_id("csv"), className="fr-btn fr-btn--secondary", n_clicks=0, type="button",
                    title="Télécharger le tableau des valeurs avec leur provenance"),
        html.Span("Génération du PDF en cours…", id=_id("pdf-progress"), className="territoire-status", hidden=True),
        html.Span(id=_id("pdf-status"), className="territoire-status", role="status"),
        dcc.Download(id=_id("pdf-download")), dcc.Download(id=_id("csv-download")),
    ], className="territoire-toolbar no-print")


ASSESSMENT_CLASS = {"better": "cmp-better", "worse": "cmp-worse", "similar": "cmp-similar"}


def _spine(peers: dict | None, assessment: str) -> html.Span | str:
    """Position among peers: a marker on a line (1st = left = most favourable), with its text."""
    if not peers:
        return "–"
    pos = 0 if peers["n"] <= 1 else (peers["rank"] - 1) / (peers["n"] - 1)
    return html.Span([
        html.Span(html.Span(className=f"spine-dot {ASSESSMENT_CLASS.get(assessment, 'cmp-none')}",
                            style={"left": f"{pos * 100:.0f}%"}), className="spine", **{"aria-hidden": "true"}),
        html.Span(peers["label"], className="spine-label", title=peers["detail"]),
    ], className="spine-cell")


def _profile(s: dict) -> html.Section:
    comps = s["comparators"]
    head = html.Tr([html.Th("Indicateur", scope="col"), html.Th("Ce territoire", scope="col", className="num"),
                    *[html.Th(c["name"], scope="col", className="num") for c in comps],
                    html.Th("Position parmi ses pairs", scope="col"), html.Th("Comparaison", scope="col")])
    rows = []
    for r in s["profile"]:
        own = r["own"]
        # data-label: on a phone each row is drawn as a list (territoire.css), the cell says its column
        rows.append(html.Tr([
            html.Th([r["label"], html.Span(sheet.when_text(own, s["quarter"]), className="when")], scope="row"),
            html.Td(_value(own, r["unit"]), className="num", **{"data-label": "Ce territoire"}),
            *[html.Td([_value(r["comparators"][c["code"]], r["unit"]),
                       html.Span(sheet.when_text(r["comparators"][c["code"]], s["quarter"]), className="when")],
                      className="num", **{"data-label": c["name"]}) for c in comps],
            html.Td(_spine(r["peers"], r["assessment"]), **{"data-label": "Position parmi ses pairs"}),
            html.Td(html.Span(r["assessment_label"],
                              className=f"cmp {ASSESSMENT_CLASS.get(r['assessment'], 'cmp-none')}"),
                    **{"data-label": "Comparaison"}),
        ]))
    bench = next((c["name"] for c in comps if c["code"] == (s["profile"][0]["benchmark"] if s["profile"] else "")),
                 None)
    return html.Section([
        html.H2(sheet.SECTIONS[0]),
        html.P([f"Valeurs au {s['quarter_label']} (ou dernière valeur connue, trimestre indiqué entre parenthèses). ",
                f"Comparaison avec {bench} : " if bench else "",
                "les effectifs sont comparés pour 100 000 habitants ; un effectif inférieur à "
                f"{sheet.SMALL_COUNT} n'est pas comparé ; la couleur suit le sens de l'indicateur "
                "(bleu : plus favorable, orange : moins favorable) et le texte le dit aussi."], className="note"),
        dsfr_table(html.Table([html.Caption(f"Profil de {s['territory']['name']}"),
                               html.Thead(head), html.Tbody(rows)], className="territoire-profile territoire-stack"),
                   "fr-table--sm fr-table--multiline fr-table--no-caption territoire-profile-frame",
                   content_class="table-scroll", tabIndex="0", role="region",
                   **{"aria-label": "Tableau du profil des indicateurs"}),
    ], className="territoire-section", id=_id("profil"))


def _trend_card(s: dict, tr: dict, printing: bool = False) -> html.Article:
    rows = [html.Tr([html.Td(fmt.quarter(p)), html.Td(value_with_status(v, tr["unit"], st, src), className="num"),
                     html.Td(STATUS_LABELS.get(st, st))])
            for p, v, st, src in zip(tr["series"]["period"], tr["series"]["value"], tr["series"]["status"],
                                     tr["series"]["source"])]
    if tr["target"]:
        rows.append(html.Tr([html.Td(f"Cible {fmt.quarter(tr['target']['period'])}"),
                             html.Td(fmt.target(tr["target"]["value"], tr["unit"]), className="num"),
                             html.Td("cible du plan")]))
    fig = sheet_charts.trend_figure(tr, sheet_charts.credit_of(s, tr), paper=printing)
    return html.Article([
        html.H3(tr["short_label"]),
        dcc.Graph(figure=fig, config=graph_config(f"territoire-{tr['indicator']}", toolbar=False),
                  className="territoire-graph",
                  style={"height": f"{fig.layout.height}px"},
                  id=_id(f"graph-{tr['indicator']}")),
        _progress(tr),
        appraisal_block(tr["appraisal"], (tr.get("progress") or {}).get("status")) if tr.get("appraisal") else None,
        html.Details([html.Summary("Tableau des valeurs"),
                      dsfr_table(html.Table([html.Thead(html.Tr([html.Th("Trimestre", scope="col"),
                                                                 html.Th("Valeur", scope="col", className="num"),
                                                                 html.Th("Statut", scope="col")])),
                                             html.Tbody(rows)]), "fr-table--sm")],
                     className="chart-table", open=printing),
    ], className="trend-card")


def _progress(tr: dict) -> html.P | None:
    text = sheet.progress_text(tr)
    if not text:
        return None
    return html.P(text, className="progress-share")


def _trends(s: dict, printing: bool = False) -> html.Section:
    body = ([html.Div([_trend_card(s, tr, printing) for tr in s["trends"]], className="trend-grid")] if s["trends"] else
            [html.P("Aucune série des indicateurs du plan n'est disponible à ce niveau territorial.")])
    return html.Section([html.H2(sheet.SECTIONS[1]), *body], className="territoire-section", id=_id("evolutions"))


def _changes(s: dict) -> html.Section:
    if not s["changes"]:
        return html.Section([html.H2(sheet.SECTIONS[2]), html.P("Aucune valeur pour ce territoire à ce trimestre.")],
                            className="territoire-section", id=_id("changements"))
    year = f"Depuis le {fmt.quarter(s['year_before'])}"
    # data-label: on a phone each row is drawn as a block, each cell saying its column (territoire.css)
    rows = [html.Tr([html.Th(c["label"], scope="row"),
                     html.Td([_value(c["now"], c["unit"]),
                              html.Span(sheet.when_text(c["now"], s["quarter"]), className="when")],
                             className="num", **{"data-label": s["quarter_label"]}),
                     html.Td(sheet.change_text(c["previous"], c["unit"]), className="num",
                             **{"data-label": CHANGE_PREVIOUS}),
                     html.Td(sheet.change_text(c["year"], c["unit"]), className="num", **{"data-label": year})])
            for c in s["changes"]]
    return html.Section([
        html.H2(sheet.SECTIONS[2]),
        dsfr_table(html.Table([html.Thead(html.Tr([html.Th("Indicateur", scope="col"),
                                                   html.Th(s["quarter_label"], scope="col", className="num"),
                                                   html.Th(CHANGE_PREVIOUS, scope="col", className="num"),
                                                   html.Th(year, scope="col", className="num")])),
                               html.Tbody(rows)], className="territoire-stack"), "fr-table--sm fr-table--multiline"),
    ], className="territoire-section", id=_id("changements"))


CHANGE_PREVIOUS = "Depuis l'observation précédente"


def _structures(s: dict) -> html.Section:
    frame = s["structures"]
    if s["structures_total"] == 0:
        body = [html.P("Aucune structure chargée (répertoire FINESS non fourni).")]
    elif not len(frame):
        body = [html.P("Aucune structure (MSP, centre de santé, CPTS) enregistrée dans ce territoire.")]
    else:
        body = [_structures_map(frame), dsfr_table(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Catégorie", "Nom", "Adresse", "Ouverture",
                                                                  "Source")])),
            html.Tbody([html.Tr([html.Td(r.category_label), html.Td(r.name), html.Td(r.address or ""),
                                 html.Td(_date(str(r.opening_date)) if r.opening_date else "–"), html.Td(r.source)])
                        for r in frame.itertuples()])]), "fr-table--sm fr-table--multiline")]
    return html.Section([html.H2(sheet.SECTIONS[3]), *body], className="territoire-section", id=_id("structures"))


def _structures_map(frame):
    import dash_leaflet as dl

    pts = frame.dropna(subset=["lon", "lat"])
    if not len(pts):
        return None
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"tooltip": f"{r.name} ({r.category_label})"}} for r in pts.itertuples()]}
    conf = settings.current()
    layers = [dl.TileLayer(url=conf.tile_url, attribution=conf.tile_attribution)] if conf.tile_url else []
    bounds = [[float(pts["lat"].min()), float(pts["lon"].min())], [float(pts["lat"].max()), float(pts["lon"].max())]]
    return html.Div(dl.Map([*layers, dl.GeoJSON(data=geojson, id=_id("structures-points"))], bounds=bounds,
                           style={"height": "18rem"}, id=_id("map")),
                    className="territoire-map", role="img",
                    **{"aria-label": f"Carte des {len(pts)} structures du territoire (détail dans le tableau)"})


def _zoning(s: dict) -> html.Section:
    comps = s["comparators"]
    rows = [html.Tr([html.Th(z["label"], scope="row"),
                     html.Td(_value(z["own"], z["unit"]) if z["available"] else "non disponible à ce niveau",
                             className="num", **{"data-label": s["territory"]["name"]}),
                     *[html.Td(_value(z["comparators"][c["code"]], z["unit"]), className="num",
                               **{"data-label": c["name"]}) for c in comps]])
            for z in s["zoning"]]
    return html.Section([
        html.H2(sheet.SECTIONS[4]),
        *_perimeters(s),
        html.P("Zonage des médecins généralistes (ZIP, ZAC) et part de la population dont l'APL est inférieure à "
               "2,5 consultations par habitant et par an, avec tous les médecins puis sans ceux de plus de 65 ans.",
               className="note"),
        dsfr_table(html.Table([html.Thead(html.Tr([html.Th("Indicateur", scope="col"),
                                                   html.Th(s["territory"]["name"], scope="col", className="num"),
                                                   *[html.Th(c["name"], scope="col", className="num")
                                                     for c in comps]])),
                               html.Tbody(rows)], className="territoire-stack"), "fr-table--sm fr-table--multiline"),
    ], className="territoire-section", id=_id("zonage"))


def _perimeters(s: dict) -> list:
    """The commune's CPTS and zone as of the sheet's quarter, and our CPTS coverage beside the baromètre's."""
    out = []
    if s["territory"]["level"] == "commune":
        cpts = "; ".join(c["text"] for c in s["cpts"]) or "aucune CPTS (zone blanche)"
        out.append(html.P([html.Strong("CPTS : "), cpts], id=_id("cpts")))
        if s["zone"]:
            out.append(html.P([html.Strong("Zonage médecins : "), s["zone"]["text"]], id=_id("zone")))
    if s["reconciliation"]:
        out.append(html.P([html.Strong("Couverture CPTS : "), s["reconciliation"]["text"]], id=_id("rapprochement"),
                          className="note"))
    return out


def _initiatives(s: dict) -> html.Section:
    items = [html.Article([
        html.H3(i["title"]),
        html.P(f"{i['territory_name']} ({i['where_label']}) — {i['year']}", className="initiative-where"),
        html.P(i["text"]),
        html.P([html.Strong("Source : "), i["source"]], className="source"),
    ], className="initiative") for i in s["initiatives"]]
    body = items or [html.P("Aucune initiative locale enregistrée pour ce territoire ni ses territoires englobants.")]
    return html.Section([html.H2(sheet.SECTIONS[5]), *body], className="territoire-section", id=_id("initiatives"))


def _provenance(s: dict) -> html.Section:
    counts = s["provenance"]["counts"]
    summary = ", ".join(f"{counts.get(k, 0)} {STATUS_LABELS[k]}{'s' if counts.get(k, 0) > 1 else ''}"
                        for k in ("observed", "estimated", "demo"))
    return html.Section([
        html.H2(sheet.SECTIONS[6]),
        html.P(f"Valeurs de cette fiche : {summary}."),
        html.Ul([html.Li([status_badge(src["status"]), " ", src["source"], f" ({src['periods_label']})"])
                 for src in s["provenance"]["sources"]], className="provenance-list"),
        html.P(f"Données : version {s['version']}, construite le {_date(s['built_at'])}.", className="source"),
    ], className="territoire-section", id=_id("provenance"))


def render(s: dict, options: list[dict], printing: bool = False) -> html.Div:
    return html.Div([
        dcc.Store(id=_id("params"), data={"code": s["code"], "quarter": s["quarter"]}),
        demo_banner(s["provenance"]["has_demo"]),
        html.P(s["quarter_message"], className="territoire-message", role="status") if s["quarter_message"] else None,
        html.P(s["missing_communes"], id=_id("missing-communes"), className="territoire-note")
        if s["missing_communes"] else None,
        _header(s),
        _toolbar(s, options, printing),
        _profile(s), _trends(s, printing), _changes(s), _structures(s), _zoning(s), _initiatives(s), _provenance(s),
    ], className="territoire-sheet" + (" territoire-print-view" if printing else ""))


def sheet_appraisals(code, trimestre) -> tuple:
    """The team's appraisals of this territory for the sheet's quarter, as a hashable tuple (the memoised page's
    argument, so a new appraisal shows at the next render); none on the public instance."""
    if code is None or settings.current().public:
        return ()
    try:
        quarter = sheet.resolve_quarter(store.get(), str(code), trimestre)[0]
    except store.StoreUnavailable:
        return ()
    return tuple(sorted(appraisal.of_territory(code, quarter).items()))


def layout(code=None, trimestre=None, impression=None, **_query) -> html.Div:
    conf = settings.current()
    return _page(code, trimestre, impression, sheet_appraisals(code, trimestre), conf.region, None)


@memoize_render()
def _page(code, trimestre, impression, appraisals: tuple, region: str, thresholds) -> html.Div:
    """The page, memoised on the store version, the URL and the settings it reads (region, thresholds)."""
    try:
        data = store.get()
    except store.StoreUnavailable:
        return html.Div([html.H1("Fiche territoire"), html.P("Aucune donnée publiée.")])
    if code is None:
        return landing(data)
    try:
        s = sheet.assemble(data, code, trimestre, region, dict(appraisals), thresholds)
    except sheet.SheetError:
        return _unknown(data, code)
    return render(s, sheet.quarter_options(data), printing=impression in ("1", "oui", "true"))


dash.register_page(__name__, path_template="/territoire/<code>", path="/territoire", name="Territoires",
                   title="Territoires – Accès aux soins", order=3, layout=layout)
