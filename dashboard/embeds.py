"""Embeds (``/integrer/…``), oEmbed 1.0 (``/oembed``) and charts as PNG/SVG (docs/api.md).

An embed is a page without navigation, made to sit in another site's ``<iframe>``: a plan card, an indicator's
trajectory chart, or the map of an indicator by département; each says its source and links back to the
dashboard. They read the Store the app serves (filtered on the public instance) and the plan page's own
functions (:func:`dashboard.plan.detail`, :func:`dashboard.plan_figures.trajectory_figure`); they compute nothing.
Plain HTML from Flask, not Dash pages: no renderer, no callbacks, a few kilobytes and one chart script.
"""
from __future__ import annotations

import html
import json
import logging
import os
import shutil
import threading
from functools import lru_cache
from urllib.parse import urlencode, urlsplit, parse_qsl

from flask import Response, request

from . import fmt, kiosk, periods, plan, plan_figures, queries, store
from .schema import STATUS_LABELS
from .settings import Settings

log = logging.getLogger(__name__)

PREFIX = "/integrer"
KINDS = ("plan", "graphique", "carte")
SIZES = {"plan": (420, 300), "graphique": (760, 560), "carte": (640, 640)}    # default iframe width, height
LEVELS = ("departement",)               # the map embed draws the region's départements (kiosk.map_svg)
PROVIDER = "Accès aux soins – tableau de bord"
IMAGE_SIZE = (1000, 620)


# ---- what an embed shows: pure functions over a Store ----------------------------------------------

class NotEmbeddable(LookupError):
    """An embed URL naming an indicator, territory, quarter or level the store does not have."""


def resolve(data: store.Store, conf: Settings, kind: str, indicator: str, args) -> dict:
    """The checked state of an embed URL: kind, indicator, territory, quarter, level (NotEmbeddable)."""
    if kind not in KINDS:
        raise NotEmbeddable("type d'intégration inconnu")
    if indicator not in data.indicators.index:
        raise NotEmbeddable("indicateur inconnu")
    territory = str(args.get("territoire") or conf.region).upper()
    if territory not in data.territories.index:
        raise NotEmbeddable("territoire inconnu")
    quarter = args.get("trimestre") or None
    if quarter is not None and not periods.is_quarter(quarter):
        raise NotEmbeddable("trimestre attendu au format 2023Q4")
    quarter = quarter or plan.resolve_state(data, territory, None, indicator).quarter or queries.latest_quarter(data)
    level = args.get("niveau") or LEVELS[0]
    if kind == "carte" and level not in LEVELS:
        raise NotEmbeddable(f"niveau attendu parmi : {', '.join(LEVELS)}")
    return {"kind": kind, "indicator": indicator, "territory": territory, "quarter": quarter, "level": level}


def query_of(state: dict, conf: Settings) -> str:
    """The embed's query string (only what differs from the defaults a reader would not guess)."""
    args = {"territoire": state["territory"], "trimestre": state["quarter"]}
    if state["kind"] == "carte":
        args["niveau"] = state["level"]
    return urlencode({k: v for k, v in args.items() if v})


def embed_url(state: dict, conf: Settings) -> str:
    return f"{PREFIX}/{state['kind']}/{state['indicator']}?{query_of(state, conf)}"


def back_link(state: dict) -> str:
    """The dashboard page an embed comes from (the public instance: the kiosk, its only page)."""
    return f"/?{urlencode({'trimestre': state['quarter'], 'indicateur': state['indicator']})}"


def iframe_code(url: str, title: str, kind: str) -> str:
    width, height = SIZES.get(kind, SIZES["graphique"])
    return (f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" width="{width}" height="{height}" '
            f'style="border:0" loading="lazy"></iframe>')


def chart_figure(data: store.Store, conf: Settings, state: dict):
    """The plan page's trajectory chart of the indicator (same functions, same credit: title, place, quarter,
    sources and data version drawn in)."""
    d = plan.detail(data, state["territory"], state["quarter"], state["indicator"], data.thresholds)
    if d is None:
        raise NotEmbeddable("aucune valeur à représenter")
    c = d["card"]
    fig = plan_figures.trajectory_figure(d["series"], c.assessment, c.label, c.unit, state["quarter"],
                                         plan_figures.Credit.of(data, state["territory"], state["quarter"],
                                                                d["series"]["source"]))
    return fig, c, d["has_demo"]


