"""« Suivi du plan » (``/``): the steering committee's page.

State in the URL: ``/?trimestre=2023Q4&indicateur=msp_count`` (every view is a permalink). The layout
renders the whole page for that state; the callbacks (callbacks/plan.py) re-render parts of it when the
quarter or the selected indicator changes, and push the new state into the URL. Every figure comes from
the store through ``dashboard.plan`` (cards, summary, tables) and ``dashboard.plan_figures`` (charts).
"""
from __future__ import annotations

import datetime as dt
import logging
import math

import dash
from dash import dcc, html

from dashboard import (alerts, appraisal, fmt, periods, plan, plan_figures, queries, settings, store, texts,
                       trajectory, units, validate)

from .components import (appraisal_block, data_version_line, definition, demo_banner, download_button, dsfr_table,
                         graph_config, memoize_render, revision_badge, status_badge)
from .integrer import embed_block
from .static_html import StaticHtml, freeze

PAGE = "plan"
log = logging.getLogger(__name__)
CARD = "plan-card"  # pattern-matching id type of the card selection buttons

# DSFR system badges: each has its own icon (✓, !, ✗ shapes) beside the word, so a status never rests on colour.
STATUS_CLASSES = {trajectory.ON_TRACK: "fr-badge--success", trajectory.WATCH: "fr-badge--warning",
                  trajectory.LATE: "fr-badge--error"}
NEUTRAL_BADGE = "fr-badge fr-badge--sm fr-badge--no-icon status-none"


# ---------------------------------------------------------------------------------------------
# context: what every part of the page needs


def context():
    """(store, settings, region) of this process."""
    conf = settings.current()
    return store.get(), conf, conf.region


@memoize_render(maxsize=256)
def state_for(data, region: str, quarter=None, indicator=None) -> plan.State:
    return plan.resolve_state(data, region, quarter, indicator)


def cards_for(data, conf, region: str, quarter: str) -> list[plan.Card]:
    return plan.store_cards(data, region, quarter, data.thresholds)


# ---------------------------------------------------------------------------------------------
# components


def status_pill(c: plan.Card) -> html.Span:
    if c.target_value is None:
        return html.Span("sans cible", className=NEUTRAL_BADGE, title="Le plan ne fixe pas de cible chiffrée")
    if c.target_met:
        return html.Span("cible atteinte", className="fr-badge fr-badge--sm fr-badge--success")
    if c.status is None:
        return html.Span("trop tôt pour juger", className=NEUTRAL_BADGE,
                         title="Aucune progression n'est encore attendue à cette date")
    if c.status == trajectory.STALE:     # an old value says nothing of the quarter: no colour
        return html.Span(trajectory.STALE, className="fr-badge fr-badge--sm fr-badge--new status-stale",
                         title=f"Dernière valeur {c.observed_text} : plus ancienne que ne le permet sa fréquence "
                               f"({c.frequency})")
    title = c.progress_text if c.progress is not None else "échéance dépassée"
    if c.assessed_on_demo:
        title += f" ({texts.ON_DEMO})"
    return html.Span([c.status] + ([" (démo)"] if c.assessed_on_demo else []),
                     className=f"fr-badge fr-badge--sm {STATUS_CLASSES[c.status]}", title=title)


def progress_bar(c: plan.Card) -> html.Div | None:
    if c.progress is None:
        return None
    label = f"Avancement vers la cible : {fmt.percent(c.progress)} du chemin depuis la valeur de référence"
    children = [html.Div(className="progress-done", style={"width": f"{c.progress:.1f}%"})]
    if c.baseline_text:
        label += f" ({c.baseline_text})"
    if c.expected_progress is not None and not c.target_met:
        label += f" ; {fmt.percent(c.expected_progress)} attendus en {c.observed_on}"
        children.append(html.Div(className="progress-expected", style={"left": f"{c.expected_progress:.1f}%"}))
    return html.Div([
        html.Div(children, className="progress", role="img", **{"aria-label": label}),
        html.P(label, className="progress-caption"),
    ])


