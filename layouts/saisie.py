"""« Saisie du trimestre » (``/saisie``) and its history (``/saisie/historique``): internal instance only.

Contributors enter the quarter's values for their territories in a grid (saved as typed) or upload the
plan-tracking file, then submit; valideurs review each value (old → new, who, why, effect on the plan page)
and approve (→ background publication) or reject. Every callback checks role and scope on the server
(callbacks/saisie.py); what a page shows here is only a courtesy.
"""
from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import dcc, html

from dashboard import fmt, periods, security, settings, store
from dashboard.saisie import db, service

PAGE = "saisie"
ACTIONS = [{"label": label, "value": ident} for ident, label in service.ACTION_LABELS.items()]


def account() -> security.Account | None:
    return security.current_account(settings.current())


def quarter_options(today=None) -> list[dict]:
    due = service.default_quarter(today)
    qs = [periods.shift(due, -k) for k in range(-1, 8)]
    return [{"label": fmt.quarter(q) + (" (à saisir)" if q == due else ""), "value": q} for q in qs]


def refused(text: str) -> html.Div:
    return html.Div([html.H1("Saisie du trimestre"), html.P(text, className="lead"),
                     html.P(html.A("Se connecter", href="/connexion?suivant=/saisie"))])


def grid() -> dag.AgGrid:
    columns = [
        {"field": "indicateur", "headerName": "Indicateur", "pinned": "left", "minWidth": 220},
        {"field": "territoire", "headerName": "Territoire", "minWidth": 150},
        {"field": "derniere", "headerName": "Dernière valeur connue", "minWidth": 150},
        {"field": "valeur", "headerName": "Valeur du trimestre", "editable": True, "cellDataType": "number",
         "minWidth": 120, "cellClass": "saisie-editable"},
        {"field": "source", "headerName": "Source", "editable": True, "minWidth": 220, "cellClass": "saisie-editable"},
        {"field": "note", "headerName": "Note", "editable": True, "minWidth": 200, "cellClass": "saisie-editable"},
        {"field": "statut", "headerName": "Statut", "minWidth": 110},
        {"field": "message", "headerName": "Contrôle", "minWidth": 280, "wrapText": True, "autoHeight": True},
    ]
    return dag.AgGrid(id="saisie-grid", columnDefs=columns, rowData=[], columnSize="autoSize",
                      defaultColDef={"resizable": True, "sortable": False, "suppressMovable": True},
                      dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True,
                                       "domLayout": "autoHeight",
                                       "localeText": {"noRowsToShow": "Aucune valeur attendue"}},
                      style={"height": None, "width": "100%"}, className="ag-theme-quartz saisie-grid")


def completeness_component(quarter: str, result: dict, names: dict | None = None) -> html.Div:
    """« Saisie du T2 2024 : 34 valeurs validées sur 48 » and the share by territory (for /saisie and the plan
    page)."""
    names = names or {}
    rows = [html.Tr([html.Th(f"{names.get(code, code)} ({code})", scope="row"), html.Td(f"{done} / {total}")])
            for code, (done, total) in result["by_territory"].items()]
    return html.Div([
        html.P(service.completeness_line(quarter, result), className="saisie-completeness"),
        html.Details([html.Summary("Détail par territoire"),
                      html.Table([html.Thead(html.Tr([html.Th("Territoire", scope="col"),
                                                      html.Th("Validées / attendues", scope="col")])),
                                  html.Tbody(rows)], className="data-table")]) if rows else None,
    ])


def layout(**_query) -> html.Div:
    who = account()
    if who is None:
        return refused("Connexion requise : la saisie est réservée aux contributeurs et valideurs identifiés.")
    if not who.at_least("contributeur"):
        return refused(f"Votre rôle ({who.role}) ne permet pas la saisie : demandez le rôle contributeur.")
    scope_text = "toute la région" if who.at_least("valideur") else ", ".join(who.territories)
    due = service.default_quarter()
    review = who.at_least("valideur")
    return html.Div([
        html.H1("Saisie du trimestre"),
        html.P(f"Connecté : {who.name}, {who.role} ({scope_text}).", className="lead"),
        html.Div([html.Label("Trimestre saisi", htmlFor="saisie-quarter"),
                  dcc.Dropdown(id="saisie-quarter", options=quarter_options(), value=due, clearable=False,
                               searchable=False, style={"maxWidth": "260px"})], className="saisie-field"),
        html.Div(id="saisie-completeness"),
        # valideurs: what waits for a decision comes first
        *([html.H2("À valider"), html.Div(id="saisie-review"),
           dcc.Store(id="saisie-publish-request"),
           html.P(id="saisie-publish-progress", role="status", **{"aria-live": "polite"}),
           html.P(id="saisie-publish-result", role="status", **{"aria-live": "polite"})] if review else []),
        html.H2("Valeurs attendues"),
        html.P("Saisissez la valeur, sa source (document, date) et au besoin une note : chaque cellule est "
               "enregistrée dès qu'elle est validée (Entrée ou clic ailleurs) ; rien n'est perdu en rechargeant "
               "la page. Un écart important avec la dernière valeur demande une note."),
        grid(),
        html.P(id="saisie-message", role="status", **{"aria-live": "polite"}, className="saisie-message"),
        html.Div([
            html.Button("Soumettre à validation", id="saisie-submit", n_clicks=0, className="fr-btn",
                        type="button"),
            html.Button("Télécharger le modèle (CSV)", id="saisie-template", n_clicks=0,
                        className="fr-btn fr-btn--secondary", type="button"),
            dcc.Download(id="saisie-template-download"),
            # a <label> around the upload zone names its file input for screen readers
            html.Label(dcc.Upload(html.Span("Déposer un fichier CSV ou XLSX (format du tableau de suivi)"),
                                  id="saisie-upload", className="saisie-upload", max_size=2 * 1024 * 1024,
                                  accept=".csv,.xlsx")),
        ], className="saisie-actions"),
        dcc.Store(id="saisie-refresh", data=0),
        html.P(dcc.Link("Historique des saisies et des décisions", href="/saisie/historique")),
    ], className="saisie-page")


