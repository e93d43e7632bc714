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

from dashboard import appraisal, fmt, periods, plan, queries, security, settings, store
from dashboard.saisie import appraisals, db, service

PAGE = "saisie"
ACTIONS = [{"label": label, "value": ident} for ident, label in service.ACTION_LABELS.items()]


def with_territory_names(frame):
    """The history's territories by name, their code beside: « Cantal (D15) » (the CSV export keeps the codes)."""
    try:
        data = store.get()
    except store.StoreUnavailable:
        return frame
    codes = [c if isinstance(c, str) else "" for c in frame["territory"]]     # none: a sign-in, a token…
    names = [queries.name_of(data, c) for c in codes]                          # the code itself when unknown
    return frame.assign(territory=[f"{n} ({c})" if n != c else c for c, n in zip(codes, names)])


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
        # beside each cell, what the pages publish for it today (as of the quarter), when and how it was measured
        {"field": "publiee", "headerName": "Valeur publiée", "minWidth": 120, "type": "rightAligned"},
        {"field": "mesuree", "headerName": "Mesurée au", "minWidth": 110},
        {"field": "donnee", "headerName": "Donnée publiée", "minWidth": 140, "wrapText": True, "autoHeight": True,
         "cellClassRules": {"saisie-demo": "params.data.demo"}},
        {"field": "valeur", "headerName": "Valeur du trimestre", "editable": True, "cellDataType": "number",
         "minWidth": 120, "cellClass": "saisie-editable"},
        {"field": "source", "headerName": "Source", "editable": True, "minWidth": 220, "cellClass": "saisie-editable"},
        {"field": "note", "headerName": "Note", "editable": True, "minWidth": 200, "cellClass": "saisie-editable"},
        {"field": "statut", "headerName": "Statut", "minWidth": 110},
        {"field": "message", "headerName": "Contrôle", "minWidth": 280, "wrapText": True, "autoHeight": True},
    ]
    return dag.AgGrid(id="saisie-grid", columnDefs=columns, rowData=[], columnSize="autoSize",
                      defaultColDef={"resizable": True, "sortable": False, "suppressMovable": True},
                      # every column in the DOM (a dozen rows): a screen reader and a search find each cell
                      dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True,
                                       "suppressColumnVirtualisation": True,
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


def appraisal_form(who: security.Account) -> html.Section:
    """The team's appraisal of a plan indicator for a quarter of the plan page and a territory of the scope:
    level and synthesis, pre-filled with the stored one (callbacks/saisie.py)."""
    region = settings.current().region
    try:
        data = store.get()
    except store.StoreUnavailable:
        return html.Section([html.H2("Appréciation du trimestre"), html.P("Aucune donnée publiée.")])
    state = plan.resolve_state(data, region)
    labels, names = data.indicators["short_label"].to_dict(), data.territories["name"].to_dict()
    codes = appraisals.territories(data, who, region)
    ids = appraisals.plan_indicators(data)

    def field(label: str, ident: str, control) -> html.Div:
        return html.Div([html.Label(label, htmlFor=ident), control], className="saisie-field")
    return html.Section([
        html.H2("Appréciation du trimestre"),
        html.P("L'appréciation de l'équipe s'affiche à côté du statut calculé sur la page du plan, dans sa fiche "
               "détaillée, ses exports et le dossier de séance (jamais sur l'instance publique)."),
        html.Div([
            field("Trimestre apprécié", "saisie-appraisal-quarter",
                  dcc.Dropdown(id="saisie-appraisal-quarter", value=state.quarter, clearable=False, searchable=False,
                               options=[{"label": fmt.quarter(q), "value": q} for q in reversed(state.quarters)])),
            field("Indicateur du plan", "saisie-appraisal-indicator",
                  dcc.Dropdown(id="saisie-appraisal-indicator", value=ids[0] if ids else None, clearable=False,
                               options=[{"label": labels.get(i, i), "value": i} for i in ids])),
            field("Territoire", "saisie-appraisal-territory",
                  dcc.Dropdown(id="saisie-appraisal-territory", value=codes[0] if codes else None, clearable=False,
                               options=[{"label": f"{names.get(c, c)} ({c})", "value": c} for c in codes])),
        ], className="saisie-filters"),
        html.P(id="saisie-appraisal-current", className="hint"),
        html.Fieldset([html.Legend("Niveau"),
                       dcc.RadioItems(id="saisie-appraisal-level", value=None, className="saisie-levels",
                                      options=[{"label": label, "value": key}
                                               for key, label in appraisal.LEVELS.items()])]),
        *[field(label, f"saisie-appraisal-{key}", dcc.Textarea(id=f"saisie-appraisal-{key}", value="", rows=3,
                                                              maxLength=appraisals.MAX_TEXT,
                                                              className="saisie-comment"))
          for key, label in (("happened", "Ce qui s'est passé"), ("risks", "Risques"),
                             ("next_actions", "Prochaines actions"))],
        dcc.Store(id="saisie-appraisal-revision", data=0),
        html.Button("Enregistrer l'appréciation", id="saisie-appraisal-save", n_clicks=0, className="btn btn-primary",
                    type="button"),
        html.P(id="saisie-appraisal-message", role="status", **{"aria-live": "polite"}, className="saisie-message"),
    ], className="saisie-appraisal", id="saisie-appraisal")


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
        html.Div(id="saisie-message", role="status", **{"aria-live": "polite"}, className="saisie-message"),
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
        appraisal_form(who),
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
                             html.Td(it.source), html.Td(it.note or "–"),
                             html.Td(", ".join(service.entrants(it)) or sub.author)]))
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