def appraisal_line(c: plan.Card, ap: appraisal.Appraisal | None) -> html.P | None:
    """The team's appraisal beside (never instead of) the computed status, with a mark on a strong disagreement."""
    if ap is None:
        return None
    clash = appraisal.disagreement(ap.level, c.status)
    return html.P([html.Span(["Appréciation : ", html.Strong(ap.label)], className="appraisal",
                             title=f"{ap.synthesis} ({ap.byline})" if ap.synthesis else ap.byline),
                   html.Span(f" ▲ Désaccord : {clash}", className="appraisal-clash") if clash else None],
                  className="card-appraisal")


def alerts_section(items: list[alerts.Alert]) -> list:
    """The quarter's alerts as the pack says them (:func:`dashboard.alerts.lines`): under each kind, most severe
    first, one line per indicator listing its territories; the heading counts the territories concerned."""
    if not items:
        return [html.P("Aucune alerte pour ce trimestre.")]
    by_kind: dict[str, list[alerts.Line]] = {}
    for line in alerts.lines(items):
        by_kind.setdefault(line.kind, []).append(line)
    return [freeze([html.Div([html.H3(f"{alerts.KINDS[kind]} ({sum(len(x.territories) for x in group)})"),
                              html.Ul([html.Li([html.Strong(x.label), f" : {x.text}"]) for x in group])])
                    for kind, group in by_kind.items()])]


def card_component(c: plan.Card, selected: bool, meta: dict, ap: appraisal.Appraisal | None = None) -> html.Article:
    value_line = [
        html.Span(c.value_text, className="card-value" + (" is-demo" if c.provenance == "demo" else "")),
        " ",
        status_badge(c.provenance, c.value_source) if c.provenance else None,
        revision_badge(c.revision),
    ]
    if c.period:
        value_line += [html.Span(f" {c.dated_text}", className="card-period")]   # the badge says « observée »
    badges = [status_pill(c)]
    if c.stale and c.status != trajectory.STALE:
        badges.append(html.Span("donnée ancienne", className="fr-badge fr-badge--sm fr-badge--new status-stale",
                                title=f"Dernière valeur au {fmt.quarter(c.period) if c.period else '–'} : plus "
                                      f"ancienne que ne le permet sa fréquence ({c.frequency})"))
    text = freeze([                 # the card's text as one component (layouts/static_html.py): only the button reacts
        html.P(value_line, className="card-value-line"),
        html.P([f"Évolution : {c.change_text('previous')}", html.Br(),
                f"Sur un an : {c.change_text('year')}"], className="card-changes"),
        html.P(c.target_text, className="card-target"),
        progress_bar(c),
        html.P(c.annual_text, className="card-annual") if c.annual is not None else None,
        html.P(badges, className="card-badges"),
        appraisal_line(c, ap),
        html.P(c.projection_text, className="card-projection") if c.target_value is not None else None,
        html.P(c.basis_text, className="card-basis") if c.basis_text else None,
        definition(meta),
    ])
    return html.Article([
        html.H3(html.Button(c.short_label, id={"type": CARD, "index": c.indicator}, n_clicks=0, type="button",
                            className="card-select", title=f"Afficher la trajectoire : {c.label}",
                            **{"aria-pressed": "true" if selected else "false",
                               "aria-controls": "plan-detail"})),
        text,
    ], className="plan-card" + (" is-selected" if selected else ""), id=f"plan-card-{c.indicator}")


def cards_section(cards: list[plan.Card], selected: str | None, data, appraisals: dict | None = None) -> list:
    metas = {i: store.indicator(data, i) for i in (c.indicator for c in cards)}
    appraisals = appraisals or {}
    return [card_component(c, c.indicator == selected, metas[c.indicator], appraisals.get((c.indicator, c.territory)))
            for c in cards]


def appraisals_of(conf, quarter: str | None) -> tuple:
    """This quarter's appraisals as a hashable tuple (a memoised builder's argument); none on the public instance."""
    if conf.public or not quarter:
        return ()
    return tuple(sorted(appraisal.appraisals_for(quarter).items()))


