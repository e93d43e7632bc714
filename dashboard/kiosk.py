"""Content of the public kiosk (``/kiosque``): pure functions over a Store, no Dash.

Every figure comes from the store it is given. On a public instance that store is loaded
filtered (public indicators, observed values only, see ``store._load``), so nothing here
needs to, or may, filter again: the kiosk shows exactly what the store has. On an internal
instance, values that are not ``observed`` carry their status so the page can mark them.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import fmt, periods, store

SLIDES = ("plan", "carte", "territoire", "trimestre", "source")
SLIDE_LABELS = {"plan": "Le plan en chiffres", "carte": "Carte", "territoire": "Territoire à la une",
                "trimestre": "Ce trimestre", "source": "Données et sources"}
MIN_SECONDS, MAX_SECONDS = 2, 600
PAUSE_SECONDS = 60           # a touch, click or key pauses the rotation this long
POLL_SECONDS = 60            # /healthz is polled this often (new data version → reload)
MIN_POLL, MAX_POLL = 2, 3600

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


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


# ---- dates -------------------------------------------------------------------------------------

def date_fr(day: dt.date) -> str:
    """``date(2023, 12, 31)`` → ``"31 décembre 2023"`` (``"1er"`` for the first of the month)."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def data_date(data: store.Store) -> str | None:
    """The date the figures describe: end of the latest quarter with a value (French)."""
    q = store.latest_quarter(data)
    return date_fr(periods.end_date(q)) if q else None


def built_date(data: store.Store) -> str | None:
    try:
        return date_fr(dt.date.fromisoformat(data.built_at[:10]))
    except ValueError:
        return None


# ---- slide content -----------------------------------------------------------------------------

def _latest(data: store.Store, ident: str, code: str) -> tuple[dict | None, dict | None]:
    """(last, previous) values of a series, as plain dicts."""
    frame = store.series(data, ident, code)
    if not len(frame):
        return None, None
    last = store._plain(frame.iloc[-1].to_dict())
    prev = store._plain(frame.iloc[-2].to_dict()) if len(frame) > 1 else None
    return last, prev


@lru_cache(maxsize=4)   # per (store version, region): a Store is immutable
def plan_cards(data: store.Store, region: str) -> list[dict]:
    """Headline indicators of the plan (catalogue ``plan`` flag) with their latest regional value and,
    when the plan sets one, progress toward the target. Indicators with targets come first."""
    cards = []
    for ident, row in data.indicators.iterrows():
        if not bool(row["plan"]):
            continue
        last, prev = _latest(data, ident, region)
        if last is None:
            continue
        target = store.target(data, ident, region)
        unit = row["unit"]
        card = {
            "id": ident, "label": row["short_label"] or row["label"], "unit": unit,
            "value": last["value"], "value_text": fmt.value(last["value"], unit),
            "period": last["period"], "period_text": fmt.quarter(last["period"]),
            "status": last["status"], "source": last["source"],
            "change_text": None, "target": None,
        }
        if prev is not None:
            card["change_text"] = (f"{fmt.signed(last['value'] - prev['value'], 1 if unit == '%' else 0)}"
                                   f"{' point' + ('s' if abs(last['value'] - prev['value']) >= 2 else '') if unit == '%' else ''}"
                                   f" depuis {fmt.quarter(prev['period'])}")
        if target and target["value"]:
            share = max(0.0, min(1.0, last["value"] / target["value"]))
            remaining = target["value"] - last["value"]
            card["target"] = {
                "value": target["value"], "value_text": fmt.value(target["value"], unit, 0),
                "period_text": fmt.quarter(target["period"]), "share": share,
                "share_text": fmt.value(share * 100, "%", 0),
                "remaining_text": fmt.value(remaining, unit, 0) if remaining > 0 else None,
            }
        cards.append(card)
    cards.sort(key=lambda c: c["target"] is None)      # stable: catalogue order within each group
    return cards


# Colour-blind safe sequential blues (ColorBrewer "Blues", 4 classes), dark enough for white text on the last two.
PALETTE = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
TEXT_ON = ("#161616", "#161616", "#ffffff", "#ffffff")
NO_DATA = "#f0f0f0"


