"""Callbacks of « Saisie » and its history. Each one checks the caller's role (and each value's scope, in
``dashboard.saisie.service``) on the server: a crafted payload from a lecteur, from a contributor outside its
scope or without a session gets HTTP 403, and the attempt is written to the audit log."""
from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import Forbidden

from dashboard import exports, fmt, periods, security, settings, store
from dashboard.pipeline.errors import InputError
from dashboard.saisie import appraisals, db, preview, service
from layouts import saisie as page

PUBLISH_TOKEN_SECONDS = 600


def _url() -> str:
    return db.database_url(settings.current())


def _guard(role: str, what: str) -> security.Account:
    """The caller's account if it has ``role``; else the refusal is audited and the request answered 403."""
    who = security.current_account(settings.current())
    try:
        return service.require(_url(), who, role, what)
    except service.Refused:
        raise Forbidden(what) from None


def _quarter(value) -> str:
    if not periods.is_quarter(value):
        raise Forbidden("trimestre invalide")
    return value


def _error_text(exc: InputError) -> str:
    where = f"ligne {exc.row}, " if exc.row is not None else ""
    return f"{exc.file} : {where}colonne {exc.column} : {exc.message}" if exc.column else f"{exc.file} : {exc.message}"


def _rows(url, data, who, quarter, conf) -> list[dict]:
    rows = service.grid_rows(url, data, who, quarter, conf.region)
    errors, warnings = service.check_rows(data, [{**r, "quarter": quarter, "value": r["valeur"], "_row": r["row"]}
                                                 for r in rows])
    for r in rows:
        if r["row"] in errors:
            column, message = errors[r["row"]]
            r["message"] = f"À corriger ({column}) : {message}"
        elif r["row"] in warnings:
            r["message"] = f"À vérifier : {warnings[r['row']]}"
    return rows


@callback(Output("saisie-grid", "rowData"), Output("saisie-completeness", "children"),
          Input("saisie-quarter", "value"), Input("saisie-refresh", "data"))
def load(quarter, _refresh):
    who = _guard("contributeur", "afficher la saisie")
    quarter, conf, data = _quarter(quarter), settings.current(), store.get()
    url = _url()
    result = service.quarter_completeness(url, data, conf.region, quarter)
    if not who.at_least("valideur"):        # a contributor sees the completeness of its own scope
        result = service.completeness(service.expected(data, service.scope(data, who, conf.region)),
                                      service.validated_keys(url, quarter))
    names = data.territories["name"].to_dict()
    return _rows(url, data, who, quarter, conf), page.completeness_component(quarter, result, names)


def _changes(event) -> list[dict]:
    if isinstance(event, dict):
        event = [event]
    if not isinstance(event, list):
        raise PreventUpdate
    return [e for e in event if isinstance(e, dict) and isinstance(e.get("data"), dict)]


