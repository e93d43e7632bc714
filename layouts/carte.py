"""« Carte » : choropleth of every indicator at every level with geometry, structures on top.

The geometry comes once from ``/geometrie/<level>.geojson`` (``dashboard.mapping.install_routes``);
callbacks (``callbacks/carte.py``) only send values through the GeoJSON ``hideout``.
The builders below are pure (state in, components out) so callbacks and tests can reuse them.
"""
from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import dcc, html

from dashboard import fmt, map_layers, mapping, palette, queries, settings, store, texts, units
from dashboard import territory
from dashboard.territory import LEVEL_LABELS

from .components import demo_banner, download_button, dsfr_table, status_badge

PAGE = "carte"


def JS(name: str) -> dict:
    """A function of assets/carte.js (``window.carte.map[name]``), as dash-leaflet resolves a prop given as
    ``{"variable": …}`` — what dash_extensions' Namespace writes, without importing it (and jsbeautifier) in every
    app process for one string."""
    return {"variable": f"carte.map.{name}"}


LEVEL_PLURALS = {"departement": "départements", "epci": "EPCI", "commune": "communes"}
CONTEXT_STYLE = {"weight": 0.8, "color": palette.CONTEXT_STROKE, "fillColor": palette.CONTEXT_FILL, "fillOpacity": 1,
                 "opacity": 1}


def territory_placeholder(data: store.Store, level: str, region: str) -> str:
    if len(mapping.region_codes(data, level, region)) > mapping.TERRITORY_LIST_MAX:
        return "Tapez au moins deux lettres du nom ou le code…"
    return "Choisir un territoire…"


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
        html.P([html.Strong(title), f" ({unit})" if unit and not units.of(unit).is_count else ""], className="carte-legend-title"),
        html.Ul(rows, className="carte-legend-list"),
    ])


def where(region: str) -> str:
    """« de la région », or « de France » for a national instance."""
    return "de France" if region == territory.FRANCE else "de la région"


def basis_words(basis: str | None) -> str:
    """« (pour 100 000 habitants) » after the label of a count drawn per inhabitants (caption, table)."""
    return f" ({units.PER_100K_UNIT})" if basis == mapping.RATE else ""


def caption(result: dict, level: str, quarter: str, shapes: int | None = None, region: str = "",
            arrondissements: int = 0) -> str:
    ind = result["indicator"] or {}
    n_values = len(result["values"])
    n_codes = len(result["codes"])
    text = (f"{ind.get('label', '')}{basis_words(result.get('basis'))} — {LEVEL_PLURALS.get(level, level)} {where(region)}, {fmt.quarter(quarter)} "
            f"(dernière valeur connue à cette date) : {fmt.number(n_values)} territoire(s) avec une valeur "
            f"sur {fmt.number(n_codes)}.")
    if shapes is not None and shapes + arrondissements < n_codes:
        text += f" Contours chargés pour {fmt.number(shapes)} d'entre eux seulement."
    elif shapes is not None and shapes < n_codes:
        text += (f" Les {fmt.number(n_codes - shapes)} arrondissements municipaux (Paris, Lyon, Marseille) n'ont pas "
                 "de contour propre : leur commune est dessinée.")
    return text


TABLE_COLUMNS = [("Territoire", ""), ("Code", ""), ("Valeur", "num"), ("Statut", ""), ("Trimestre de la valeur", "")]


def page_status(view: dict, query) -> str:
    if not view["total"]:
        typed = query[:mapping.QUERY_MAX].strip() if isinstance(query, str) else ""
        return f"Aucun territoire ne correspond à « {typed} »." if typed else "Aucun territoire."
    return (f"Lignes {fmt.number(view['first'])} à {fmt.number(view['last'])} sur {fmt.number(view['total'])} "
            f"(page {fmt.number(view['page'] + 1)} sur {fmt.number(view['pages'])}).")


