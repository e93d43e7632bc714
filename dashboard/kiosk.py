"""Content of the public kiosk (``/kiosque``): pure functions over a Store, no Dash.

Every figure comes from the store it is given. On a public instance that store is loaded
filtered (public indicators, observed values only, see ``store._load``), so nothing here
needs to, or may, filter again: the kiosk shows exactly what the store has. On an internal
instance, values that are not ``observed`` carry their status so the page can mark them.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from . import fmt, mapping, palette, periods, queries, settings, store, texts, tracking
from .cache import per_version

SLIDES = ("plan", "carte", "territoire", "trimestre", "source")
SLIDE_LABELS = {"plan": "Le plan en chiffres", "carte": "Carte", "territoire": "Territoire à la une",
                "trimestre": "Ce trimestre", "source": "Données et sources"}
MIN_SECONDS, MAX_SECONDS = 2, 600
PAUSE_SECONDS = 60           # a touch, click or key pauses the rotation this long
POLL_SECONDS = 60            # /healthz is polled this often (new data version → reload)
MIN_POLL, MAX_POLL = 2, 3600

#: A figure more than a year older than the newest published one is marked with its year (« donnée de 2018 »).
OLD_AFTER_QUARTERS = 4
#: Default of ``ACCES_SOINS_KIOSK_MAX_AGE_QUARTERS`` (defined in the settings): figures older than this many
#: quarters before the newest published one are left out; 0: no limit.
MAX_AGE_QUARTERS = settings.Settings.kiosk_max_age_quarters


# ---- configuration (settings, then URL), validated -------------------------------------------

def parse_slides(text: object, default: tuple[str, ...] = SLIDES) -> list[str]:
    """``"plan,carte"`` → ``["plan", "carte"]``; unknown names are dropped, duplicates kept once;
    nothing valid → ``default``."""
    if not isinstance(text, str) or len(text) > 200:
        return list(default)
    out: list[str] = []
    for name in text.split(","):
        name = name.strip().lower()
        if name in SLIDES and name not in out:
            out.append(name)
    return out or list(default)


def parse_seconds(text: object, default: int, low: int = MIN_SECONDS, high: int = MAX_SECONDS) -> int:
    """A whole number of seconds within [low, high]; anything else → ``default``."""
    if isinstance(text, bool):
        return default
    if isinstance(text, (int, float)) and not (isinstance(text, float) and math.isnan(text)):
        value = int(text)
    elif isinstance(text, str) and text.strip().isdigit() and len(text.strip()) <= 6:
        value = int(text.strip())
    else:
        return default
    return value if low <= value <= high else default


@dataclass(frozen=True)
class KioskConfig:
    slides: tuple[str, ...]
    seconds: int
    poll_seconds: int = POLL_SECONDS
    pause_seconds: int = PAUSE_SECONDS

    def as_data(self) -> dict:
        return {"slides": list(self.slides), "seconds": self.seconds, "poll": self.poll_seconds,
                "pause": self.pause_seconds}


def config(settings_slides: str, settings_seconds: int, query: dict | None = None) -> KioskConfig:
    """Settings give the defaults; the URL (``?diapos=plan,carte&duree=8&sonde=60``) may override them."""
    query = query or {}
    slides = parse_slides(settings_slides)
    seconds = parse_seconds(settings_seconds, 12)
    return KioskConfig(
        slides=tuple(parse_slides(query.get("diapos"), tuple(slides))),
        seconds=parse_seconds(query.get("duree"), seconds),
        poll_seconds=parse_seconds(query.get("sonde"), POLL_SECONDS, MIN_POLL, MAX_POLL),
    )


# ---- dates and age of the figures -----------------------------------------------------------

def data_date(data: store.Store) -> str | None:
    """The date of the newest figures of the store: end of the latest quarter with a value (French)."""
    q = store.latest_quarter(data)
    return fmt.quarter_end(q) if q else None


def dates_text(quarters) -> str | None:
    """What a slide says of the date of its figures: « Données au 31 décembre 2023 » when they share a
    quarter, « Données du 30 juin 2023 au 31 décembre 2023 » when they span several; None without figures."""
    qs = sorted({q for q in quarters if q})
    if not qs:
        return None
    if len(qs) == 1:
        return f"Données au {fmt.quarter_end(qs[0])}"
    return f"Données du {fmt.quarter_end(qs[0])} au {fmt.quarter_end(qs[-1])}"


@dataclass(frozen=True)
class Freshness:
    """The age of a figure, in quarters before the newest figure of the store (``reference``)."""

    reference: str | None
    max_age: int = MAX_AGE_QUARTERS        # 0: no limit

    @property
    def oldest(self) -> str | None:
        """The oldest quarter shown (None: no limit)."""
        return periods.shift(self.reference, -self.max_age) if self.reference and self.max_age > 0 else None

    def age(self, quarter: str) -> int:
        return periods.index(self.reference) - periods.index(quarter) if self.reference else 0

    def shown(self, quarter: str) -> bool:
        """Whether a figure of ``quarter`` is recent enough for the screen."""
        return self.max_age <= 0 or self.age(quarter) <= self.max_age

    def shown_year(self, year: int) -> bool:
        """Whether something dated by its year only (a local initiative) is recent enough: its year is not before
        the oldest quarter's."""
        oldest = self.oldest
        return oldest is None or year >= periods.parse(oldest)[0]

    def mark(self, quarter: str) -> str | None:
        """« donnée de 2018 » for a figure more than a year older than the newest one, else None."""
        return f"donnée de {periods.parse(quarter)[0]}" if self.age(quarter) > OLD_AFTER_QUARTERS else None


