"""The API's routes on the Flask server: ``/api/v1/…``, its OpenAPI document, its documentation page ``/api``
(Swagger UI from the npm package swagger-ui-dist, vendored: no CDN) and the public instance's rate limit (docs/api.md)."""
from __future__ import annotations

import json
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import Response, abort, request, send_from_directory
from spectree import SpecTree
from spectree import Response as SpecResponse

from . import api, store
from .settings import ROOT, Settings

# Swagger UI 5 (it reads OpenAPI 3.1), from the npm package swagger-ui-dist, vendored unchanged: no CDN
SWAGGER_UI = ROOT / "vendor" / "swagger-ui-dist"
DOCS_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")
STATIC = Path(__file__).resolve().parent / "api_static"
OWN_ASSETS = ("api-docs.js", "integrer.js", "integrer.css")


class _Documented(SpecResponse):
    """Answers documented in the OpenAPI document but not re-validated on each request: the views build them
    from the store's typed tables, and schemathesis checks them against the document in the suite (a failed
    runtime check would turn a good answer into a 500)."""

    def find_model(self, code):
        return None


def _refuse(_req, _resp, err, _instance, _adapter):
    """spectree's hook: a parameter that fails its model is a 400 problem, in French."""
    if err is not None:
        abort(api.bad_parameters(err))


def _answers(page_model) -> _Documented:
    return _Documented(HTTP_200=page_model, HTTP_400=api.Problem, HTTP_503=api.Problem)