def completeness_line(conf, data, region: str, quarter: str | None) -> str | None:
    """« Saisie du T2 2024 : 34 valeurs validées sur 48 »: the quarter's entries validated on /saisie (internal
    instance with a saisie database only). A database that cannot be read hides the line, never the page."""
    if conf.public or not quarter:
        return None
    from dashboard.saisie import db, service

    url = db.database_url(conf)
    try:
        if not db.exists(url):
            return None
        return service.completeness_line(quarter, service.quarter_completeness(url, data, region, quarter))
    except Exception:  # noqa: BLE001 — the plan's figures come from the store and must still be served
        log.exception("complétude de la saisie illisible")
        return None


def summary_section(lines: list[str]) -> list:
    return [html.Ul([html.Li(line) for line in lines])]


def _cell(value, kind: str = "text", unit: str = "nombre", decimals: int | None = None):
    if kind == "status":
        return html.Td(status_badge(value) if isinstance(value, str) else "–")
    if kind == "num":
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        return html.Td("–" if missing else fmt.value(value, unit, decimals), className="num")
    if kind == "signed":
        return html.Td(fmt.delta(value, unit), className="num")
    if kind == "share":
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        return html.Td("–" if missing else fmt.number(value * 100, 1) + "\u202f%", className="num")
    if kind == "quarter":
        return html.Td(fmt.quarter(value) if isinstance(value, str) else "–")
    return html.Td("" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value))


def data_table(df, columns: list[tuple[str, str, str]], caption: str, unit: str = "nombre", table_id: str | None = None,
               decimals: int | None = None) -> StaticHtml:
    """A plain accessible table: ``columns`` = [(column, header, kind)] with kind text|num|signed|share|status|quarter."""
    head = html.Thead(html.Tr([html.Th(h, scope="col", className="num" if k in ("num", "signed", "share") else None)
                               for _, h, k in columns]))
    body = html.Tbody([html.Tr([_cell(r.get(col), k, unit, decimals) for col, _, k in columns])
                       for r in df.to_dict("records")])
    return dsfr_table(html.Table([html.Caption(caption), head, body], id=table_id, className="data-table"),
                      "fr-table--sm fr-table--multiline")


def png_button(graph_id: str) -> html.Button:
    return html.Button("Télécharger l'image (PNG)", id=f"{graph_id}-png", n_clicks=0, type="button",
                       className="fr-btn fr-btn--tertiary fr-btn--sm no-print")


def detail_section(data, conf, region: str, quarter: str, indicator: str, appraisals: tuple = ()) -> list:
    """The selected indicator: key paces, trajectory chart and its table, breakdown by département.

    The « Intégrer » block is added per request, outside the memo: its iframe code carries the host the page is
    asked through, which the memo's key does not (one visitor's — or the warm-up's — host would be every
    visitor's)."""
    parts, embed = _detail_section(data, conf, region, quarter, indicator, appraisals)
    if embed is None:
        return parts
    at = EMBED_AFTER
    return [*parts[:at], embed_block(*embed), *parts[at:]]


EMBED_AFTER = 6   # in _detail_section's list: after the trajectory chart and its PNG button