def freshness(data: store.Store, max_age: int = MAX_AGE_QUARTERS) -> Freshness:
    return Freshness(store.latest_quarter(data), max_age)


def built_date(data: store.Store) -> str | None:
    try:
        return fmt.date(dt.date.fromisoformat(data.built_at[:10]))
    except ValueError:
        return None


# ---- slide content -----------------------------------------------------------------------------

def _change_text(change: queries.Change | None, unit: str) -> str | None:
    return None if change is None else texts.change(change, unit)


@per_version(maxsize=8)   # per (store version, region, max age): a Store is immutable
def plan_cards(data: store.Store, region: str, max_age: int = MAX_AGE_QUARTERS) -> list[dict]:
    """Headline indicators of the plan (catalogue ``plan`` flag) with their latest regional value, its change
    since the previous observation and, when the plan sets one, the taux d'avancement toward the target
    (the same rules as the plan page: :mod:`dashboard.queries`). Indicators with targets come first.
    Figures older than ``max_age`` quarters are left out, old ones carry ``old_text`` (« donnée de 2018 »)."""
    fresh = freshness(data, max_age)
    cards = []
    for ident, row in data.indicators.iterrows():
        if not bool(row["plan"]):
            continue
        last = queries.latest(data, ident, region)
        if last is None or not fresh.shown(last["period"]):
            continue
        unit = row["unit"]
        card = {
            "id": ident, "label": row["short_label"] or row["label"], "unit": unit,
            "value": last["value"], "value_text": fmt.value(last["value"], unit),
            "period": last["period"], "period_text": fmt.quarter(last["period"]),
            "old_text": fresh.mark(last["period"]), "status": last["status"], "source": last["source"],
            "target": None,
        }
        t = tracking.of(data, {**row.to_dict(), "id": ident}, region, last["period"])   # the build's tracking
        card["change_text"] = _change_text(t.change_previous, unit)
        prog = t.progress_of
        if prog is not None:
            card["target"] = {
                "value": prog.target["value"], "value_text": fmt.target(prog.target["value"], unit),
                "period_text": fmt.quarter(prog.target["period"]), "share": prog.percent / 100,
                "share_text": fmt.percent(prog.percent),
                "baseline_text": f"{fmt.value(prog.baseline['value'], unit)} en {queries.month_of(prog.baseline)}",
            }
        cards.append(card)
    cards.sort(key=lambda c: c["target"] is None)      # stable: catalogue order within each group
    return cards


def departements(data: store.Store, region: str) -> list[dict]:
    t = data.territories
    rows = t[(t["level"] == "departement") & (t["region"] == region)].sort_index()
    return [{"code": r["code"], "name": r["name"], "population": r["population"]} for _, r in rows.iterrows()]