def map_content(data: store.Store, state: dict) -> dict:
    """The kiosk map's content for this indicator: its départements' values as of the quarter, classed by the
    map page's rule (:func:`dashboard.kiosk.classify`)."""
    ind = store.indicator(data, state["indicator"])
    deps = kiosk.departements(data, state["territory"])
    values = queries.values_at(data, state["indicator"], [d["code"] for d in deps], state["quarter"])
    at = {r["code"]: r for r in values.to_dict("records")}
    classes, legend = kiosk.classify([r["value"] for r in at.values()], ind)
    class_of = dict(zip(at, classes))
    items = []
    for d in deps:
        r = at.get(d["code"])
        items.append({**d, "value": None if r is None else r["value"],
                      "value_text": "pas de donnée" if r is None else fmt.value(r["value"], ind["unit"]),
                      "status": None if r is None else r["status"],
                      "fill": None if r is None else legend[class_of[d["code"]]][0],
                      "source": "" if r is None else r["source"], "period": None if r is None else r["period"]})
    return {"indicator": ind["id"], "label": ind["label"], "unit": ind["unit"], "items": items, "legend": legend,
            "has_demo": any(i["status"] == "demo" for i in items)}


def title_of(data: store.Store, state: dict) -> str:
    label = store.indicator(data, state["indicator"])["label"]
    where = queries.name_of(data, state["territory"], state["territory"])
    what = {"plan": "", "graphique": "", "carte": " par département"}[state["kind"]]
    return f"{label}{what} – {where}, {fmt.quarter(state['quarter'])}"


# ---- rendering ---------------------------------------------------------------------------------------

def _page(title: str, body: str, oembed: str, scripts: tuple[str, ...] = ()) -> str:
    tags = "".join(f'<script src="{html.escape(s)}"></script>' for s in scripts)
    return (f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<link rel='alternate' type='application/json+oembed' href='{html.escape(oembed)}' "
            f"title='{html.escape(title)}'>"
            "<link rel='stylesheet' href='/api/ressources/integrer.css'></head>"
            f"<body class='integrer'>{body}{tags}</body></html>")


def _footer(sources: list[str], data: store.Store, back: str, downloads: str = "") -> str:
    named = " ; ".join(dict.fromkeys(s for s in sources if s)) or "–"
    return (f"<footer><p class='source'>Source : {html.escape(named)}. Données : version {html.escape(data.version)}"
            f", construite le {html.escape(fmt.short_date(data.built_at))}.</p>"
            f"<p>{downloads}<a href='{html.escape(back)}' target='_blank' rel='noopener'>Voir sur le tableau de bord "
            "Accès aux soins</a></p></footer>")