@memoize_render()
def _detail_section(data, conf, region: str, quarter: str, indicator: str, appraisals: tuple = ()) -> tuple:
    """detail_section's parts but the « Intégrer » block, and that block's arguments (None: no indicator)."""
    d = plan.detail(data, region, quarter, indicator, data.thresholds) if indicator else None
    if d is None:
        return [html.P("Choisissez un indicateur.")], None
    meta, c, facts, table, since, b = d["meta"], d["card"], d["facts"], d["table"], d["since"], d["breakdown"]
    a, unit, label = c.assessment, c.unit, c.label
    fig = plan_figures.trajectory_figure(d["series"], a, label, unit, quarter,
                                         plan_figures.Credit.of(data, region, quarter, d["series"]["source"]))
    fig.update_layout(meta={"filename": f"plan-{indicator}-{quarter}"})
    traj_cols = [("trimestre_libelle", "Trimestre", "text"), ("valeur", "Valeur", "num"), ("statut", "Statut", "text"),
                 ("trajectoire_requise", "Trajectoire requise", "num"), ("projection", "Projection", "num"),
                 ("projection_basse", "Projection basse", "num"), ("projection_haute", "Projection haute", "num")]
    traj_cols = [col for col in traj_cols if col[0] in table.columns]
    has_demo = d["has_demo"]
    if d["has_breakdown"]:
        dec = fmt.decimals(unit)
        bfig = plan_figures.breakdown_figure(b, meta["short_label"], unit, since, quarter,
                                             plan_figures.Credit.of(data, region, quarter, [meta.get("source")]))
        bfig.update_layout(meta={"filename": f"plan-{indicator}-departements-{quarter}"})
        breakdown = [
            html.P("Contribution de chaque département à l'évolution régionale"
                   + (" (en points de pourcentage régionaux : évolution du département pondérée par sa part de la "
                      "population)" if units.of(unit).is_share else "") + ".", className="hint"),
            dcc.Graph(id="plan-breakdown", figure=bfig, config=graph_config(f"plan-{indicator}-departements-{quarter}"),
                      className="chart-fit-narrow"),
            png_button("plan-breakdown"),
            data_table(b, [("nom", "Département", "text"), ("valeur", f"Valeur au {fmt.quarter(quarter)}", "num"),
                           ("statut", "Statut", "status"), ("trimestre_valeur_libelle", "Mesurée au", "text"), ("valeur_depart", f"Valeur au {fmt.quarter(since)}", "num"),
                           ("evolution", "Évolution", "signed"), ("contribution", "Contribution", "signed"),
                           ("part_evolution_regionale", "Part de l'évolution régionale", "share")],
                       f"{meta['short_label']} par département, du {fmt.quarter(since)} au {fmt.quarter(quarter)}",
                       unit, "plan-breakdown-table", dec),
        ]
    else:
        breakdown = [html.P("Pas de valeur départementale pour cet indicateur à cette date.")]

    return [
        html.H2(f"Trajectoire : {label}", id="plan-detail-title", tabIndex="-1"),
        html.Dl([x for k, v in facts for x in (html.Dt(k), html.Dd(v))], className="facts detail-facts"),
        appraisal_detail(c, dict(appraisals).get((indicator, region))),
        html.P(["Lecture : points pleins = valeurs observées, cercles vides = valeurs estimées, losanges vides = "
                f"{texts.DEMO_VALUES} ; tirets gris = trajectoire requise depuis la valeur de "
                "référence ; pointillés = projection au rythme récent, la bande donnant son incertitude (±1,96 erreur "
                "type de la pente, ou ±25 % du rythme quand elle repose sur deux valeurs)."]
               + ([html.Strong(" Ce graphique contient des valeurs de démonstration.")] if has_demo else []),
               className="hint"),
        dcc.Graph(id="plan-trajectory", figure=fig, config=graph_config(f"plan-{indicator}-{quarter}"),
                  className="chart-fit-narrow"),
        png_button("plan-trajectory"),
        # EMBED_AFTER: detail_section puts the « Intégrer » block here
        html.Details([html.Summary("Tableau des données du graphique"),
                      data_table(table, traj_cols, f"{label} : valeurs, trajectoire requise et projection", unit,
                                 "plan-trajectory-table")], className="chart-table"),
        html.H3("Répartition par département"),
        *breakdown,
        definition(meta),
    ], ({"kind": "graphique", "indicator": indicator, "territory": region, "quarter": quarter, "level": None},
        f"{label} – {fmt.quarter(quarter)}", "plan-embed-code")


def appraisal_detail(c: plan.Card, ap: appraisal.Appraisal | None):
    """The appraisal in the detail: level, author, date, synthesis, and the disagreement mark."""
    if ap is None or c.target_value is None:
        return None
    return appraisal_block(ap, c.status)


@memoize_render()
def overview(data, conf, region: str, quarter: str, indicator: str | None, appraisals: tuple = ()) -> dict:
    """Cards, summary, alerts and banner of a quarter (shared by the layout and the quarter callback)."""
    cards = cards_for(data, conf, region, quarter) if quarter else []
    demo = any(c.provenance == "demo" for c in cards)
    found = alerts.alerts_for(data, region, quarter, data.thresholds, dict(appraisals)) if quarter else []
    return {
        "alerts": alerts_section(found),
        "cards": cards_section(cards, indicator, data, dict(appraisals)),
        "summary": summary_section(plan.summary(cards, quarter)) if quarter else [],
        "banner": demo_banner(demo),
        "heading": heading_text(data, region, quarter),
    }