def map_indicator(data: store.Store, region: str, max_age: int = MAX_AGE_QUARTERS) -> str | None:
    """The indicator with the most départements valued as of its latest period (ties: catalogue order), among
    those whose latest period is recent enough (``max_age``)."""
    fresh = freshness(data, max_age)
    codes = {d["code"] for d in departements(data, region)}
    obs = data.observations
    obs = obs[obs["territory"].isin(codes)]
    best, best_n = None, 0
    for ident in data.indicators.index:
        sub = obs[obs["indicator"] == ident]
        if not len(sub) or not fresh.shown(sub["period"].max()):
            continue
        n = int(sub.loc[sub["value"].notna(), "territory"].nunique())    # value as of the latest: any before
        if n > best_n:
            best, best_n = ident, n
    return best


def ink_on(colour: str) -> str:
    """Black or white text, whichever contrasts most with a ``#rrggbb`` fill (WCAG relative luminance)."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return palette.TEXT if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else palette.WHITE


def classify(values: list[float], indicator: dict) -> tuple[list[int], list[tuple[str, str]]]:
    """Classes of the values with the map page's rule (:func:`dashboard.mapping.class_breaks`), and the
    legend ``[(colour, text)]``: the same breaks and colours as ``/carte`` for the same figures."""
    edges = mapping.class_breaks(values, indicator)
    classes = mapping.classify(values, edges).tolist()
    colours = mapping.palette(indicator.get("polarity", "none"), max(len(edges) - 1, 0))
    legend = [(item["color"], item["label"]) for item in mapping.legend_items(edges, colours, indicator.get("unit", ""))]
    return classes, legend


@per_version(maxsize=8)   # per (store version, region, max age): a Store is immutable
def map_content(data: store.Store, region: str, max_age: int = MAX_AGE_QUARTERS) -> dict | None:
    """Values of the map indicator per département of the region as of its latest period (each département's
    last observation at or before it, as every page reads a quarter), with classes."""
    ident = map_indicator(data, region, max_age)
    if ident is None:
        return None
    ind = store.indicator(data, ident)
    deps = departements(data, region)
    obs = data.observations
    codes = [d["code"] for d in deps]
    period = obs.loc[(obs["indicator"] == ident) & obs["territory"].isin(codes), "period"].max()
    at = {r["code"]: r for r in queries.values_at(data, ident, codes, period).to_dict("records")}
    classes, legend = classify([float(r["value"]) for r in at.values()], ind)
    class_of = dict(zip(at, classes))
    colours = [colour for colour, _ in legend]
    items = []
    for d in deps:
        r = at.get(d["code"])
        if r is None:
            items.append({**d, "value": None, "value_text": "pas de donnée", "status": None, "fill": None})
            continue
        v = float(r["value"])
        items.append({**d, "value": v, "value_text": fmt.value(v, ind["unit"]), "status": r["status"],
                      "period": r["period"], "period_text": fmt.quarter(r["period"]),     # its own date
                      "fill": colours[class_of[d["code"]]]})
    return {"indicator": ident, "label": ind["label"], "unit": ind["unit"], "period": period,
            "period_text": fmt.quarter(period), "old_text": freshness(data, max_age).mark(period),
            "items": items, "legend": legend,
            "has_demo": any(i["status"] == "demo" for i in items),
            "valued": sum(1 for i in items if i["value"] is not None)}


@functools.lru_cache(maxsize=8)   # keyed on a version folder's file: holds no Store
def _outlines(path: str, codes: tuple[str, ...]) -> dict[str, list]:
    gj = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for f in gj.get("features", []):
        code = (f.get("properties") or {}).get("code")
        if code in codes:
            geom = f["geometry"]
            out[code] = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return out


def map_svg(data: store.Store, content: dict, width: int = 900, height: int = 820) -> str | None:
    """A static SVG of the region's départements coloured by class, each labelled with name and value
    (colour is never the only carrier of the value). No tiles, no script."""
    path = data.geometry_file("departement")
    if path is None or not path.exists():
        return None
    codes = tuple(i["code"] for i in content["items"])
    shapes = _outlines(str(path), codes)
    if not shapes:
        return None
    pts = [p for polys in shapes.values() for poly in polys for ring in poly for p in ring]
    lat0 = sum(p[1] for p in pts) / len(pts)
    k = math.cos(math.radians(lat0))
    xs, ys = [p[0] * k for p in pts], [-p[1] for p in pts]
    pad = 20
    scale = min((width - 2 * pad) / (max(xs) - min(xs)), (height - 2 * pad) / (max(ys) - min(ys)))
    x0, y0 = min(xs), min(ys)

    def proj(p):
        return (pad + (p[0] * k - x0) * scale, pad + (-p[1] - y0) * scale)

    # the picture is cropped to the region's extent, so the screen's box is filled by the map, not by margins
    view_w, view_h = (max(xs) - min(xs)) * scale + 2 * pad, (max(ys) - min(ys)) * scale + 2 * pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {view_w:.0f} {view_h:.0f}" '
             f'font-family="Marianne, Arial, sans-serif">',
             '<defs><pattern id="h" width="12" height="12" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="12" height="12" '
             f'fill="{palette.KIOSK_HATCH_FILL}"/>'
             f'<line x1="0" y1="0" x2="0" y2="12" stroke="{palette.KIOSK_HATCH_STROKE}" stroke-width="3"/></pattern></defs>']
    labels = []
    for item in content["items"]:
        polys = shapes.get(item["code"])
        if not polys:
            continue
        fill = "url(#h)" if item["fill"] is None else item["fill"]
        d = ""
        biggest, area_max = None, -1.0
        for poly in polys:
            for ring in poly:
                xy = [proj(p) for p in ring]
                d += "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z"
            ring = [proj(p) for p in poly[0]]
            area = abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1]))) / 2
            if area > area_max:
                biggest, area_max = ring, area
        parts.append(f'<path d="{d}" fill="{fill}" stroke="{palette.WHITE}" stroke-width="3" stroke-linejoin="round"/>')
        cx = sum(p[0] for p in biggest) / len(biggest)
        cy = sum(p[1] for p in biggest) / len(biggest)
        ink = palette.TEXT if item["fill"] is None else ink_on(item["fill"])
        halo = palette.WHITE if ink == palette.TEXT else palette.HALO_DARK
        name = _xml(item["name"])
        value = _xml(item["value_text"] if item["value"] is not None else "–")
        labels.append(
            f'<g text-anchor="middle" fill="{ink}" stroke="{halo}" stroke-width="5" paint-order="stroke" '
            f'stroke-linejoin="round"><text x="{cx:.0f}" y="{cy - 4:.0f}" font-size="28" font-weight="700">{name}</text>'
            f'<text x="{cx:.0f}" y="{cy + 32:.0f}" font-size="36" font-weight="700">{value}</text></g>')
    parts += labels + ["</svg>"]
    return "".join(parts)


def _xml(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@per_version(maxsize=8)   # per (store version, region, max age): a Store is immutable
def spotlights(data: store.Store, region: str, max_age: int = MAX_AGE_QUARTERS) -> list[dict]:
    """One sheet per département of the region: population, communes, EPCI, its latest values recent
    enough (``max_age``; old ones marked) with the date of its figures, and a local initiative — those with a
    recent initiative first (the screen opens on a full sheet), then the others, each group in code order."""
    fresh = freshness(data, max_age)
    t = data.territories
    sheets = []
    deps = departements(data, region)
    for d in deps:
        code = d["code"]
        communes = t[(t["level"] == "commune") & (t["departement"] == code)]
        epci = t[(t["level"] == "epci") & (t["departement"] == code)]
        facts = []
        for ident in data.indicators.index:
            last = queries.latest(data, ident, code)
            if last is None or not fresh.shown(last["period"]):
                continue
            ind = data.indicators.loc[ident]
            facts.append({"label": ind["short_label"] or ind["label"], "value_text": fmt.value(last["value"], ind["unit"]),
                          "period": last["period"], "period_text": fmt.quarter(last["period"]),
                          "old_text": fresh.mark(last["period"]), "status": last["status"], "note": last["note"]})
        ini = data.initiatives
        local = ini[(ini["territory"] == code) | ini["territory"].isin(communes["code"])]
        local = local[[fresh.shown_year(int(y)) for y in local["year"]]]     # the age rule, as for figures
        initiative = None
        if len(local):
            r = local.sort_values("year", ascending=False).iloc[0]
            initiative = {"title": r["title"], "text": r["text"], "year": int(r["year"]), "source": r["source"]}
        sheets.append({"code": code, "name": d["name"],
                       "population_text": fmt.number(d["population"]) if d["population"] == d["population"] else "–",
                       "communes_text": fmt.number(len(communes)), "epci_text": fmt.number(len(epci)),
                       "facts": facts[:4], "dates_text": dates_text(f["period"] for f in facts[:4]),
                       "initiative": initiative})
    return sorted(sheets, key=lambda sheet: sheet["initiative"] is None)      # stable: code order within


@per_version(maxsize=8)   # per (store version, region, max age): a Store is immutable
def quarter_summary(data: store.Store, region: str, limit: int = 5, max_age: int = MAX_AGE_QUARTERS) -> dict:
    """« Ce trimestre » in plain French: the region's latest figures recent enough (``max_age``), most recent
    first, each with its date, its change since the previous observation and its taux d'avancement (rules
    of :mod:`dashboard.queries`); old ones carry ``old_text``."""
    fresh = freshness(data, max_age)
    latest_rows = []
    for ident, row in data.indicators.iterrows():
        last = queries.latest(data, ident, region)
        if last is not None and fresh.shown(last["period"]):
            latest_rows.append((last["period"], -int(row["order"]), ident, row, last))
    latest_rows.sort(reverse=True)
    sentences = []
    for _period, _order, ident, row, last in latest_rows[:limit]:
        unit = row["unit"]
        text = f"{row['short_label'] or row['label']} : {fmt.value(last['value'], unit)} au {fmt.quarter(last['period'])}"
        if bool(row["plan"]):     # the plan's figures as the build tracked them (the plan page's)
            t = tracking.of(data, {**row.to_dict(), "id": ident}, region, last["period"])
            change_, prog = t.change_previous, t.progress_of
        else:
            change_ = queries.change_since_previous(data, ident, region, last["period"])
            prog = queries.progress_of(data, ident, region, last["period"])
        change = _change_text(change_, unit)
        if change:
            text += f", {change}"
        if prog is not None:
            text += (f" ; avancement {fmt.percent(prog.percent)} vers la cible de "
                     f"{fmt.target(prog.target['value'], unit)} au {fmt.quarter(prog.target['period'])}")
        sentences.append({"text": text + ".", "status": last["status"], "period": last["period"],
                          "old_text": fresh.mark(last["period"])})
    q = sentences[0]["period"] if sentences else None
    return {"quarter": q, "quarter_text": fmt.quarter(q) if q else None, "sentences": sentences}


def shown_figures(data: store.Store, region: str, slides: tuple[str, ...],
                  max_age: int = MAX_AGE_QUARTERS) -> list[tuple[str, str]]:
    """``(status, quarter)`` of every figure these slides show."""
    out: list[tuple[str, str]] = []
    if "plan" in slides:
        out += [(c["status"], c["period"]) for c in plan_cards(data, region, max_age)]
    if "carte" in slides:
        content = map_content(data, region, max_age)
        out += [(i["status"], content["period"]) for i in content["items"] if i["value"] is not None] if content else []
    if "territoire" in slides:
        out += [(f["status"], f["period"]) for s in spotlights(data, region, max_age) for f in s["facts"]]
    if "trimestre" in slides:
        out += [(s["status"], s["period"]) for s in quarter_summary(data, region, max_age=max_age)["sentences"]]
    return out


def shows_demo(data: store.Store, region: str, slides: tuple[str, ...], max_age: int = MAX_AGE_QUARTERS) -> bool:
    """Whether one of these slides shows a demo value (the banner says so only then; never on the public
    instance, whose store holds observed values only)."""
    return any(status == "demo" for status, _q in shown_figures(data, region, slides, max_age))


def sources(data: store.Store, limit: int = 6) -> list[str]:
    """Distinct sources of the stored values, most used first."""
    counts = data.observations["source"].value_counts()
    return [s for s in counts.index[:limit]]


def status_counts(data: store.Store) -> dict[str, int]:
    return {k: int(v) for k, v in data.observations["status"].value_counts().items()}