def _number(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    number = fmt.parse_number(value)      # the pipeline's reader: a figure copied from a page reads back
    if number is None:
        raise ValueError(value)
    return number


@callback(Output("saisie-grid", "rowData", allow_duplicate=True), Output("saisie-message", "children"),
          Input("saisie-grid", "cellValueChanged"), State("saisie-quarter", "value"), State("saisie-grid", "rowData"),
          prevent_initial_call=True)
def save(event, quarter, rows):
    who = _guard("contributeur", "enregistrer une valeur")
    quarter, data, url = _quarter(quarter), store.get(), _url()
    rows = rows if isinstance(rows, list) else []
    messages = []
    for change in _changes(event):
        row = change["data"]
        ident = str(row.get("id", ""))
        indicator, _, territory = ident.partition("|")
        try:
            value = _number(row.get("valeur"))
        except (TypeError, ValueError):
            messages.append(f"{indicator} {territory} : nombre attendu dans la colonne valeur")
            continue
        revision = row.get("revision")
        revision = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
        try:
            saved = service.save_draft(url, data, who, quarter, indicator, territory, value, row.get("source", ""),
                                       row.get("note", ""), revision, region=settings.current().region)
        except service.Refused:
            raise Forbidden("hors périmètre") from None
        except service.Conflict as exc:
            messages.append(f"Conflit : {exc}")
            continue
        except InputError as exc:
            messages.append(_error_text(exc))
            continue
        for r in rows:
            if isinstance(r, dict) and r.get("id") == ident:
                r.update(revision=saved.revision, statut="brouillon", valeur=value,
                         message=(f"À corriger ({saved.error[0]}) : {saved.error[1]}" if saved.error else
                                  f"À vérifier : {saved.warning}" if saved.warning else "Enregistré"))
        messages.append(f"Enregistré : {indicator} {territory}."
                        + (f" À corriger : {saved.error[1]}" if saved.error else ""))
    if not messages:
        raise PreventUpdate
    return rows, " ".join(messages)


@callback(Output("saisie-message", "children", allow_duplicate=True),
          Output("saisie-refresh", "data", allow_duplicate=True),
          Input("saisie-submit", "n_clicks"), State("saisie-quarter", "value"), State("saisie-refresh", "data"),
          prevent_initial_call=True)
def submit(n, quarter, refresh):
    who = _guard("contributeur", "soumettre des valeurs")
    if not n:
        raise PreventUpdate
    quarter, conf = _quarter(quarter), settings.current()
    try:
        ident = service.submit(_url(), store.get(), who, quarter, conf.region)
    except (service.Conflict, InputError) as exc:
        return (f"Conflit : {exc}" if isinstance(exc, service.Conflict) else f"Soumission impossible : {_error_text(exc)}"), no_update
    return f"Soumission n° {ident} envoyée à validation.", (refresh or 0) + 1


@callback(Output("saisie-template-download", "data"), Input("saisie-template", "n_clicks"),
          State("saisie-quarter", "value"), prevent_initial_call=True)
def template(n, quarter):
    who = _guard("contributeur", "télécharger le modèle")
    if not n:
        raise PreventUpdate
    quarter, conf = _quarter(quarter), settings.current()
    text = exports.to_csv(service.template_frame(store.get(), who, quarter, conf.region, _url()))
    return dcc.send_string(text, f"saisie_{quarter}.csv", type="text/csv")


@callback(Output("saisie-message", "children", allow_duplicate=True),
          Output("saisie-refresh", "data", allow_duplicate=True),
          Input("saisie-upload", "contents"), State("saisie-upload", "filename"), State("saisie-quarter", "value"),
          State("saisie-refresh", "data"), prevent_initial_call=True)
def upload(contents, filename, quarter, refresh):
    who = _guard("contributeur", "importer un fichier")
    quarter = _quarter(quarter)
    if not isinstance(contents, str) or "," not in contents:
        raise PreventUpdate
    name = Path(str(filename or "fichier")).name[:100]
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return "Fichier illisible.", no_update
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "depot"
        path.write_bytes(raw)
        try:
            n = service.import_file(_url(), store.get(), who, quarter, path, name, settings.current().region)
        except service.RowsRefused as exc:      # each row's problem shown (those outside the scope audited)
            return page.refused_rows(name, exc.problems), no_update
        except service.Refused:
            raise Forbidden("hors périmètre") from None
        except service.Conflict as exc:
            return f"Conflit : {exc}", no_update
        except InputError as exc:
            return f"Fichier refusé, rien n'a été enregistré : {_error_text(exc)}", no_update
    return f"{n} valeur(s) importée(s) de {name} en brouillon : vérifiez-les puis soumettez.", (refresh or 0) + 1


# ---- review ---------------------------------------------------------------------------------------

@callback(Output("saisie-review", "children"), Input("saisie-quarter", "value"), Input("saisie-refresh", "data"))
def review(quarter, _refresh):
    reviewer = _guard("valideur", "afficher les soumissions à valider")
    quarter, data, conf = _quarter(quarter), store.get(), settings.current()
    from dashboard import plan

    pending = service.submissions(_url(), status=db.SUBMITTED)
    if not pending:
        return html.P("Aucune soumission à valider.")
    thresholds = conf.thresholds
    cards = []
    for sub in pending:
        items = [{"indicator": i.indicator, "territory": i.territory, "quarter": i.quarter, "value": i.value,
                  "note": i.note} for i in sub.items]
        cards.append(page.submission_card(data, sub, preview.effect(data, items, thresholds), reviewer.name,
                                          preview.additive_gaps(data, items)))
    return cards


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.current().secret_key, salt="saisie-publication")


