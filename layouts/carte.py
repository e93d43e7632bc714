"""« Carte » : choropleth of every indicator at every level with geometry, structures on top.

The geometry comes once from ``/geometrie/<level>.geojson`` (``dashboard.mapping.install_routes``);
callbacks (``callbacks/carte.py``) only send values through the GeoJSON ``hideout``.
The builders below are pure (state in, components out) so callbacks and tests can reuse them.
"""
from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from dashboard import fmt, mapping, settings, store
from dashboard.territory import LEVEL_LABELS

from .components import demo_banner, status_badge

PAGE = "carte"
JS = Namespace("carte", "map")   # functions of assets/carte.js
LEVEL_PLURALS = {"departement": "départements", "epci": "EPCI", "commune": "communes"}
CONTEXT_STYLE = {"weight": 0.8, "color": "#9a9a9a", "fillColor": "#fbfbfb", "fillOpacity": 1, "opacity": 1}


def indicator_options(data: store.Store, level: str) -> list[dict]:
    return [{"label": data.indicators.at[i, "label"], "value": i} for i in mapping.indicators(data, level)]


def territory_options(data: store.Store, level: str, region: str) -> list[dict]:
    codes = mapping.region_codes(data, level, region)
    names = data.territories.loc[codes, "name"]
    return [{"label": n, "value": c} for c, n in sorted(zip(codes, names), key=lambda x: x[1])]


def legend(result: dict) -> html.Div:
    """Classes with French bounds, then the two non-value marks (démo, pas de donnée)."""
    ind = result["indicator"] or {}
    items = mapping.legend_items(result["edges"], result["colors"], ind.get("unit", ""))
    rows = [html.Li([html.Span(className="carte-swatch", style={"background": it["color"]}), it["label"]])
            for it in items]
    if result["has_demo"]:
        rows.append(html.Li([html.Span(className="carte-swatch carte-swatch-demo"), "valeur de démonstration (hachures)"]))
    rows.append(html.Li([html.Span(className="carte-swatch carte-swatch-nodata"), "pas de donnée"]))
    unit = ind.get("unit", "")
    title = ind.get("short_label") or ind.get("label", "")
    return html.Div([
        html.P([html.Strong(title), f" ({unit})" if unit and unit != "nombre" else ""], className="carte-legend-title"),
        html.Ul(rows, className="carte-legend-list"),
    ])


def caption(result: dict, level: str, quarter: str, shapes: int | None = None) -> str:
    ind = result["indicator"] or {}
    n_values = len(result["values"])
    n_codes = len(result["codes"])
    text = (f"{ind.get('label', '')} — {LEVEL_PLURALS.get(level, level)} de la région, {fmt.quarter(quarter)} "
            f"(dernière valeur connue à cette date) : {fmt.number(n_values)} territoire(s) avec une valeur "
            f"sur {fmt.number(n_codes)}.")
    if shapes is not None and shapes < n_codes:
        text += f" Contours chargés pour {fmt.number(shapes)} d'entre eux seulement."
    return text


def table(data: store.Store, result: dict, level: str, quarter: str) -> html.Table:
    rows = mapping.table_rows(data, result)
    ind = result["indicator"] or {}
    head = html.Thead(html.Tr([html.Th("Territoire", scope="col"), html.Th("Code", scope="col"),
                               html.Th("Valeur", scope="col", className="num"), html.Th("Statut", scope="col"),
                               html.Th("Trimestre de la valeur", scope="col")]))
    body = html.Tbody([html.Tr([html.Td(r["name"]), html.Td(r["code"]), html.Td(r["text"], className="num"),
                                html.Td(r["status"]), html.Td(r["period"])]) for r in rows])
    return html.Table([html.Caption(f"{ind.get('label', '')}, {LEVEL_PLURALS.get(level, level)}, "
                                    f"{fmt.quarter(quarter)} (valeurs décroissantes)"), head, body],
                      className="carte-table")


def side_panel(data: store.Store, code: str | None, level: str, quarter: str) -> list:
    info = mapping.panel(data, code, level, quarter) if code else None
    if info is None:
        return [html.H2("Territoire", className="carte-panel-title"),
                html.P("Cliquez sur un territoire de la carte, ou choisissez-le dans la liste « Territoire », "
                       "pour afficher ses chiffres clés.")]
    figures = [html.Li([html.Span(f["label"], className="carte-fig-label"), " : ",
                        html.Strong(f["text"]), f" ({f['period']})",
                        *([" ", status_badge(f["status"], f["source"])] if f["status"] != "observed" else [])])
               for f in info["figures"]]
    return [
        html.H2(info["name"], className="carte-panel-title"),
        html.P(f"{info['level']} — code {info['code']} — population {info['population']}"),
        html.H3(f"Chiffres clés, {fmt.quarter(quarter)}"),
        html.Ul(figures, className="carte-figures") if figures else html.P("Aucune valeur pour ce territoire."),
        dcc.Link("Voir la fiche du territoire", href=info["href"], className="btn btn-primary carte-sheet-link"),
    ]


def structures_control(data: store.Store) -> list:
    counts = mapping.structure_counts(data)
    if not sum(counts.values()):
        return [html.P("Structures : aucune structure chargée.", id=f"{PAGE}-structures-empty"),
                dcc.Checklist(id=f"{PAGE}-structures-toggle", options=[], value=[], style={"display": "none"})]
    options = [{"label": f"{label} ({fmt.number(counts[cat])})", "value": cat}
               for cat, label in mapping.STRUCTURE_CATEGORIES.items() if counts[cat]]
    return [html.Fieldset([
        html.Legend("Structures affichées"),
        dcc.Checklist(id=f"{PAGE}-structures-toggle", options=options, value=[o["value"] for o in options],
                      inline=True, className="carte-checklist"),
    ], className="carte-fieldset")]