def render(data: store.Store, conf: Settings, state: dict) -> str:
    title = title_of(data, state)
    url = embed_url(state, conf)
    oembed = "/oembed?" + urlencode({"url": request.host_url.rstrip("/") + url})
    back = "/kiosque" if data.public else back_link(state)
    demo = ("<p class='demo' role='note'>Contient des valeurs de démonstration (non réelles).</p>")
    if state["kind"] == "graphique":
        fig, c, has_demo = chart_figure(data, conf, state)
        figure = fig.to_json().replace("</", "<\\/")      # raw text of a data block: only « </ » could end it
        base = f"{PREFIX}/graphique/{state['indicator']}"
        downloads = (f"<a href='{html.escape(base)}.png?{query_of(state, conf)}' download>Image PNG</a> · "
                     f"<a href='{html.escape(base)}.svg?{query_of(state, conf)}' download>Image SVG</a> · ")
        body = (f"<main><h1 class='sr-only'>{html.escape(title)}</h1>"
                f"<div id='integrer-graphique' class='chart' role='img' aria-label='{html.escape(title)}'></div>"
                f"<script type='application/json' id='integrer-figure'>{figure}</script>"
                + (demo if has_demo else "")
                + _footer([c.value_source, c.target_source], data, back, downloads) + "</main>")
        plotly = "/_dash-component-suites/plotly/package_data/plotly.min.js"     # the partial bundle (server.py)
        return _page(title, body, oembed, (plotly, "/api/ressources/integrer.js"))
    if state["kind"] == "plan":
        c = plan.card(data, store.indicator(data, state["indicator"]), state["territory"], state["quarter"],
                      data.thresholds)
        mark = f" <span class='badge'>{STATUS_LABELS.get(c.provenance, '')}</span>" if c.provenance != "observed" else ""
        facts = [("Valeur", f"{c.value_text} ({fmt.quarter(c.period)}){mark}" if c.period else "–"),
                 ("Cible", c.target_text), ("Avancement", c.progress_text), ("Statut", c.status_text)]
        body = (f"<main class='card'><h1>{html.escape(c.label)}</h1>"
                f"<p class='where'>{html.escape(queries.name_of(data, c.territory))}, situation au "
                f"{html.escape(fmt.quarter(c.as_of))}</p><dl>"
                + "".join(f"<dt>{html.escape(k)}</dt><dd>{v if k == 'Valeur' else html.escape(v)}</dd>"
                          for k, v in facts)
                + "</dl>" + (demo if c.provenance == "demo" else "")
                + _footer([c.value_source, c.target_source], data, back) + "</main>")
        return _page(title, body, oembed)
    content = map_content(data, state)
    svg = kiosk.map_svg(data, content) or "<p>Carte indisponible : pas de contours des départements.</p>"
    legend = "".join(f"<li><span class='swatch' style='background:{html.escape(col)}'></span>{html.escape(text)}</li>"
                     for col, text in content["legend"])
    body = (f"<main><h1>{html.escape(title)}</h1><div class='map' role='img' aria-label='{html.escape(title)}'>{svg}"
            f"</div><ul class='legend'>{legend}</ul>" + (demo if content["has_demo"] else "")
            + _footer([i["source"] for i in content["items"]], data, back) + "</main>")
    return _page(title, body, oembed)


# ---- images: kaleido drives the system's Chromium ------------------------------------------------------

_IMAGE_LOCK = threading.Lock()          # one Chromium at a time: 2 cores