def _decision(index_type: str):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("type") != index_type or not isinstance(trigger.get("index"), int):
        raise PreventUpdate
    if not any(t.get("value") for t in ctx.triggered):
        raise PreventUpdate
    return trigger["index"]


@callback(Output("saisie-publish-result", "children"), Output("saisie-publish-request", "data"),
          Output("saisie-refresh", "data", allow_duplicate=True),
          Input({"type": "saisie-approve", "index": ALL}, "n_clicks"), State("saisie-refresh", "data"),
          prevent_initial_call=True)
def approve(_clicks, refresh):
    who = _guard("valideur", "approuver une soumission")
    ident = _decision("saisie-approve")
    try:
        service.decide(_url(), who, ident, approve=True, data=store.get(), region=settings.current().region)
    except service.SelfDecision as exc:
        return str(exc), no_update, no_update
    except service.Refused:
        raise Forbidden("hors périmètre") from None
    except (service.Conflict, InputError) as exc:
        return f"Rien n'a été changé : {exc}", no_update, (refresh or 0) + 1
    token = _serializer().dumps({"action": "approve", "user": who.name, "submission": ident})
    return f"Soumission n° {ident} approuvée : publication en cours…", token, (refresh or 0) + 1


@callback(Output("saisie-publish-result", "children", allow_duplicate=True),
          Output("saisie-refresh", "data", allow_duplicate=True),
          Input({"type": "saisie-reject", "index": ALL}, "n_clicks"),
          State({"type": "saisie-comment", "index": ALL}, "value"), State("saisie-refresh", "data"),
          prevent_initial_call=True)
def reject(_clicks, comments, refresh):
    who = _guard("valideur", "rejeter une soumission")
    ident = _decision("saisie-reject")
    comment = ""
    for state in ctx.states_list[0] if ctx.states_list else []:
        if isinstance(state, dict) and state.get("id", {}).get("index") == ident:
            comment = state.get("value") or ""
    try:
        service.decide(_url(), who, ident, approve=False, comment=comment if isinstance(comment, str) else "",
                       data=store.get(), region=settings.current().region)
    except service.SelfDecision as exc:
        return str(exc), no_update
    except service.Refused:
        raise Forbidden("hors périmètre") from None
    except (service.Conflict, InputError) as exc:
        return f"Rien n'a été changé : {getattr(exc, 'message', exc)}", no_update
    return f"Soumission n° {ident} rejetée et renvoyée à son auteur.", (refresh or 0) + 1


def claim_of(token, *actions: str) -> dict | None:
    """The signed request of a background job (who asked, what), or None when forged, expired or for another
    action. Pure but for the secret key."""
    try:
        claim = _serializer().loads(token, max_age=PUBLISH_TOKEN_SECONDS)
    except BadSignature:                     # SignatureExpired included
        return None
    if not isinstance(claim, dict) or claim.get("action", "approve") not in actions:
        return None
    return claim


def _claim(token, *actions: str) -> dict:
    """The signed request of a background job, checked again inside the job (it runs outside the request, with
    no session; :func:`_guard_publication_requests` refused a bad one with 403 before the job was created)."""
    if not isinstance(token, str):
        raise PreventUpdate
    claim = claim_of(token, *actions)
    if claim is None:
        raise Forbidden("jeton invalide")
    return claim


def _progress(set_progress):
    """The build's echo → « Publication : étape n — … » in the job's progress line."""
    steps = []

    def echo(line: str) -> None:
        if line.startswith("▶"):
            steps.append(line.strip("▶… "))
            set_progress(f"Publication : étape {len(steps)} — {steps[-1]}")
    return echo


@callback(Output("saisie-publish-result", "children", allow_duplicate=True),
          Input("saisie-publish-request", "data"), prevent_initial_call=True, background=True,
          progress=Output("saisie-publish-progress", "children"))