def departements(data: store.Store, region: str) -> list[dict]:
    t = data.territories
    rows = t[(t["level"] == "departement") & (t["region"] == region)].sort_index()
    return [{"code": r["code"], "name": r["name"], "population": r["population"]} for _, r in rows.iterrows()]


def map_indicator(data: store.Store, region: str) -> str | None:
    """The indicator with the most départements valued at its latest period (ties: catalogue order)."""
    codes = {d["code"] for d in departements(data, region)}
    obs = data.observations
    obs = obs[obs["territory"].isin(codes)]
    best, best_n = None, 0
    for ident in data.indicators.index:
        sub = obs[obs["indicator"] == ident]
        if not len(sub):
            continue
        n = int((sub["period"] == sub["period"].max()).sum())
        if n > best_n:
            best, best_n = ident, n
    return best


def classify(values: list[float], unit: str) -> tuple[dict[float, int], list[tuple[str, str]]]:
    """Quantile classes (at most 4) of the values: ``({value: class}, [(colour, legend text)])``.
    Few distinct values get one class each; equal values always share a class."""
    distinct = sorted(set(values))
    if not distinct:
        return {}, []
    if len(distinct) <= len(PALETTE):
        groups = [[v] for v in distinct]
    else:
        ordered = sorted(values)
        n = len(ordered)
        groups, taken = [], set()
        for k in range(len(PALETTE)):
            chunk = [v for v in ordered[k * n // len(PALETTE):(k + 1) * n // len(PALETTE)] if v not in taken]
            if chunk:
                groups.append(sorted(set(chunk)))
                taken.update(chunk)
    # spread the colours over the palette when there are fewer groups than colours
    shades = [round(i * (len(PALETTE) - 1) / max(1, len(groups) - 1)) for i in range(len(groups))]
    classes = {v: shades[g] for g, group in enumerate(groups) for v in group}
    legend = [(PALETTE[shades[g]], fmt.value(group[0], unit) if len(group) == 1 else
               f"{fmt.value(group[0], unit)} à {fmt.value(group[-1], unit)}") for g, group in enumerate(groups)]
    return classes, legend


@lru_cache(maxsize=4)   # per (store version, region): a Store is immutable
def map_content(data: store.Store, region: str) -> dict | None:
    """Values of the map indicator per département of the region (latest period), with classes."""
    ident = map_indicator(data, region)
    if ident is None:
        return None
    ind = store.indicator(data, ident)
    deps = departements(data, region)
    obs = data.observations
    sub = obs[(obs["indicator"] == ident) & obs["territory"].isin([d["code"] for d in deps])]
    period = sub["period"].max()
    at = {r["territory"]: r for _, r in sub[sub["period"] == period].iterrows()}
    classes, legend = classify([float(r["value"]) for r in at.values()], ind["unit"])
    items = []
    for d in deps:
        r = at.get(d["code"])
        if r is None:
            items.append({**d, "value": None, "value_text": "pas de donnée", "status": None, "klass": None})
            continue
        v = float(r["value"])
        items.append({**d, "value": v, "value_text": fmt.value(v, ind["unit"]), "status": r["status"],
                      "klass": classes[v]})
    return {"indicator": ident, "label": ind["label"], "unit": ind["unit"], "period": period,
            "period_text": fmt.quarter(period), "items": items, "legend": legend,
            "has_demo": any(i["status"] == "demo" for i in items),
            "valued": sum(1 for i in items if i["value"] is not None)}


@lru_cache(maxsize=8)
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

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'font-family="Marianne, Arial, sans-serif">',
             '<defs><pattern id="h" width="12" height="12" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="12" height="12" fill="#f0f0f0"/>'
             '<line x1="0" y1="0" x2="0" y2="12" stroke="#9a9a9a" stroke-width="3"/></pattern></defs>']
    labels = []
    for item in content["items"]:
        polys = shapes.get(item["code"])
        if not polys:
            continue
        fill = "url(#h)" if item["klass"] is None else PALETTE[item["klass"]]
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
        parts.append(f'<path d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"/>')
        cx = sum(p[0] for p in biggest) / len(biggest)
        cy = sum(p[1] for p in biggest) / len(biggest)
        ink = "#161616" if item["klass"] is None else TEXT_ON[item["klass"]]
        halo = "#ffffff" if ink == "#161616" else "#08306b"
        name = _xml(item["name"])
        value = _xml(item["value_text"] if item["value"] is not None else "–")
        labels.append(
            f'<g text-anchor="middle" fill="{ink}" stroke="{halo}" stroke-width="5" paint-order="stroke" '
            f'stroke-linejoin="round"><text x="{cx:.0f}" y="{cy - 4:.0f}" font-size="25" font-weight="700">{name}</text>'
            f'<text x="{cx:.0f}" y="{cy + 30:.0f}" font-size="32" font-weight="700">{value}</text></g>')
    parts += labels + ["</svg>"]
    return "".join(parts)


def _xml(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@lru_cache(maxsize=4)   # per (store version, region): a Store is immutable
def spotlights(data: store.Store, region: str) -> list[dict]:
    """One sheet per département of the region: population, communes, EPCI, its latest values and a
    local initiative, all from the store."""
    t = data.territories
    sheets = []
    deps = departements(data, region)
    codes = [d["code"] for d in deps]
    obs = data.observations[data.observations["territory"].isin(codes)]
    for d in deps:
        code = d["code"]
        communes = t[(t["level"] == "commune") & (t["departement"] == code)]
        epci = t[(t["level"] == "epci") & (t["departement"] == code)]
        facts = []
        for ident in data.indicators.index:
            last, _ = _latest(data, ident, code) if len(obs[obs["territory"] == code]) else (None, None)
            if last is None:
                continue
            ind = data.indicators.loc[ident]
            facts.append({"label": ind["short_label"] or ind["label"], "value_text": fmt.value(last["value"], ind["unit"]),
                          "period_text": fmt.quarter(last["period"]), "status": last["status"],
                          "note": last["note"]})
        ini = data.initiatives
        local = ini[(ini["territory"] == code) | ini["territory"].isin(communes["code"])]
        initiative = None
        if len(local):
            r = local.sort_values("year", ascending=False).iloc[0]
            initiative = {"title": r["title"], "text": r["text"], "year": int(r["year"]), "source": r["source"]}
        sheets.append({"code": code, "name": d["name"],
                       "population_text": fmt.number(d["population"]) if d["population"] == d["population"] else "–",
                       "communes_text": fmt.number(len(communes)), "epci_text": fmt.number(len(epci)),
                       "facts": facts[:4], "initiative": initiative})
    return sheets


@lru_cache(maxsize=4)   # per (store version, region): a Store is immutable
def quarter_summary(data: store.Store, region: str) -> dict:
    """« Ce trimestre » in plain French: what the latest quarter's regional figures say."""
    q = store.latest_quarter(data)
    if q is None:
        return {"quarter_text": None, "sentences": []}
    sentences = []
    for ident, row in data.indicators.iterrows():
        last, prev = _latest(data, ident, region)
        if last is None or last["period"] != q:
            continue
        unit = row["unit"]
        label = (row["short_label"] or row["label"])
        text = f"{label} : {fmt.value(last['value'], unit)}"
        if prev is not None:
            diff = last["value"] - prev["value"]
            if diff == 0:
                text += f", stable depuis {fmt.quarter(prev['period'])}"
            else:
                amount = fmt.signed(diff, 1 if unit == "%" else 0) + (" points" if unit == "%" else "")
                text += f", soit {amount} depuis {fmt.quarter(prev['period'])}"
        target = store.target(data, ident, region)
        if target and target["value"] and last["value"] < target["value"]:
            gap = target["value"] - last["value"]
            text += (f". Il reste {fmt.number(gap, 0) + ' points' if unit == '%' else fmt.value(gap, unit, 0)} à gagner pour "
                     f"atteindre la cible de {fmt.value(target['value'], unit, 0)} en {fmt.quarter(target['period'])}")
        elif target and target["value"]:
            text += f". La cible de {fmt.value(target['value'], unit, 0)} est atteinte"
        sentences.append({"text": text + ".", "status": last["status"]})
    return {"quarter": q, "quarter_text": fmt.quarter(q), "sentences": sentences[:5]}


def sources(data: store.Store, limit: int = 6) -> list[str]:
    """Distinct sources of the stored values, most used first."""
    counts = data.observations["source"].value_counts()
    return [s for s in counts.index[:limit]]


def status_counts(data: store.Store) -> dict[str, int]:
    return {k: int(v) for k, v in data.observations["status"].value_counts().items()}