def sums_block(lines: list[str]) -> html.Div | None:
    """Whether the départements' counts add up to the region's (dashboard.saisie.preview.additive_gaps)."""
    if not lines:
        return None
    return html.Div([html.H4("Départements et région"), html.Ul([html.Li(line) for line in lines])],
                    className="saisie-sums")


def submission_card(data, sub: db.Submission, effects: list[dict], reviewer: str = "",
                    sums: list[str] | None = None) -> html.Article:
    """One submission to review; its author, and whoever typed one of its values, sees why they cannot decide
    on it (the server refuses it anyway)."""
    names = data.territories["name"].to_dict()
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in
                               ("Indicateur", "Territoire", "Avant", "Nouvelle valeur", "Source", "Note",
                                "Saisie par")]))
    return html.Article([
        html.H3(f"Soumission n° {sub.id} — {sub.author}, le {service.when(sub.submitted_at)} "
                f"({fmt.quarter(sub.quarter)})"),
        html.Table([head, html.Tbody(item_rows(data, sub))], className="data-table"),
        effect_block(effects, names),
        sums_block(sums or []),
        html.P(service.SELF_DECISION, className="fr-hint-text saisie-own") if reviewer in service.hands(sub) else html.Div([
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


def admin_panel(data, published: list[db.Submission], versions: list[dict], current: str | None) -> list:
    """Admins: withdraw a published value (a new version without it) or serve an earlier version again; each
    button asks for confirmation (dcc.ConfirmDialogProvider), the service checks the role and audits."""
    labels, names = data.indicators["short_label"].to_dict(), data.territories["name"].to_dict()
    items = [(sub, it) for sub in published for it in sub.items if not it.withdrawn]
    head = ("Valeur", "Territoire", "Trimestre", "Soumission", "Action")
    values = html.Table([
        html.Caption("Valeurs publiées"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
        html.Tbody([html.Tr([
            html.Th(f"{labels.get(it.indicator, it.indicator)} : {service.number_text(it.value)}", scope="row"),
            html.Td(f"{names.get(it.territory, it.territory)} ({it.territory})"), html.Td(fmt.quarter(it.quarter)),
            html.Td(f"n° {sub.id}, validée par {sub.decided_by or '?'}"),
            html.Td(dcc.ConfirmDialogProvider(
                html.Button(f"Retirer la valeur n° {it.id}", className="btn btn-secondary btn-small", type="button"),
                id={"type": "historique-withdraw", "index": it.id},
                message=f"Retirer {labels.get(it.indicator, it.indicator)} {it.territory} "
                        f"({service.number_text(it.value)}, {fmt.quarter(it.quarter)}) ? Une nouvelle version sera "
                        "publiée sans cette valeur."))]) for sub, it in items])], className="data-table")
    rows = [html.Tr([html.Th(v["version"], scope="row"), html.Td(v["built_at"]),
                     html.Td(", ".join(map(str, v["submissions"])) or "–"),
                     html.Td("version servie" if v["version"] == current else dcc.ConfirmDialogProvider(
                         html.Button(f"Republier {v['version']}", className="btn btn-secondary btn-small",
                                     type="button"),
                         id={"type": "historique-rollback", "index": v["version"]},
                         message=f"Servir de nouveau la version {v['version']} à la place de {current} ?"))])
            for v in versions]
    return [
        values if items else html.P("Aucune valeur publiée à retirer."),
        html.Table([html.Caption("Versions publiées conservées"),
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Version", "Construite le", "Soumissions",
                                                                          "Action")])),
                    html.Tbody(rows)], className="data-table"),
    ]


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
        *([html.H2("Retrait et retour à une version (administrateurs)"),
           html.P("Chaque action demande une confirmation et s'inscrit à l'historique."),
           html.P(id="historique-admin-message", role="status", **{"aria-live": "polite"}, className="saisie-message"),
           html.P(id="historique-admin-progress", role="status", **{"aria-live": "polite"}),
           dcc.Store(id="historique-admin-request"),
           dcc.Store(id="historique-admin-refresh", data=0),
           dcc.Loading(html.Div(id="historique-admin"), type="dot")] if who.at_least("admin") else []),
        html.H2("Actions"),
        html.Div(id="historique-table"),
    ], className="saisie-page")


def refused_rows(name: str, problems: list[tuple[int, str, str]]) -> list:
    """An upload refused row by row: how many rows, then each one's line, column and reason."""
    count = len(problems)
    return [html.P(f"Fichier {name} refusé, rien n'a été enregistré : "
                   + ("une ligne est à corriger." if count == 1 else f"{count} lignes sont à corriger.")),
            html.Ul([html.Li(f"Ligne {line}, colonne {column} : {message}") for line, column, message in problems],
                    className="saisie-refused-rows")]


dash.register_page("saisie", path="/saisie", name="Saisie", title="Saisie du trimestre – Accès aux soins",
                   layout=layout)
dash.register_page("saisie_historique", path="/saisie/historique", name="Historique de la saisie",
                   title="Historique de la saisie – Accès aux soins", layout=history_layout)