def publish_job(set_progress, token):
    """The publication in a background job. It runs outside the request (no session there): the approving
    valideur is carried by a token signed with the secret key, and its role re-checked."""
    claim = _claim(token, "approve")
    conf = settings.current()
    who = security.account_of(conf, claim.get("user"))
    try:
        version = service.publish(_url(), conf, who, echo=_progress(set_progress))
    except service.Refused:
        raise Forbidden("publication refusée") from None
    except Exception as exc:  # noqa: BLE001 — a failed build publishes nothing; say so
        return f"Échec de la publication, rien n'a été publié : {exc}"
    return f"Version publiée : {version} (soumission n° {claim.get('submission')})."


# ---- appraisal -------------------------------------------------------------------------------------

APPRAISAL_TEXTS = [key for key, _ in appraisals.PARTS]


def _appraisal_target(who, quarter, indicator, territory) -> tuple[str, str, str]:
    """A well-formed (quarter, indicator, territory) of the caller's scope; else 403 (audited when out of scope)."""
    data, region = store.get(), settings.current().region
    if not all(isinstance(v, str) for v in (quarter, indicator, territory)) or not periods.is_quarter(quarter) \
            or indicator not in appraisals.plan_indicators(data):
        raise Forbidden("appréciation : demande invalide")
    if territory not in appraisals.territories(data, who, region):
        service.refuse(_url(), who, f"appréciation pour {territory[:16]} hors du périmètre", territory, indicator,
                       quarter)
        raise Forbidden("hors périmètre")
    return quarter, indicator, territory


def _byline(found: dict | None) -> str:
    if found is None:
        return "Aucune appréciation enregistrée pour cet indicateur, ce territoire et ce trimestre."
    return f"Appréciation enregistrée par {found['author']} le {service.when(found['updated_at'])}."


@callback(Output("saisie-appraisal-level", "value"),
          *[Output(f"saisie-appraisal-{key}", "value") for key in APPRAISAL_TEXTS],
          Output("saisie-appraisal-revision", "data"), Output("saisie-appraisal-current", "children"),
          Input("saisie-appraisal-quarter", "value"), Input("saisie-appraisal-indicator", "value"),
          Input("saisie-appraisal-territory", "value"))
def appraisal_load(quarter, indicator, territory):
    """Pre-fill the form with the stored appraisal (and its revision, for conflict detection)."""
    who = _guard("contributeur", "afficher une appréciation")
    if quarter is None or indicator is None or territory is None:     # nothing to choose from (empty scope or store)
        raise PreventUpdate
    quarter, indicator, territory = _appraisal_target(who, quarter, indicator, territory)
    found = appraisals.get(_url(), quarter, indicator, territory)
    if found is None:
        return None, *([""] * len(APPRAISAL_TEXTS)), 0, _byline(None)
    return found["level"], *[found[key] for key in APPRAISAL_TEXTS], found["revision"], _byline(found)


@callback(Output("saisie-appraisal-message", "children"),
          Output("saisie-appraisal-revision", "data", allow_duplicate=True),
          Output("saisie-appraisal-current", "children", allow_duplicate=True),
          Input("saisie-appraisal-save", "n_clicks"), State("saisie-appraisal-quarter", "value"),
          State("saisie-appraisal-indicator", "value"), State("saisie-appraisal-territory", "value"),
          State("saisie-appraisal-level", "value"),
          *[State(f"saisie-appraisal-{key}", "value") for key in APPRAISAL_TEXTS],
          State("saisie-appraisal-revision", "data"), prevent_initial_call=True)
def appraisal_save(n, quarter, indicator, territory, level, *rest):
    who = _guard("contributeur", "enregistrer une appréciation")
    if not n:
        raise PreventUpdate
    *texts, revision = rest
    revision = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
    parts = {key: value if isinstance(value, str) else "" for key, value in zip(APPRAISAL_TEXTS, texts)}
    url, data = _url(), store.get()
    try:
        new = appraisals.save(url, data, who, settings.current().region, quarter, indicator, territory,
                              level if isinstance(level, str) else "", parts, revision)
    except service.Refused:
        raise Forbidden("hors périmètre") from None
    except service.Conflict as exc:
        return f"Conflit, rien n'a été enregistré : {exc}", no_update, no_update
    except InputError as exc:
        return f"Appréciation non enregistrée : {exc.message}", no_update, no_update
    found = appraisals.get(url, quarter, indicator, territory)
    name = data.indicators["short_label"].get(indicator, indicator)
    return f"Appréciation enregistrée : {name}, {territory}, {fmt.quarter(quarter)}.", new, _byline(found)


