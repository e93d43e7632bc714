"""The read-only open-data API under ``/api/v1/`` (see docs/api.md).

* Rows are built by pure functions over a Store (``*_rows``); the store is the one the app serves, so on the public
  instance it is already filtered where it is loaded (public indicators, observed values: ``store._load``, the
  kiosk's boundary) and nothing here filters a second time.
* The taux d'avancement is the plan page's: :func:`dashboard.plan.store_cards` (never recomputed here).
* Query parameters and answers are pydantic models; spectree validates the parameters and writes the OpenAPI 3.1
  document from the same models (``/api/v1/openapi.json``), with examples taken from the store served.
* HTTP: JSON, or CSV through :func:`dashboard.exports.to_csv` (``Accept: text/csv`` or a ``.csv`` suffix); ETag from
  the store version and the query, 304 on ``If-None-Match``, ``Cache-Control``, ``Last-Modified``, CORS for GET;
  every error is ``application/problem+json`` (RFC 9457): 400 for any bad parameter, never a 500.
"""
from __future__ import annotations

import copy
import datetime as dt
import email.utils
import hashlib
import json
import logging
import re
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Response, request
from pydantic import BaseModel, ConfigDict, Field

from . import exports, fmt, periods, plan, queries, store
from .schema import STATUS_LABELS
from .settings import Settings
from .territory import LEVEL_LABELS, LEVELS

PREFIX = "/api/v1"
log = logging.getLogger(__name__)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000                       # bounded pages: a client pages through, the server never builds more
RATE_LIMIT = "300 per minute"              # per client address, public instance only (Flask-Limiter)
PROBLEM = "application/problem+json"
CSV = "text/csv"
MAX_AGE_PUBLIC, MAX_AGE_INTERNAL = 300, 60  # seconds: revalidated by ETag afterwards
# the date of an observation when the store has no ``date`` column: the readers write it in the note
_SITUATION = re.compile(r"situation au (\d{4}-\d{2}-\d{2})")

QUARTER = r"^\d{4}Q[1-4]$"
CODE = r"^[A-Za-z0-9]{1,16}$"
IDENT = r"^[a-z0-9_]{1,64}$"


# ---- models: parameters -------------------------------------------------------------------------

Level = Enum("Level", {lv: lv for lv in LEVELS}, type=str)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")   # an unknown parameter is a mistake worth a 400


class PageQuery(_Query):
    page: int = Field(1, ge=1, le=1_000_000, description="numéro de page, à partir de 1")
    taille: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="lignes par page")


class IndicatorsQuery(PageQuery):
    pass


class TerritoriesQuery(PageQuery):
    niveau: Level | None = Field(None, description="niveau : pays, region, departement, epci, commune")
    parent: str | None = Field(None, pattern=CODE, description="territoire englobant (R84, D15, E…)")


class ValuesQuery(PageQuery):
    indicateur: str | None = Field(None, pattern=IDENT, description="identifiant d'indicateur (msp_count)")
    territoire: str | None = Field(None, pattern=CODE, description="code de territoire (FR, R84, D15, E…, C…)")
    niveau: Level | None = None
    parent: str | None = Field(None, pattern=CODE)
    depuis: str | None = Field(None, pattern=QUARTER, description="premier trimestre (2023Q1)")
    jusqua: str | None = Field(None, pattern=QUARTER, description="dernier trimestre (2023Q4)")


class ProgressQuery(_Query):
    indicateur: str = Field(..., pattern=IDENT)
    territoire: str | None = Field(None, pattern=CODE, description="défaut : la région suivie")
    trimestre: str | None = Field(None, pattern=QUARTER, description="défaut : le dernier trimestre du plan")


class VersionsQuery(_Query):
    pass


# ---- models: answers ----------------------------------------------------------------------------

class Problem(BaseModel):
    """An error (RFC 9457)."""
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    erreurs: list[dict[str, str]] | None = None


class Indicator(BaseModel):
    id: str
    libelle: str
    libelle_court: str
    unite: str
    polarite: str
    niveaux: list[str]
    frequence: str
    definition: str
    source: str
    public: bool
    plan: bool
    cible: float | None
    cible_trimestre: str | None
    cible_source: str | None