def _chromium() -> str | None:
    return os.environ.get("BROWSER_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


IMAGE_ATTEMPTS = 3


@lru_cache(maxsize=32)   # keyed on the Store (its version) and the state: the same image until a new version
def image(data: store.Store, conf: Settings, state_items: tuple, kind: str) -> bytes:
    """The chart as PNG or SVG, its title, place, quarter, sources and data version drawn in (plan_figures.sign)."""
    state = dict(state_items)
    fig, _c, _demo = chart_figure(data, conf, state)
    browser = _chromium()
    if browser:
        os.environ.setdefault("BROWSER_PATH", browser)      # choreographer (kaleido) looks for Chrome there
    width, height = IMAGE_SIZE
    with _IMAGE_LOCK:
        for attempt in range(IMAGE_ATTEMPTS):
            try:
                return fig.to_image(format=kind, width=width, height=height, scale=2 if kind == "png" else 1)
            except Exception:
                # kaleido drives a headless Chromium: on a loaded machine its page may not have loaded its own
                # script yet (« kaleido_scopes is not defined »); a second try starts a fresh one
                if attempt == IMAGE_ATTEMPTS - 1:
                    raise
                logging.getLogger(__name__).warning("image %s : nouvel essai du rendu", kind, exc_info=True)
    return b""     # not reached: the last attempt returns or raises


# ---- oEmbed 1.0 --------------------------------------------------------------------------------------

def oembed(data: store.Store, conf: Settings, url: str, maxwidth: int | None, maxheight: int | None) -> dict:
    """The oEmbed answer (type rich) for an embed URL of this site, or for a plan page URL (its chart)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(request.host_url).netloc:
        raise NotEmbeddable("adresse d'une autre origine que ce site")
    args = dict(parse_qsl(parts.query))
    segments = parts.path.strip("/").split("/")
    if len(segments) == 3 and segments[0] == PREFIX.strip("/"):
        kind, indicator = segments[1], segments[2]
    elif parts.path in ("", "/") and args.get("indicateur"):
        kind, indicator = "graphique", args["indicateur"]      # the plan page: its chart
    else:
        raise NotEmbeddable("adresse sans intégration")
    state = resolve(data, conf, kind, indicator, args)
    width, height = SIZES[kind]
    if maxwidth:
        width = min(width, maxwidth)
    if maxheight:
        height = min(height, maxheight)
    src = request.host_url.rstrip("/") + embed_url(state, conf)
    title = title_of(data, state)
    return {"version": "1.0", "type": "rich", "provider_name": PROVIDER, "provider_url": request.host_url,
            "title": title, "width": width, "height": height,
            "html": iframe_code(src, title, kind).replace(f'width="{SIZES[kind][0]}" height="{SIZES[kind][1]}"',
                                                          f'width="{width}" height="{height}"')}


def oembed_link(page_url: str, title: str) -> str:
    """The discovery ``<link>`` of a page (oEmbed 1.0, section 4)."""
    return (f'<link rel="alternate" type="application/json+oembed" '
            f'href="/oembed?{html.escape(urlencode({"url": page_url}))}" title="{html.escape(title)}">')


# ---- routes ------------------------------------------------------------------------------------------

def install(server, conf: Settings) -> None:
    from .api import problem

    def page_error(message: str, status: int = 404) -> Response:
        body = (f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Intégration introuvable"
                f"</title></head><body><p>{html.escape(message)}</p></body></html>")
        return Response(body, status=status, mimetype="text/html")

    @server.route(f"{PREFIX}/<kind>/<indicator>")
    def integrer(kind, indicator):
        try:
            data = store.get()
            state = resolve(data, conf, kind, indicator, request.args)
            return Response(render(data, conf, state), mimetype="text/html")
        except NotEmbeddable as exc:
            return page_error(f"Intégration introuvable : {exc}.")
        except store.StoreUnavailable:
            return page_error("Données momentanément indisponibles.", 503)

    @server.route(f"{PREFIX}/graphique/<indicator>.<any(png, svg):kind>")
    def integrer_image(indicator, kind):
        try:
            data = store.get()
            state = resolve(data, conf, "graphique", indicator, request.args)
        except NotEmbeddable as exc:
            return problem(404, "Introuvable", f"Image introuvable : {exc}.")
        try:
            body = image(data, conf, tuple(sorted(state.items())), kind)
        except NotEmbeddable as exc:
            return problem(404, "Introuvable", f"Image introuvable : {exc}.")
        except Exception:  # noqa: BLE001 — kaleido needs a Chromium: say so rather than fail
            log.exception("image %s de %s impossible", kind, indicator)
            return problem(503, "Image indisponible", "Le navigateur qui dessine les images (Chromium) est absent "
                           "ou a échoué ; le graphique interactif reste disponible.")
        resp = Response(body, mimetype="image/png" if kind == "png" else "image/svg+xml")
        resp.headers["Content-Disposition"] = (f'attachment; filename="{indicator}-{state["territory"]}-'
                                               f'{state["quarter"]}.{kind}"')
        resp.cache_control.max_age = 300
        return resp

    @server.route("/oembed")
    def oembed_route():
        fmt_ = request.args.get("format", "json")
        if fmt_ != "json":
            return problem(501, "Format non pris en charge", "Seul le format json est servi.")
        try:
            maxwidth = int(request.args["maxwidth"]) if request.args.get("maxwidth") else None
            maxheight = int(request.args["maxheight"]) if request.args.get("maxheight") else None
        except ValueError:
            return problem(400, "Paramètre invalide", "maxwidth et maxheight : nombres entiers attendus.")
        url = request.args.get("url", "")
        if not url or len(url) > 2000:
            return problem(400, "Paramètre invalide", "url : l'adresse d'une page ou d'une intégration de ce site.")
        try:
            answer = oembed(store.get(), conf, url, maxwidth, maxheight)
        except NotEmbeddable as exc:
            return problem(404, "Introuvable", f"Rien à intégrer à cette adresse : {exc}.")
        resp = Response(json.dumps(answer, ensure_ascii=False), mimetype="application/json")
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp
