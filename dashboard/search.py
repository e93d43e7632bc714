"""Find a territory by name or code: accent- and case-insensitive, ranked (pure functions over a Store).

``search(store, "st etienne")`` finds Saint-Étienne; ``"42218"`` its INSEE code; ``"Rouget"`` Le Rouget-Pers.
Ranking: exact code, exact name, name prefix, code prefix, every word of the query starting a word of the name,
substring; then bigger levels first (région before commune), then bigger populations.
"""
from __future__ import annotations

import re
import unicodedata

from . import settings, store as store_mod
from .cache import per_version
from .territory import LEVEL_LABELS, LEVELS, is_code

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_SEPARATORS = re.compile(r"[\s\-‐‑–—'’`´.,;/()_]+")
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}


def normalise(text: object) -> str:
    """Lowercase, no accents, hyphens/apostrophes as spaces, "st" → "saint", "ste" → "sainte"."""
    if not isinstance(text, str):
        return ""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = [w for w in _SEPARATORS.split(text) if w]
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


@per_version(maxsize=4)
def _index(data: store_mod.Store) -> list[tuple]:
    """(code, native code, normalised name, words, level, population, name, context) per territory."""
    t = data.territories
    names = dict(zip(t["code"], t["name"]))
    rows = []
    for code, level, name, dep, region, pop in zip(t["code"], t["level"], t["name"], t["departement"],
                                                   t["region"], t["population"]):
        norm = normalise(name)
        parent = dep if isinstance(dep, str) else (region if isinstance(region, str) else None)
        context = names.get(parent, "") if parent else ""
        native = code if code == "FR" else code[1:]
        population = int(pop) if pop == pop and pop is not None else 0
        rows.append((code, native, norm, tuple(norm.split()), level, population, name, context))
    return rows


def _match_rank(query_norm: str, query_code: str, words: list[str], row: tuple) -> int | None:
    code, native, norm, name_words = row[0], row[1], row[2], row[3]
    if query_code and (query_code == code or query_code == native):
        return 0
    if not query_norm:
        return None
    if norm == query_norm:
        return 1
    if norm.startswith(query_norm):
        return 2
    if query_code and len(query_code) >= 2 and (code.startswith(query_code) or native.startswith(query_code)):
        return 3
    if words and all(any(nw.startswith(w) for nw in name_words) for w in words):
        return 4
    if len(query_norm) >= 3 and query_norm in norm:
        return 5
    return None


def search(data: store_mod.Store, query: object, limit: int = 8) -> list[dict]:
    """Territories matching ``query``, best first (at most ``limit``); [] for an empty or too long query."""
    if not isinstance(query, str):
        return []
    query = query.strip()[:80]
    query_norm = normalise(query)
    query_code = re.sub(r"\s+", "", query).upper()
    if not re.fullmatch(r"[A-Z0-9]{1,11}", query_code):
        query_code = ""
    if not query_norm and not query_code:
        return []
    words = query_norm.split()
    found = []
    for row in _index(data):
        rank = _match_rank(query_norm, query_code, words, row)
        if rank is not None:
            found.append((rank, LEVEL_RANK.get(row[4], 9), -row[5], row[6], row))
    found.sort(key=lambda f: f[:4])
    return [_result(f[4]) for f in found[:max(0, int(limit))]]


def _result(row: tuple) -> dict:
    code, _native, _norm, _words, level, population, name, context = row
    return {"code": code, "name": name, "level": level, "level_label": LEVEL_LABELS.get(level, level),
            "population": population, "context": context, "href": f"/territoire/{code}"}


def suggest_for_code(data: store_mod.Store, text: object, limit: int = 5) -> list[dict]:
    """Suggestions for an unknown or malformed territory code (``d15``, ``15``, ``15014``, a name…)."""
    if not isinstance(text, str):
        return []
    text = text.strip()[:80]
    upper = text.upper()
    candidates = []
    if is_code(upper) and store_mod.territory(data, upper):
        candidates.append(upper)
    if upper.isdigit():
        for prefix in ("D", "C", "R", "E"):
            if store_mod.territory(data, prefix + upper):
                candidates.append(prefix + upper)
    results = [_result(row) for row in _index(data) if row[0] in candidates]
    seen = {r["code"] for r in results}
    results += [r for r in search(data, text, limit) if r["code"] not in seen]
    if not results:      # nothing alike: the region followed and France, so the page always offers a way on
        for code in (_region(data), "FR"):
            t = store_mod.territory(data, code)
            if t:
                results.append({"code": code, "name": t["name"], "level": t["level"],
                                "level_label": LEVEL_LABELS[t["level"]], "population": int(t["population"]),
                                "context": "", "href": f"/territoire/{code}"})
    return results[:limit]


def _region(data: store_mod.Store) -> str:
    region = data.manifest.get("region")
    return region if isinstance(region, str) and region else settings.current().region


def label(result: dict) -> str:
    """« Saint-Étienne — Commune (Loire) »: what a suggestion reads."""
    text = f"{result['name']} — {result['level_label']}"
    return text + (f" ({result['context']})" if result.get("context") else "")