class Territory(BaseModel):
    code: str
    nom: str
    niveau: str
    region: str | None
    departement: str | None
    epci: str | None
    population: float | None


class Value(BaseModel):
    indicateur: str
    territoire: str
    trimestre: str
    trimestre_libelle: str
    date: str | None = Field(description="date de la situation mesurée (AAAA-MM-JJ), quand la source la donne")
    valeur: float | None
    unite: str
    statut: str = Field(description="observed, estimated ou demo")
    statut_libelle: str
    source: str
    note: str
    millesime: str | None = Field(description="publication de la source d'où vient la valeur, quand elle est connue")
    revisee: bool | None = Field(description="la valeur a été révisée depuis une version précédente")


class Progress(BaseModel):
    indicateur: str
    territoire: str
    trimestre: str
    valeur: float | None
    valeur_trimestre: str | None
    statut_valeur: str | None
    source: str
    valeur_reference: float | None
    valeur_reference_trimestre: str | None
    cible: float | None
    cible_trimestre: str | None
    taux_avancement: float | None = Field(description="en %, celui de la page « Suivi du plan »")
    taux_attendu: float | None
    valeur_attendue: float | None
    statut: str | None = Field(description="en bonne voie, à surveiller, en retard")
    projection_trimestre: str | None = Field(description="trimestre où la cible serait atteinte au rythme récent")
    texte: str


class Version(BaseModel):
    version: str
    courante: bool
    construite_le: str
    region: str | None
    premier_trimestre: str | None
    dernier_trimestre: str | None
    tables: dict[str, int]
    revisions: Any = None


def _page_model(name: str, item: type[BaseModel]) -> type[BaseModel]:
    return type(name, (BaseModel,), {"__annotations__": {"donnees": list[item], "page": int, "taille": int,
                                                         "total": int, "suivante": str | None,
                                                         "precedente": str | None, "version": str}})


IndicatorsPage = _page_model("IndicatorsPage", Indicator)
TerritoriesPage = _page_model("TerritoriesPage", Territory)
ValuesPage = _page_model("ValuesPage", Value)
VersionsList = type("VersionsList", (BaseModel,), {"__annotations__": {"donnees": list[Version], "version": str}})


# ---- rows: pure functions over a Store ----------------------------------------------------------