def item_rows(data, sub: db.Submission) -> list:
    labels = data.indicators["short_label"].to_dict()
    rows = []
    for it in sub.items:
        before = (f"{service.number_text(it.previous_value)} au {fmt.quarter(it.previous_period)}"
                  if it.previous_value is not None else "–")
        rows.append(html.Tr([html.Th(labels.get(it.indicator, it.indicator), scope="row"), html.Td(it.territory),
                             html.Td(before), html.Td(html.Strong(service.number_text(it.value))),
                             html.Td(it.source), html.Td(it.note or "–")]))
    return rows


def effect_block(effects: list[dict], names: dict) -> html.Div:
    parts = []
    for e in effects:
        where = f"{names.get(e['territory'], e['territory'])} ({e['territory']}), {fmt.quarter(e['quarter'])}"
        items = [html.Li(f"{c['label']} : valeur {c['avant'].get('valeur', '–')} → {c['après'].get('valeur', '–')} ; "
                         f"statut {c['avant'].get('statut', '–')} → {c['après'].get('statut', '–')} ; "
                         f"projection {c['avant'].get('projection', '–')} → {c['après'].get('projection', '–')} ; "
                         f"progression {c['avant'].get('progression', '–')} → {c['après'].get('progression', '–')}")
                 for c in e["cards"]]
        items += [html.Li(f"{ident} : hors des indicateurs de la page du plan (visible sur la fiche territoire)")
                  for ident in e["off_plan"]]
        items += [html.Li(["« Ce trimestre » deviendrait : ", html.Q(s)]) for s in e["summary_added"]]
        parts.append(html.Div([html.H4(f"Effet sur la page du plan — {where}"), html.Ul(items)]))
    return html.Div(parts, className="saisie-effect")


def submission_card(data, sub: db.Submission, effects: list[dict]) -> html.Article:
    names = data.territories["name"].to_dict()
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in
                               ("Indicateur", "Territoire", "Avant", "Nouvelle valeur", "Source", "Note")]))
    return html.Article([
        html.H3(f"Soumission n° {sub.id} — {sub.author}, le {service.when(sub.submitted_at)} "
                f"({fmt.quarter(sub.quarter)})"),
        html.Table([head, html.Tbody(item_rows(data, sub))], className="data-table"),
        effect_block(effects, names),
        html.Div([
            html.Button("Approuver et publier", id={"type": "saisie-approve", "index": sub.id}, n_clicks=0,
                        className="fr-btn", type="button"),
            # pattern-matching ids are JSON in the DOM: the label wraps its field instead of naming its id
            html.Label(["Commentaire (obligatoire pour rejeter) ",
                        dcc.Textarea(id={"type": "saisie-comment", "index": sub.id}, value="", rows=2,
                                     className="saisie-comment")]),
            html.Button("Rejeter", id={"type": "saisie-reject", "index": sub.id}, n_clicks=0,
                        className="fr-btn fr-btn--secondary", type="button"),
        ], className="saisie-decision"),
    ], className="saisie-submission")


def history_layout(**_query) -> html.Div:
    who = account()
    if who is None or not who.at_least("valideur"):
        return html.Div([html.H1("Historique de la saisie"),
                         html.P("Accès réservé aux valideurs et administrateurs.", className="lead")])
    return html.Div([
        html.H1("Historique de la saisie"),
        html.P("Chaque action (connexion, brouillon, soumission, décision, publication, retrait, tentative refusée) "
               "avec son auteur, sa date, le territoire, l'indicateur, le trimestre, la valeur avant et après.",
               className="lead"),
        html.Div([
            html.Div([html.Label("Trimestre", htmlFor="historique-quarter"),
                      dcc.Input(id="historique-quarter", placeholder="2024Q2", debounce=True, maxLength=6)]),
            html.Div([html.Label("Utilisateur", htmlFor="historique-user"),
                      dcc.Input(id="historique-user", debounce=True, maxLength=64)]),
            html.Div([html.Label("Territoire", htmlFor="historique-territory"),
                      dcc.Input(id="historique-territory", placeholder="D15", debounce=True, maxLength=16)]),
            html.Div([html.Label("Action", htmlFor="historique-action"),
                      dcc.Dropdown(id="historique-action", options=ACTIONS, placeholder="toutes",
                                   style={"minWidth": "220px"})]),
        ], className="saisie-filters"),
        html.Button("Exporter en CSV", id="historique-export", n_clicks=0, className="fr-btn fr-btn--secondary",
                    type="button"),
        dcc.Download(id="historique-download"),
        html.Div(id="historique-table"),
    ], className="saisie-page")


dash.register_page("saisie", path="/saisie", name="Saisie", title="Saisie du trimestre – Accès aux soins",
                   layout=layout)
dash.register_page("saisie_historique", path="/saisie/historique", name="Historique de la saisie",
                   title="Historique de la saisie – Accès aux soins", layout=history_layout)