def heading_text(data, region: str, quarter: str | None) -> str:
    name = (store.territory(data, region) or {}).get("name", region)
    return f"{name}, situation au {fmt.quarter(quarter)}" if quarter else f"{name} : aucune donnée"


def default_state(data, region: str) -> dict:
    """The state of ``/`` without query (for going back to it in the browser history)."""
    d = state_for(data, region)
    return {"quarter": d.quarter, "indicator": d.indicator}


def quarter_options(state: plan.State) -> list[dict]:
    return [{"label": periods.label(q), "value": q} for q in reversed(state.quarters)]


def layout(trimestre: str | None = None, indicateur: str | None = None, **_query) -> html.Div:
    data, conf, region = context()
    state = state_for(data, region, validate.quarter(None, trimestre), validate.indicator(data, indicateur))
    appraisals = appraisals_of(conf, state.quarter)
    over = overview(data, conf, region, state.quarter, state.indicator, appraisals)
    return html.Div([
        dcc.Store(id="plan-indicator", data=state.indicator),
        dcc.Store(id="plan-url-sync"),
        dcc.Store(id="plan-defaults", data=default_state(data, region)),
        html.H1("Suivi du plan"),
        html.P(over["heading"], id="plan-heading", className="lead"),
        html.P(queries.freshness_text(data, dt.date.today(), plan.plan_indicators(data.indicators)["id"], region),
               id="plan-freshness", className="data-version"),
        html.P(data_version_line(data), id="plan-data-version", className="data-version"),
        html.P(completeness_line(conf, data, region, state.quarter), id="plan-completeness",
               className="saisie-completeness"),
        html.Div(over["banner"], id="plan-banner"),
        html.Div([
            html.Div([
                html.Label("Trimestre", htmlFor="plan-quarter", id="plan-quarter-label"),
                dcc.Dropdown(id="plan-quarter", options=quarter_options(state), value=state.quarter, clearable=False,
                             searchable=False, className="quarter-select"),
                html.P(texts.default_quarter(queries.session_quarter(data, region)), id="plan-quarter-hint",
                       className="fr-hint-text"),
            ], className="control"),
            html.Div([
                download_button("plan-export-csv", "Tableau trimestriel (CSV)"),
                download_button("plan-export-xlsx", "Tableau trimestriel (XLSX)"),
                download_button("plan-pack", "Dossier de séance (PPTX et PDF)"),
                dcc.Download(id="plan-download-csv"),
                dcc.Download(id="plan-download-xlsx"),
                dcc.Download(id="plan-download-pack-pptx"),
                dcc.Download(id="plan-download-pack-pdf"),
                html.Span("Préparation du dossier de séance…", id="plan-pack-progress", className="pack-status",
                          hidden=True),
                html.Span(id="plan-pack-status", className="pack-status", role="status"),
            ], className="exports no-print", role="group", **{"aria-label": "Exports"}),
        ], className="plan-controls"),
        html.P("Chaque chiffre est la dernière valeur connue à la fin du trimestre choisi ; le statut compare la "
               "progression depuis la valeur de référence à la trajectoire linéaire vers la cible "
               f"({texts.threshold_rule(data.thresholds)}).",
               className="hint"),
        html.Section([html.H2("Ce trimestre"), html.Div(over["summary"], id="plan-summary")],
                     className="plan-summary"),
        html.Section([html.H2("Alertes"), html.Div(over["alerts"], id="plan-alerts")], className="plan-alerts",
                     id="plan-alerts-section"),
        html.Section([
            html.H2("Indicateurs du plan"),
            html.P("Choisissez un indicateur (son nom) pour afficher sa trajectoire et sa répartition par département.",
                   className="hint"),
            dcc.Loading(html.Div(over["cards"], id="plan-cards", className="card-grid plan-cards"), type="dot",
                        delay_show=400),
        ]),
        dcc.Loading(html.Section(detail_section(data, conf, region, state.quarter, state.indicator, appraisals),
                                 id="plan-detail",
                                 className="plan-detail"), type="dot", delay_show=400),
    ], className="plan-page")


dash.register_page(__name__, path="/", name="Suivi du plan", title="Suivi du plan – Accès aux soins", order=1,
                   layout=layout)