def _clean(v):
    """numpy/pandas scalars → JSON values (NaN → None)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        return None if isinstance(v, float) and v != v else v
    try:
        return None if pd.isna(v) else v
    except (TypeError, ValueError):
        return v


def indicator_rows(data: store.Store) -> list[dict]:
    """The catalogue in catalogue order, with the regional target when the plan sets one."""
    region = queries.region_of(data)
    rows = []
    for ident in data.indicators.index:
        meta = store.indicator(data, ident)
        target = queries.target_of(data, ident, region) if region else None
        rows.append({"id": ident, "libelle": meta["label"], "libelle_court": meta.get("short_label") or meta["label"],
                     "unite": meta["unit"], "polarite": meta.get("polarity") or "none", "niveaux": meta["levels"],
                     "frequence": meta.get("frequency") or "", "definition": meta.get("definition") or "",
                     "source": meta.get("source") or "", "public": bool(meta["public"]),
                     "plan": bool(meta.get("plan")),
                     "cible": target["value"] if target else None, "cible_trimestre": target["period"] if target else None,
                     "cible_source": target["source"] if target else None})
    return rows


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def _known_territory(data: store.Store, code: str | None, parameter: str) -> str | None:
    if code is None:
        return None
    code = code.upper()
    if code not in data.territories.index:
        raise BadParameter(parameter, f"territoire inconnu : {code}")
    return code


def _inside(data: store.Store, parent: str) -> pd.Series:
    """Territories inside ``parent`` (all of them for FR)."""
    t = data.territories
    if parent == "FR":
        return t["code"] != "FR"
    mask = pd.Series(False, index=t.index)
    for column in ("region", "departement", "epci"):
        mask |= t[column] == parent
    return mask


def territory_rows(data: store.Store, niveau: str | None = None, parent: str | None = None) -> list[dict]:
    t = data.territories
    mask = pd.Series(True, index=t.index)
    if niveau:
        mask &= t["level"] == niveau
    if parent:
        mask &= _inside(data, _known_territory(data, parent, "parent"))
    order = {lv: i for i, lv in enumerate(LEVELS)}
    sel = t[mask].reset_index(drop=True)
    sel = sel.assign(_o=sel["level"].map(order)).sort_values(["_o", "code"], kind="stable")
    return [{"code": r["code"], "nom": r["name"], "niveau": r["level"], "region": _clean(r["region"]),
             "departement": _clean(r["departement"]), "epci": _clean(r["epci"]),
             "population": _clean(r["population"])} for r in sel.to_dict("records")]


def value_rows(data: store.Store, q: ValuesQuery) -> list[dict]:
    """Observations matching the filters, ordered by indicator (catalogue order), territory, quarter."""
    obs = data.observations
    mask = pd.Series(True, index=obs.index)
    if q.indicateur is not None:
        if q.indicateur not in data.indicators.index:
            raise BadParameter("indicateur", "indicateur inconnu (la liste : /api/v1/indicateurs)")
        mask &= obs["indicator"] == q.indicateur
    territory = _known_territory(data, q.territoire, "territoire")
    if territory:
        mask &= obs["territory"] == territory
    if q.niveau or q.parent:
        t = data.territories
        keep = pd.Series(True, index=t.index)
        if q.niveau:
            keep &= t["level"] == q.niveau.value
        if q.parent:
            keep &= _inside(data, _known_territory(data, q.parent, "parent"))
        mask &= obs["territory"].isin(t.index[keep])
    if q.depuis and q.jusqua and q.depuis > q.jusqua:
        raise BadParameter("depuis", f"depuis ({q.depuis}) est après jusqua ({q.jusqua})")
    if q.depuis:
        mask &= obs["period"] >= q.depuis
    if q.jusqua:
        mask &= obs["period"] <= q.jusqua
    sel = obs[mask]
    order = data.indicators["order"]
    sel = sel.assign(_o=sel["indicator"].map(order)).sort_values(["_o", "indicator", "territory", "period"],
                                                                 kind="stable")
    units = data.indicators["unit"].to_dict()
    rows = []
    for r in sel.to_dict("records"):
        unit = units.get(r["indicator"], "")
        found = _SITUATION.search(r["note"] or "")
        rows.append({"indicateur": r["indicator"], "territoire": r["territory"], "trimestre": r["period"],
                     "trimestre_libelle": periods.label(r["period"]),
                     "date": _clean(r.get("date")) or (found.group(1) if found else None),
                     "valeur": fmt.rounded(_clean(r["value"]), unit), "unite": unit, "statut": r["status"],
                     "statut_libelle": STATUS_LABELS.get(r["status"], r["status"]), "source": r["source"] or "",
                     "note": r["note"] or "", "millesime": _clean(r.get("release")),
                     "revisee": None if _clean(r.get("revised")) is None else bool(r["revised"])})
    return rows


def progress_row(data: store.Store, conf: Settings, q: ProgressQuery) -> dict:
    """The plan page's figures of one indicator in one territory as of a quarter: its card
    (:func:`dashboard.plan.store_cards`, the very function the page calls)."""
    if q.indicateur not in data.indicators.index:
        raise BadParameter("indicateur", "indicateur inconnu (la liste : /api/v1/indicateurs)")
    territory = _known_territory(data, q.territoire, "territoire") or conf.region
    quarter = q.trimestre or plan.resolve_state(data, territory).quarter or queries.latest_quarter(data)
    if quarter is None:
        raise BadParameter("trimestre", "aucune valeur publiée")
    cards = plan.store_cards(data, territory, quarter, data.thresholds)
    c = next((c for c in cards if c.indicator == q.indicateur), None)
    if c is None:        # not a headline indicator of the plan: its card all the same, by the page's function
        c = plan.card(data, store.indicator(data, q.indicateur), territory, quarter, data.thresholds)
    a = c.assessment
    return {"indicateur": c.indicator, "territoire": territory, "trimestre": quarter, "valeur": c.value,
            "valeur_trimestre": c.period, "statut_valeur": c.provenance, "source": c.value_source,
            "valeur_reference": a.baseline_value, "valeur_reference_trimestre": a.baseline_period,
            "cible": c.target_value, "cible_trimestre": c.target_period,
            "taux_avancement": c.progress, "taux_attendu": c.expected_progress,
            "valeur_attendue": a.expected_value_at_latest, "statut": c.status,
            "projection_trimestre": a.projected_period, "texte": c.progress_text}


def version_rows(data: store.Store) -> list[dict]:
    """The versions under the store's folder (the public instance: the one served, with its filtered manifest)."""
    def row(manifest: dict, current: bool) -> dict:
        span = manifest.get("periods") or {}
        return {"version": manifest.get("version", ""), "courante": current,
                "construite_le": manifest.get("built_at", ""), "region": manifest.get("region"),
                "premier_trimestre": span.get("first"), "dernier_trimestre": span.get("last"),
                "tables": {k: int(v) for k, v in (manifest.get("tables") or {}).items()},
                "revisions": None if data.public else manifest.get("revisions")}

    if data.public:
        return [row(data.manifest, True)]
    rows = []
    for folder in sorted(Path(data.root).iterdir(), reverse=True):
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue                     # not a version (CURRENT, locks, a half-written build)
        rows.append(row(manifest, folder.name == data.version))
    return rows