# ---- history ---------------------------------------------------------------------------------------

def _text(value, size: int) -> str | None:
    return value.strip()[:size] if isinstance(value, str) and value.strip() else None


def _audit_frame(quarter, user, territory, action):
    action = action if action in service.ACTION_LABELS else None
    return service.audit_rows(_url(), quarter=_text(quarter, 6), user=_text(user, 256),
                              territory=_text(territory, 16), action=action, limit=2000)


@callback(Output("historique-table", "children"), Input("historique-quarter", "value"),
          Input("historique-user", "value"), Input("historique-territory", "value"),
          Input("historique-action", "value"))
def history(quarter, user, territory, action):
    _guard("valideur", "consulter l'historique")
    frame = _audit_frame(quarter, user, territory, action)
    if frame.empty:
        return html.P("Aucune action ne correspond à ces filtres.")
    shown = page.with_territory_names(frame.head(500))
    head = html.Thead(html.Tr([html.Th(service.AUDIT_HEADERS[c].capitalize(), scope="col") for c in shown.columns]))
    body = html.Tbody([html.Tr([html.Td("" if v is None or v != v else str(v)) for v in row])
                       for row in shown.itertuples(index=False)])
    note = html.P(f"{len(frame)} action(s) ; les 500 plus récentes affichées, toutes dans l'export."
                  if len(frame) > 500 else f"{len(frame)} action(s).")
    return [note, html.Div(html.Table([head, body], className="data-table saisie-audit"), className="table-scroll")]


@callback(Output("historique-download", "data"), Input("historique-export", "n_clicks"),
          State("historique-quarter", "value"), State("historique-user", "value"),
          State("historique-territory", "value"), State("historique-action", "value"), prevent_initial_call=True)
def export(n, quarter, user, territory, action):
    _guard("valideur", "exporter l'historique")
    if not n:
        raise PreventUpdate
    return dcc.send_string(exports.to_csv(service.audit_table(_audit_frame(quarter, user, territory, action))),
                           "historique_saisie.csv", type="text/csv")


# ---- withdraw, rollback (admins) ----------------------------------------------------------------------

@callback(Output("historique-admin", "children"), Input("historique-admin-refresh", "data"))
def admin_panel(_refresh):
    _guard("admin", "afficher les retraits et versions")
    conf = settings.current()
    from dashboard.pipeline import publish as pub

    published = service.submissions(_url(), status=db.PUBLISHED)
    return page.admin_panel(store.get(), published, service.versions(conf), pub.current(conf.data_dir))