def table(view: dict, indicator: dict | None, level: str, quarter: str, sort: str) -> html.Table:
    """The rows of one page as a real table; the name links to the territory's sheet."""
    ind = indicator or {}
    sorted_col, direction = mapping.SORT_COLUMN.get(sort, mapping.SORT_COLUMN[mapping.DEFAULT_SORT])
    head = html.Thead(html.Tr([html.Th(label, scope="col", className=cls or None,
                                       **({"aria-sort": direction} if label == sorted_col else {}))
                               for label, cls in TABLE_COLUMNS]))
    body = html.Tbody([html.Tr([html.Td(dcc.Link(r["name"], href=f"/territoire/{r['code']}")), html.Td(r["code"]),
                                html.Td(r["text"], className="num"), html.Td(r["status"]), html.Td(r["period"])])
                       for r in view["rows"]])
    return html.Table([html.Caption(f"{ind.get('label', '')}, {LEVEL_PLURALS.get(level, level)}, "
                                    f"{fmt.quarter(quarter)} — {mapping.SORTS.get(sort, mapping.SORTS[mapping.DEFAULT_SORT]).lower()}"),
                       head, body], className="carte-table")


def table_view(data: store.Store, indicator: str | None, level: str, quarter: str | None, region: str,
               query=None, sort: str = mapping.DEFAULT_SORT, page=0, basis: str | None = None) -> dict:
    """What the table section shows for a state: the table, the status line, the page and the paging buttons."""
    sort = sort if sort in mapping.SORTS else mapping.DEFAULT_SORT
    if indicator is None or quarter is None:
        return {"table": None, "status": "Aucun indicateur à afficher.", "page": 0, "at_start": True, "at_end": True}
    rows = mapping.table_rows(data, indicator, level, quarter, region, basis)
    view = mapping.table_page(mapping.filter_rows(rows, query, sort), page)
    ind = store.indicator(data, indicator) or {}
    ind = {**ind, "label": ind.get("label", "") + basis_words(mapping.basis_of(ind, basis))}
    return {"table": table(view, ind, level, quarter, sort),
            "status": page_status(view, query), "page": view["page"],
            "at_start": view["page"] == 0, "at_end": view["page"] >= view["pages"] - 1}


def export_filename(indicator: str, level: str, quarter: str) -> str:
    return f"carte-{indicator}-{level}-{quarter}.csv"


def table_section(data: store.Store, indicator, level: str, quarter, region: str) -> html.Section:
    """Filter, sort and export, then one page of the table and the paging buttons (server-side pages)."""
    first = table_view(data, indicator, level, quarter, region)
    pager = [("first", "Première page"), ("prev", "Page précédente"), ("next", "Page suivante"),
             ("last", "Dernière page")]
    disabled = {"first": first["at_start"], "prev": first["at_start"], "next": first["at_end"],
                "last": first["at_end"]}
    return html.Section([
        html.H2("Tableau des valeurs", id=f"{PAGE}-table-title"),
        html.P("Les valeurs de la carte, territoire par territoire, accessibles au clavier : filtrez par nom ou "
               "code, triez, puis changez de page avec les boutons ou les touches Page suivante / Page précédente.",
               className="hint"),
        dcc.Store(id=f"{PAGE}-table-page", data=first["page"]),
        html.Div([
            _field("Filtrer par nom ou code",
                   # no timed debounce: Dash 4's Input re-renders a stale value under quick typing and scrambles
                   # the letters (« rouget » became « rugeto »); filtering a page of rows per keystroke is cheap
                   dcc.Input(id=f"{PAGE}-table-filter", type="search", debounce=False, maxLength=mapping.QUERY_MAX,
                             autoComplete="off", placeholder="ex. Aurillac, 15014"),
                   f"{PAGE}-table-filter"),
            _field("Trier par", dcc.Dropdown(id=f"{PAGE}-table-sort", value=mapping.DEFAULT_SORT, clearable=False,
                                             searchable=False,
                                             options=[{"label": v, "value": k} for k, v in mapping.SORTS.items()]),
                   f"{PAGE}-table-sort"),
            html.Div([download_button(f"{PAGE}-export-csv", "Exporter le tableau (CSV)"),
                      dcc.Download(id=f"{PAGE}-export-download")],
                     className="carte-exports", role="group", **{"aria-label": "Exports"}),
        ], className="carte-table-tools"),
        html.P(first["status"], id=f"{PAGE}-table-status", className="carte-table-status", role="status"),
        # focusable, so that Page suivante / Page précédente work from the table itself (assets/carte.js)
        html.Div(html.Div(html.Div(
            html.Div(first["table"], id=f"{PAGE}-table", className="fr-table__content carte-table-wrap", tabIndex="0",
                     role="region", **{"aria-labelledby": f"{PAGE}-table-title {PAGE}-table-status"}),
            className="fr-table__container"), className="fr-table__wrapper"), className="fr-table fr-table--sm"),
        html.Nav([html.Button(label, id=f"{PAGE}-table-{key}", n_clicks=0, type="button",
                              className="fr-btn fr-btn--secondary fr-btn--sm",
                              **{"aria-disabled": "true" if disabled[key] else "false"})
                  for key, label in pager],
                 className="carte-pager", **{"aria-label": "Pages du tableau"}),
    ], className="carte-table-section", id=f"{PAGE}-table-section")


def announce(data: store.Store, code: str | None) -> str:
    info = store.territory(data, code) if code else None
    return f"Territoire sélectionné : {info['name']}." if info else ""


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
        dcc.Link("Voir la fiche du territoire", href=info["href"], className="fr-btn carte-sheet-link"),
    ]


def structure_options(data: store.Store, quarter: str | None) -> list[dict]:
    """One box per category present, with its count of structures open at the quarter (« MSP (12) »)."""
    counts, loaded = mapping.structure_counts(data, quarter), mapping.structure_counts(data)
    return [{"label": f"{label} ({fmt.number(counts[cat])})", "value": cat}
            for cat, label in mapping.STRUCTURE_CATEGORIES.items() if loaded[cat]]


def structures_control(data: store.Store, quarter: str | None = None) -> list:
    if not sum(mapping.structure_counts(data).values()):
        return [html.P("Structures : aucune structure chargée.", id=f"{PAGE}-structures-empty"),
                dcc.Checklist(id=f"{PAGE}-structures-toggle", options=[], value=[], style={"display": "none"})]
    options = structure_options(data, quarter)
    return [html.Fieldset([
        html.Legend("Structures ouvertes au trimestre choisi"),
        dcc.Checklist(id=f"{PAGE}-structures-toggle", options=options, value=[o["value"] for o in options],
                      inline=True, className="carte-checklist"),
    ], className="carte-fieldset"),
        # the points are not tab stops (a cluster hides them anyway): their list is the keyboard's way to them,
        # drawn when first opened (a click or Enter on the summary), then kept in step with the filter
        html.Details([html.Summary("Liste des structures affichées", id=f"{PAGE}-structures-summary", n_clicks=0),
                      html.Div(id=f"{PAGE}-structures-list")],
                     id=f"{PAGE}-structures-details", className="carte-structures-details")]


def structures_table(rows: list[dict]) -> html.Div:
    """The structures shown on the map, as a table (same text as their popups)."""
    if not rows:
        return html.P("Aucune structure de ces catégories.")
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in
                               ("Structure", "Catégorie", "Commune", "Adresse", "Ouverture", "FINESS")]))
    body = html.Tbody([html.Tr([html.Td(r["name"]), html.Td(r["category"]), html.Td(r["commune"]),
                                html.Td(r["address"]), html.Td(r["opening"]), html.Td(r["finess"])]) for r in rows])
    caption = html.Caption(f"Structures affichées sur la carte : {fmt.number(len(rows))}")
    return dsfr_table(html.Table([caption, head, body]), "fr-table--sm", tabIndex="0", role="region",
                      **{"aria-label": "Liste des structures"})


def layers_from_query(value) -> list[str]:
    """``couches=cpts,blanches,zonage`` of the URL (anything else ignored)."""
    return [k for k in map_layers.LAYERS if k in value.split(",")] if isinstance(value, str) else []


def layers_control(data: store.Store, region: str, active: list[str]) -> html.Fieldset:
    """One checkbox per geography layer; a layer without its data (no CPTS list, no decree, no commune
    contours) is shown disabled, with the reason."""
    can = map_layers.available(data, region)
    options = [{"label": label, "value": key, "disabled": not can[key]} for key, label in map_layers.LAYERS.items()]
    missing = []
    if not map_layers.shape_codes(data, region):
        missing.append("contours des communes non chargés")
    else:
        if not can["cpts"]:
            missing.append("aucune liste de CPTS chargée")
        if not can["zonage"]:
            missing.append("aucun arrêté de zonage chargé")
    return html.Fieldset([
        html.Legend("Couches géographiques (au trimestre choisi)"),
        dcc.Checklist(id=f"{PAGE}-layers", options=options, value=[k for k in active if can[k]], inline=True,
                      className="carte-checklist"),
        *([html.P(f"Indisponible : {', '.join(missing)}.", className="hint", id=f"{PAGE}-layers-missing")]
          if missing else []),
    ], className="carte-fieldset carte-layers-control")