def csv_of(rows: list[dict]) -> str:
    """Rows as CSV through the project's one writer (lists joined with « | »)."""
    frame = pd.DataFrame([{k: "|".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows])
    return exports.to_csv(frame)


# ---- HTTP ---------------------------------------------------------------------------------------

FRENCH_ERRORS = {
    "extra_forbidden": "paramètre inconnu",
    "missing": "paramètre obligatoire absent",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "greater_than_equal": "valeur trop petite (au moins {ge})",
    "less_than_equal": "valeur trop grande (au plus {le})",
    "string_pattern_mismatch": "format attendu : {pattern}",
    "enum": "valeur attendue parmi : {expected}",
    "string_type": "une seule valeur attendue",
}


def problem(status: int, title: str, detail: str, errors: list[dict] | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.path}
    if errors:
        body["erreurs"] = errors
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def bad_parameters(exc) -> Response:
    """A pydantic validation error as a 400 problem, in French, one entry per parameter."""
    errors = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ()) if not isinstance(p, int)) or "requête"
        message = FRENCH_ERRORS.get(e.get("type"), "valeur invalide")
        try:
            message = message.format(**(e.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
        errors.append({"parametre": where, "message": message})
    detail = " ; ".join(f"{e['parametre']} : {e['message']}" for e in errors)
    return problem(400, "Paramètre invalide", detail, errors)


def wants_csv() -> bool:
    if request.path.endswith(".csv"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", CSV])
    return best == CSV and request.accept_mimetypes[CSV] > request.accept_mimetypes["application/json"]


def _http_date(iso: str) -> str | None:
    try:
        when = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return email.utils.format_datetime(when.astimezone(dt.timezone.utc), usegmt=True)


def etag_of(data: store.Store, csv: bool) -> str:
    """The store version, the instance and the query: the same answer keeps its tag until a new version."""
    query = sorted((k, v) for k, vs in request.args.lists() for v in vs)
    key = json.dumps([data.version, data.public, request.path.removesuffix(".csv"), query, csv])
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def respond(data: store.Store, payload: dict, rows: list[dict], name: str) -> Response:
    csv = wants_csv()
    tag = etag_of(data, csv)
    if csv:
        resp = Response(csv_of(rows), mimetype=CSV)
        resp.headers["Content-Disposition"] = f'inline; filename="{name}-{data.version}.csv"'
    else:
        resp = Response(json.dumps(payload, ensure_ascii=False, allow_nan=False), mimetype="application/json")
    resp.headers["ETag"] = tag
    if request.if_none_match and (tag.strip('"') in request.if_none_match or "*" in request.if_none_match):
        resp = Response(status=304)
        resp.headers["ETag"] = tag
    cache = resp.cache_control
    if data.public:
        cache.public, cache.max_age = True, MAX_AGE_PUBLIC
    else:
        cache.private, cache.max_age = True, MAX_AGE_INTERNAL
    modified = _http_date(data.built_at)
    if modified:
        resp.headers["Last-Modified"] = modified
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link"
    resp.vary.add("Accept")
    return resp


def paged(data: store.Store, rows: list[dict], q: PageQuery) -> tuple[dict, list[dict]]:
    start = (q.page - 1) * q.taille
    part = rows[start:start + q.taille]

    def link(page: int) -> str:
        args = {k: v for k, v in request.args.items() if k != "page"}
        args["page"] = str(page)
        return request.path + "?" + "&".join(f"{k}={_quote(v)}" for k, v in sorted(args.items()))

    more = start + q.taille < len(rows)
    return ({"donnees": part, "page": q.page, "taille": q.taille, "total": len(rows),
             "suivante": link(q.page + 1) if more else None,
             "precedente": link(q.page - 1) if q.page > 1 and start - q.taille < len(rows) else None,
             "version": data.version}, part)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _safe(view):
    """No store → 503; a parameter the data refuses → 400; both as problems."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except store.StoreUnavailable:
            resp = problem(503, "Données indisponibles", "Aucune version des données ne peut être lue pour le moment.")
            resp.headers["Retry-After"] = "60"
            return resp
        except BadParameter as exc:
            return problem(400, "Paramètre invalide", f"{exc.parameter} : {exc}",
                           [{"parametre": exc.parameter, "message": str(exc)}])
        except Exception:  # noqa: BLE001 — a bug still answers a problem, logged, never a traceback
            log.exception("erreur de l'API sur %s", request.full_path)
            return problem(500, "Erreur interne", "Le service n'a pas pu répondre ; l'incident est consigné.")
    return wrapper


# ---- the OpenAPI document's examples: real values of the store served ---------------------------

def examples(data: store.Store, conf: Settings) -> dict[str, Any]:
    """One real example per answer model, from the store (the plan's first indicator with a target)."""
    region = conf.region
    state = plan.resolve_state(data, region)
    out: dict[str, Any] = {}
    inds = indicator_rows(data)
    if inds:
        out["Indicator"] = next((i for i in inds if i["id"] == state.indicator), inds[0])
    terr = territory_rows(data, parent=None)
    reg = [t for t in terr if t["code"] == region]
    if reg:
        out["Territory"] = reg[0]
    if state.indicator and region in data.territories.index:
        vals = value_rows(data, ValuesQuery(indicateur=state.indicator, territoire=region, jusqua=state.quarter))
        if vals:
            out["Value"] = vals[-1]
        out["Progress"] = progress_row(data, conf, ProgressQuery(indicateur=state.indicator, territoire=region,
                                                                 trimestre=state.quarter))
    return out


def document(spec: dict, data: store.Store | None, conf: Settings) -> dict:
    """spectree's document, completed: CSV answers, the problem type, the real examples of the store served."""
    doc = copy.deepcopy(spec)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for path, ops in doc.get("paths", {}).items():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            if path.endswith(".csv"):          # the same view under its CSV name: an operation of its own
                op["operationId"] = op.get("operationId", path) + "_csv"
            for code, answer in op["responses"].items():
                content = answer.get("content", {})
                if code == "200" and path.startswith(PREFIX) and path != f"{PREFIX}/openapi.json":
                    content[CSV] = {"schema": {"type": "string"}}
                    if path.endswith(".csv"):
                        content.pop("application/json", None)
                if code.startswith(("4", "5")) and "application/json" in content:
                    content[PROBLEM] = content.pop("application/json")
            op["responses"].setdefault("304", {"description": "Inchangé depuis l'ETag donné dans If-None-Match"})
    if data is not None:
        for name, example in examples(data, conf).items():
            key = next((k for k in schemas if k == name or k.endswith("." + name)), None)
            if key:
                schemas[key]["examples"] = [json.loads(json.dumps(example, allow_nan=False))]
    return doc