def install(app, conf: Settings) -> SpecTree:
    server = app.server
    spec = SpecTree("flask", mode="strict", title="Accès aux soins – API des données ouvertes", version="1.0.0",
                    path="api/spectree", filename="openapi.json", page_templates={}, before=_refuse,
                    naming_strategy=lambda model: model.__name__, annotations=True,
                    validation_error_status=400, validation_error_model=api.Problem,
                    description="Indicateurs du plan d'accès aux soins, territoires, valeurs par trimestre et "
                                "taux d'avancement, en lecture seule (JSON ou CSV). Voir docs/api.md.")
    tags = ["données"]

    @spec.validate(query=api.IndicatorsQuery, resp=_answers(api.IndicatorsPage), tags=tags,
                   operation_id="indicateurs")
    @api._safe
    def indicateurs(query: api.IndicatorsQuery):
        """Le catalogue des indicateurs : libellés, unités, définitions, sources, cibles, fréquence."""
        data = store.get()
        payload, part = api.paged(data, api.indicator_rows(data), query)
        return api.respond(data, payload, part, "indicateurs")

    @spec.validate(query=api.TerritoriesQuery, resp=_answers(api.TerritoriesPage), tags=tags,
                   operation_id="territoires")
    @api._safe
    def territoires(query: api.TerritoriesQuery):
        """Les territoires : code, nom, niveau, territoires englobants, population."""
        data = store.get()
        rows = api.territory_rows(data, query.niveau.value if query.niveau else None, query.parent)
        payload, part = api.paged(data, rows, query)
        return api.respond(data, payload, part, "territoires")

    @spec.validate(query=api.ValuesQuery, resp=_answers(api.ValuesPage), tags=tags, operation_id="valeurs")
    @api._safe
    def valeurs(query: api.ValuesQuery):
        """Les valeurs par indicateur, territoire et trimestre, avec leur date, statut (observée, estimée, démo)
        et source."""
        data = store.get()
        payload, part = api.paged(data, api.value_rows(data, query), query)
        return api.respond(data, payload, part, "valeurs")

    @spec.validate(query=api.ProgressQuery, resp=_answers(api.Progress), tags=tags, operation_id="avancement")
    @api._safe
    def avancement(query: api.ProgressQuery):
        """Le taux d'avancement vers la cible, le statut, la valeur attendue et la projection d'un indicateur dans
        un territoire à un trimestre : les chiffres de la page « Suivi du plan »."""
        data = store.get()
        row = api.progress_row(data, conf, query)
        return api.respond(data, row, [row], "avancement")

    @spec.validate(query=api.VersionsQuery, resp=_answers(api.VersionsList), tags=tags, operation_id="versions")
    @api._safe
    def versions(query: api.VersionsQuery):
        """Les versions publiées des données, leur résumé et leurs révisions."""
        data = store.get()
        rows = api.version_rows(data)
        return api.respond(data, {"donnees": rows, "version": data.version}, rows, "versions")

    for name, view in (("indicateurs", indicateurs), ("territoires", territoires), ("valeurs", valeurs),
                       ("avancement", avancement), ("versions", versions)):
        server.add_url_rule(f"{api.PREFIX}/{name}", f"api_{name}", view, methods=["GET"])
        server.add_url_rule(f"{api.PREFIX}/{name}.csv", f"api_{name}_csv", view, methods=["GET"])

    spec.register(server)

    def openapi():
        try:
            data = store.get()
        except store.StoreUnavailable:
            data = None
        resp = Response(json.dumps(api.document(spec.spec, data, conf), ensure_ascii=False),
                        mimetype="application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.cache_control.max_age = api.MAX_AGE_INTERNAL
        return resp

    # spectree leaves out of its document the routes under its own path: it is not /api/v1, and its route
    # serves the completed document too (CSV, problems, real examples)
    server.view_functions[f"openapi_{spec.config.path}"] = openapi
    server.add_url_rule(f"{api.PREFIX}/openapi.json", "api_openapi", openapi, methods=["GET"])

    @server.route("/api")
    @server.route("/api/")
    def api_docs():
        """The documentation page: Swagger UI (vendor/swagger-ui-dist), started by a file (the CSP forbids inline
        scripts)."""
        body = ("<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>API – Accès aux soins</title>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                "<link rel='stylesheet' href='/api/ressources/swagger-ui.css'></head><body>"
                "<main><h1 style='font-family:sans-serif;margin:1rem'>API des données ouvertes – Accès aux soins</h1>"
                f"<p style='font-family:sans-serif;margin:1rem'>Document OpenAPI : <a href='{api.PREFIX}/openapi.json'>"
                f"{api.PREFIX}/openapi.json</a>. Réponses en JSON, ou en CSV avec l'en-tête « Accept: text/csv » "
                "ou le suffixe « .csv ».</p><div id='swagger-ui' data-spec='" + f"{api.PREFIX}/openapi.json'></div>"
                "</main><script src='/api/ressources/swagger-ui-bundle.js'></script>"
                "<script src='/api/ressources/api-docs.js'></script></body></html>")
        return Response(body, mimetype="text/html")

    @server.route("/api/ressources/<name>")
    def api_assets(name):
        if name in OWN_ASSETS:
            return send_from_directory(STATIC, name, max_age=86400)
        if name not in DOCS_ASSETS:
            return api.problem(404, "Introuvable", "Cette ressource n'existe pas.")
        return send_from_directory(SWAGGER_UI, name, max_age=86400, mimetype=mimetypes.guess_type(name)[0])

    @server.route("/api/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def api_not_found(_rest):
        """Any other path under /api: a problem, not Dash's page shell."""
        if request.method != "GET":
            return api.problem(405, "Méthode non autorisée", "L'API est en lecture seule : GET uniquement.")
        return api.problem(404, "Introuvable", f"Aucune ressource à l'adresse {request.path}.")

    @server.before_request
    def api_preflight():
        """CORS: GET from any origin, with the headers a script sends (token, conditional request)."""
        if request.method == "OPTIONS" and request.path.startswith("/api/"):
            resp = Response(status=204)
            resp.headers.update({"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET",
                                 "Access-Control-Allow-Headers": "Authorization, If-None-Match, Accept",
                                 "Access-Control-Max-Age": "86400"})
            return resp
        return None

    @server.route("/export/donnees.zip")
    def datapackage_zip():
        """The store as a Frictionless Data Package (dashboard/datapackage.py), a download of « Indicateurs »."""
        from . import datapackage

        try:
            data = store.get()
        except store.StoreUnavailable:
            return api.problem(503, "Données indisponibles", "Aucune version des données ne peut être lue.")
        resp = Response(_package(data), mimetype="application/zip")
        resp.headers["Content-Disposition"] = f'attachment; filename="{datapackage.filename(data)}"'
        return resp

    from . import embeds
    embeds.install(server, conf)         # /integrer/…, /oembed, charts as PNG/SVG
    _oembed_discovery(app)

    if conf.public:
        _rate_limit(server, conf)
    return spec


@lru_cache(maxsize=2)      # per Store (its version): the same file for everyone until a new version
def _package(data) -> bytes:
    from . import datapackage

    return datapackage.zipped(data)


def _oembed_discovery(app) -> None:
    """The plan page's head names its oEmbed endpoint (discovery, oEmbed 1.0 section 4): its chart embeds."""
    from . import embeds

    original = app.interpolate_index

    def interpolate_index(**kwargs):
        if request.path.rstrip("/") == "" and request.args.get("indicateur"):
            kwargs["metas"] = kwargs.get("metas", "") + embeds.oembed_link(request.url, "Suivi du plan")
        elif request.path.rstrip("/") == "":
            kwargs["metas"] = kwargs.get("metas", "") + embeds.oembed_link(request.host_url + "?indicateur="
                                                                           + _default_indicator(), "Suivi du plan")
        return original(**kwargs)

    app.interpolate_index = interpolate_index


def _default_indicator() -> str:
    from . import plan, settings

    try:
        return plan.resolve_state(store.get(), settings.current().region).indicator or ""
    except store.StoreUnavailable:
        return ""


def _rate_limit(server, conf: Settings) -> None:
    """Per client address on the public instance; counters in Redis when configured (several workers share
    them), else in the process."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    def breached(limit):
        resp = api.problem(429, "Trop de requêtes",
                           f"Limite de {limit.limit} par adresse dépassée : réessayez dans une minute.")
        resp.headers["Retry-After"] = "60"
        return resp

    Limiter(get_remote_address, app=server, storage_uri=conf.redis_url or "memory://",
            application_limits=[api.RATE_LIMIT],
            application_limits_exempt_when=lambda: not request.path.startswith("/api/"),
            on_breach=breached, headers_enabled=True, swallow_errors=True)