def _field(label: str, control, ident: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=ident), control], className="carte-field")


def layout(**query) -> html.Div:
    data = store.get()
    conf = settings.current()
    region = conf.region
    state = mapping.view_from_query(data, {k: v for k, v in query.items() if isinstance(v, str)}, region)
    level, quarter = state["level"], state["quarter"]
    result = mapping.choropleth(data, state["indicator"], level, quarter, region, state["selected"])
    # center/zoom rather than bounds: dash-leaflet compares bounds objects with .equals() and fails on lists
    view = ({"center": state["center"], "zoom": state["zoom"]} if state["zoom"] is not None
            else mapping.fit_view(mapping.region_bounds(data, region)))

    layers = []
    if conf.tile_url:
        layers.append(dl.TileLayer(url=conf.tile_url, attribution=conf.tile_attribution or None))
    else:
        # no basemap: every département of France as a plain background (served once, cached)
        # in its own pane under the overlay pane: whichever layer loads last, the colours stay on top
        layers.append(dl.Pane(dl.GeoJSON(id=f"{PAGE}-context", url=mapping.geometry_url(data, mapping.CONTEXT),
                                         style=CONTEXT_STYLE, interactive=False),
                              name="carte-fond", style={"zIndex": 350}))
    layers.append(dl.GeoJSON(
        id=f"{PAGE}-geojson", url=mapping.geometry_url(data, level), hideout=result["hideout"],
        style=JS("style"), onEachFeature=JS("onEachFeature"),
        hoverStyle={"weight": 3, "color": "#000091", "dashArray": ""},
    ))
    # structures in their own pane above the choropleth (whose shapes are re-added on each restyle)
    layers.append(dl.Pane(dl.GeoJSON(
        id=f"{PAGE}-structures", data=mapping.structures_geojson(data), cluster=True, zoomToBoundsOnClick=True,
        superClusterOptions={"radius": 60}, hideout={"categories": list(mapping.STRUCTURE_CATEGORIES)},
        filter=JS("structureFilter"), pointToLayer=JS("pointToLayer"), clusterToLayer=JS("clusterToLayer"),
        onEachFeature=JS("structurePopup"),
    ), name="carte-points", style={"zIndex": 450}))
    level_options = [{"label": LEVEL_LABELS[lv], "value": lv} for lv in mapping.levels(data)]
    quarters = store.quarters(data)
    return html.Div([
        dcc.Store(id=f"{PAGE}-query"),
        html.H1("Carte"),
        html.P("Chaque indicateur du plan par territoire de la région, au trimestre choisi, avec les structures "
               "de soins. La géométrie est chargée une fois ; changer d'indicateur ou de trimestre ne recolore "
               "que les territoires.", className="lead"),
        html.Div(demo_banner(result["has_demo"]), id=f"{PAGE}-banner"),
        html.Div([
            html.Fieldset([html.Legend("Niveau", className="carte-label"),
                           dcc.RadioItems(id=f"{PAGE}-level", options=level_options, value=level, inline=True,
                                          className="carte-radio")], className="carte-field carte-fieldset"),
            _field("Indicateur", dcc.Dropdown(id=f"{PAGE}-indicator", options=indicator_options(data, level),
                                              value=state["indicator"], clearable=False), f"{PAGE}-indicator"),
            _field("Trimestre", dcc.Dropdown(id=f"{PAGE}-quarter",
                                             options=[{"label": fmt.quarter(q), "value": q} for q in reversed(quarters)],
                                             value=quarter, clearable=False), f"{PAGE}-quarter"),
            _field("Territoire", dcc.Dropdown(id=f"{PAGE}-territory", options=territory_options(data, level, region),
                                              value=state["selected"], placeholder="Choisir un territoire…"),
                   f"{PAGE}-territory"),
        ], className="carte-controls"),
        html.Div([
            html.Div([
                dl.Map(layers, id=f"{PAGE}-map", className="carte-map", **view, minZoom=5, maxZoom=14, zoomSnap=0.5,
                       attributionControl=bool(conf.tile_url)),
                html.Div(legend(result), id=f"{PAGE}-legend", className="carte-legend",
                         role="group", **{"aria-label": "Légende de la carte"}),
                html.P(caption(result, level, quarter, mapping.shape_count(data, level, region)),
                       id=f"{PAGE}-caption", className="carte-caption"),
            ], className="carte-map-col"),
            html.Aside(side_panel(data, state["selected"], level, quarter), id=f"{PAGE}-panel",
                       className="carte-panel", **{"aria-live": "polite", "aria-label": "Territoire sélectionné"}),
        ], className="carte-layout"),
        html.Div(structures_control(data), className="carte-structures"),
        html.Section([
            html.H2("Tableau des valeurs"),
            dcc.Checklist(id=f"{PAGE}-table-show",
                          options=[{"label": "Afficher le tableau des valeurs de la carte", "value": "on"}],
                          value=["on"] if level == "departement" else [], className="carte-checklist"),
            html.Div(table(data, result, level, quarter) if level == "departement" else None, id=f"{PAGE}-table"),
        ], className="carte-table-section"),
    ], className="carte-page")


dash.register_page(__name__, path="/carte", name="Carte", title="Carte – Accès aux soins", order=2, layout=layout)