def layers_legend(info: dict) -> list:
    """Legend of the layers shown (nothing when none is)."""
    rows = []
    for item in info["legend"]:
        if item["kind"] == "zonage":
            rows.append(html.Li([html.Span(item["label"]), html.Ul([
                html.Li([html.Span(className=f"carte-swatch carte-swatch-zone-{z['zone']}",
                                   style={"background": z["color"]}), z["label"]]) for z in item["zones"]],
                className="carte-legend-list")]))
        else:
            rows.append(html.Li([html.Span(className=f"carte-swatch carte-swatch-{item['kind']}"), item["label"]]))
    return [html.Ul(rows, className="carte-layers-legend-list")] if rows else []


def layer_components(info: dict) -> dl.Pane:
    """The three layers, in their own pane above the colours and under the structures; their URLs stay
    empty (nothing fetched) until the layer is switched on."""
    return dl.Pane([
        dl.GeoJSON(id=f"{PAGE}-layer-zonage", url=info["zonage_url"], hideout=info["zonage"], format="geobuf",
                   filter=JS("zoneFilter"), style=JS("zoneStyle"), interactive=False),
        dl.GeoJSON(id=f"{PAGE}-layer-blanches", url=info["blanches_url"], hideout=info["blanches"], format="geobuf",
                   filter=JS("uncoveredFilter"), style=JS("uncoveredStyle"), interactive=False),
        dl.GeoJSON(id=f"{PAGE}-layer-cpts", url=info["cpts_url"], style=JS("cptsStyle"), hideout={"palette": palette.MAP},
                   onEachFeature=JS("cptsTooltip")),
    ], name="carte-couches", style={"zIndex": 420})


def _field(label: str, control, ident: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=ident), control], className="carte-field")


# « Pour 100 000 habitants » or « Nombre »: shown for counts only (the other units have one basis)
BASIS_OPTIONS = [{"label": label, "value": value} for value, label in mapping.BASES.items()]


def not_offered_hint(data, level: str) -> str:
    """« Non proposés à ce niveau, faute de valeur : MSP en fonctionnement, … » (what the indicator list leaves
    out, and why)."""
    left_out = [data.indicators.at[i, "short_label"] or data.indicators.at[i, "label"]
                for i in mapping.not_offered(data, level)]
    return f"Non proposés à ce niveau, faute de valeur : {', '.join(left_out)}." if left_out else ""