def _confirmed(kind: str):
    """The index of the confirmed button of ``kind`` (a ConfirmDialogProvider's submit_n_clicks)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("type") != kind or not any(t.get("value") for t in ctx.triggered):
        raise PreventUpdate
    return trigger.get("index")


def _admin_action(run, refused: str, unchanged: str, refresh, builds: bool = False):
    """(message, refresh) of an admin action ``run()`` → its success message: a refusal answers 403 (the service
    has audited it), a bad request changes nothing; a failed build (``builds``) publishes nothing."""
    try:
        return run(), (refresh or 0) + 1
    except service.Refused:
        raise Forbidden(refused) from None
    except InputError as exc:
        return f"{unchanged} : {exc.message}", no_update
    except service.Conflict as exc:
        return f"{unchanged} : {exc}", (refresh or 0) + 1
    except Exception as exc:  # noqa: BLE001 — a failed build publishes nothing; say so
        if not builds:
            raise
        return f"Échec de la publication, rien n'a été publié : {exc}", (refresh or 0) + 1


@callback(Output("historique-admin-message", "children"), Output("historique-admin-request", "data"),
          Input({"type": "historique-withdraw", "index": ALL}, "submit_n_clicks"), prevent_initial_call=True)
def withdraw(_clicks):
    """Withdraw a published value: the new version is built by the background job (as an approval's)."""
    who = _guard("admin", "retirer une valeur publiée")
    ident = _confirmed("historique-withdraw")
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise PreventUpdate
    return (f"Retrait de la valeur n° {ident} : publication en cours…",
            _serializer().dumps({"action": "withdraw", "user": who.name, "item": ident}))


@callback(Output("historique-admin-message", "children", allow_duplicate=True),
          Output("historique-admin-request", "data", allow_duplicate=True),
          Input({"type": "historique-rollback", "index": ALL}, "submit_n_clicks"), prevent_initial_call=True)
def rollback(_clicks):
    """Serve an earlier version again, through the same background job."""
    who = _guard("admin", "republier une version antérieure")
    version = _confirmed("historique-rollback")
    return (f"Retour à la version {version} en cours…",
            _serializer().dumps({"action": "rollback", "user": who.name, "version": version}))


@callback(Output("historique-admin-refresh", "data", allow_duplicate=True),
          Output("historique-admin-message", "children", allow_duplicate=True),
          Input("historique-admin-request", "data"), State("historique-admin-refresh", "data"),
          prevent_initial_call=True, background=True, progress=Output("historique-admin-progress", "children"))
def admin_job(set_progress, token, refresh):
    """A withdrawal (a build: ~10 s) or a rollback in a background job, with the approval's progress line; the
    admin is carried by the signed request and its role re-checked by the service (which audits)."""
    claim = _claim(token, "withdraw", "rollback")
    conf = settings.current()
    who, echo = security.account_of(conf, claim.get("user")), _progress(set_progress)
    if claim["action"] == "withdraw":
        ident = claim.get("item")

        def run():            # the service checked the new version holds no entry of that value any more
            version = service.withdraw(_url(), conf, who, ident, echo=echo, data=store.get())
            return f"Valeur n° {ident} retirée : version {version} publiée sans elle."
        message, refresh = _admin_action(run, "retrait refusé", "Rien n'a été retiré", refresh, builds=True)
    else:
        version = claim.get("version")

        def run():
            echo(f"▶ retour à la version {version}…")
            service.rollback(_url(), conf, who, version)
            return f"Version {version} servie de nouveau."
        message, refresh = _admin_action(run, "retour refusé", "Rien n'a été changé", refresh)
    return refresh, message


JOBS = {  # a background job's output → (role, what, its signed request's input, the actions it may carry)
    "saisie-publish-result.children@": ("valideur", "lancer une publication", "saisie-publish-request",
                                        ("approve",)),
    "..historique-admin-refresh.data@": ("admin", "lancer un retrait ou un retour à une version",
                                         "historique-admin-request", ("withdraw", "rollback")),
}


def _guard_publication_requests():
    """The background jobs run outside the request: refuse starting one (or polling it) unless the caller has
    its role (:data:`JOBS`) and its signed request is genuine, unexpired and the caller's own — 403 and audited,
    before Dash creates the job."""
    if request.path.startswith("/_dash-update-component") and request.method == "POST":
        body = request.get_json(silent=True) or {}
        output = body.get("output", "") if isinstance(body, dict) else ""
        for prefix, (role, what, source, actions) in JOBS.items():
            if isinstance(output, str) and output.startswith(prefix):
                who = _guard(role, what)
                inputs = body.get("inputs") if isinstance(body.get("inputs"), list) else []
                token = next((i.get("value") for i in inputs if isinstance(i, dict) and i.get("id") == source), None)
                if token is None:             # a poll of a started job carries the same inputs; none: no job
                    continue
                claim = claim_of(token, *actions) if isinstance(token, str) else None
                if claim is None or claim.get("user") != who.name:
                    service.refuse(_url(), who, f"{what} : jeton de tâche invalide ou expiré")
                    raise Forbidden("jeton invalide")
    return None


dash.get_app().server.before_request(_guard_publication_requests)


def _signed_in(name: str) -> None:
    service.record(_url(), name, "sign_in")


security.LOGIN_LISTENERS.append(_signed_in)