def layout(**query) -> html.Div:
    data = store.get()
    conf = settings.current()
    region = conf.region
    state = mapping.view_from_query(data, {k: v for k, v in query.items() if isinstance(v, str)}, region)
    level, quarter = state["level"], state["quarter"]
    result = mapping.choropleth(data, state["indicator"], level, quarter, region, state["selected"], state["basis"])
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
                                         format="geobuf", style=CONTEXT_STYLE, interactive=False),
                              name="carte-fond", style={"zIndex": 350}))
    layers.append(dl.GeoJSON(
        # no hideout: the view lives in the dcc.Store `carte-view` (sent once, not twice: 160 kB at 35 000 communes)
        id=f"{PAGE}-geojson", url=mapping.geometry_url(data, level), format="geobuf",
        style=JS("style"), onEachFeature=JS("onEachFeature"),
        hoverStyle={"weight": 3, "color": palette.BLEU_FRANCE, "dashArray": ""},
    ))
    active = layers_from_query(query.get("couches"))
    layer_info = map_layers.view(data, active, quarter, region)
    layers.append(layer_components(layer_info))
    # structures in their own pane above the choropleth (whose shapes are re-added on each restyle)
    layers.append(dl.Pane(dl.GeoJSON(
        id=f"{PAGE}-structures", data=mapping.structures_geojson(data, quarter), cluster=True,
        zoomToBoundsOnClick=True,
        superClusterOptions={"radius": 60}, hideout={"categories": list(mapping.STRUCTURE_CATEGORIES),
                                                       "colors": palette.STRUCTURES, "palette": palette.MAP},
        filter=JS("structureFilter"), pointToLayer=JS("pointToLayer"), clusterToLayer=JS("clusterToLayer"),
        onEachFeature=JS("structurePopup"),
    ), name="carte-points", style={"zIndex": 450}))
    level_options = [{"label": LEVEL_LABELS[lv], "value": lv} for lv in mapping.levels(data)]
    quarters = store.quarters(data)
    return html.Div([
        dcc.Store(id=f"{PAGE}-query"),
        # the view shown (values, classes, selection): restyled in place by assets/carte.js
        dcc.Store(id=f"{PAGE}-view", data=result["hideout"]), dcc.Store(id=f"{PAGE}-repainted"),
        # a short announcement of the selection (the whole panel would be too long to be read out)
        html.P(announce(data, state["selected"]), id=f"{PAGE}-announce", className="visually-hidden", role="status"),
        html.H1("Carte"),
        html.P(f"Chaque indicateur du plan par territoire {where(region)}, au trimestre choisi, avec les structures "
               "de soins. La géométrie est chargée une fois ; changer d'indicateur ou de trimestre ne recolore "
               "que les territoires.", className="lead"),
        html.Div(demo_banner(result["has_demo"]), id=f"{PAGE}-banner"),
        html.Div([
            html.Fieldset([html.Legend("Niveau", className="carte-label"),
                           dcc.RadioItems(id=f"{PAGE}-level", options=level_options, value=level, inline=True,
                                          className="carte-radio")], className="carte-field carte-fieldset"),
            _field("Indicateur", dcc.Dropdown(id=f"{PAGE}-indicator", options=mapping.indicator_options(data, level),
                                              value=state["indicator"], clearable=False), f"{PAGE}-indicator"),
            html.Fieldset([html.Legend("Valeurs", className="carte-label"),
                           dcc.RadioItems(id=f"{PAGE}-basis", options=BASIS_OPTIONS, value=state["basis"] or mapping.RATE,
                                          inline=True, className="carte-radio")],
                          id=f"{PAGE}-basis-field", hidden=result["basis"] is None,
                          className="carte-field carte-fieldset"),
            _field("Trimestre", dcc.Dropdown(id=f"{PAGE}-quarter",
                                             options=[{"label": fmt.quarter(q), "value": q} for q in reversed(quarters)],
                                             value=quarter, clearable=False), f"{PAGE}-quarter"),
            _field("Territoire", dcc.Dropdown(id=f"{PAGE}-territory",
                                              options=mapping.territory_options(data, level, region,
                                                                        selected=state["selected"]),
                                              value=state["selected"],
                                              placeholder=territory_placeholder(data, level, region)),
                   f"{PAGE}-territory"),
        ], className="carte-controls"),
        html.P(not_offered_hint(data, level), id=f"{PAGE}-indicator-hint", className="hint carte-hint"),
        html.P(texts.default_quarter(queries.session_quarter(data, region or "FR")), id=f"{PAGE}-quarter-hint",
               className="hint carte-hint"),
        html.Div([
            html.Div([
                dl.Map(layers, id=f"{PAGE}-map", className="carte-map", **view, minZoom=5, maxZoom=14, zoomSnap=0.5,
                       attributionControl=bool(conf.tile_url)),
                html.Div(legend(result), id=f"{PAGE}-legend", className="carte-legend",
                         role="group", **{"aria-label": "Légende de la carte"}),
                html.Div(layers_legend(layer_info), id=f"{PAGE}-layers-legend", className="carte-legend",
                         role="group", **{"aria-label": "Légende des couches géographiques"}),
                html.P(caption(result, level, quarter, mapping.shape_count(data, level, region), region,
                               mapping.arrondissement_count(data, level, region)),
                       id=f"{PAGE}-caption", className="carte-caption"),
            ], className="carte-map-col"),
            html.Aside(side_panel(data, state["selected"], level, quarter), id=f"{PAGE}-panel",
                       className="carte-panel", **{"aria-label": "Territoire sélectionné"}),
        ], className="carte-layout"),
        html.Div(structures_control(data, quarter), className="carte-structures"),
        html.Div(layers_control(data, region, active), className="carte-structures carte-layers"),
        table_section(data, state["indicator"], level, quarter, region),
    ], className="carte-page")


dash.register_page(__name__, path="/carte", name="Carte", title="Carte – Accès aux soins", order=2, layout=layout)
