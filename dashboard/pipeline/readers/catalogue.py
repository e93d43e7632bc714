"""Indicator catalogue (``indicators.toml``) -> indicators and targets tables.

Besides the published fields, the catalogue declares what a plausible value is (see
``dashboard.pipeline.plausibility``): ``min`` / ``max`` (defaults by unit, UNIT_BOUNDS),
``bounds_note`` (why), ``scale_factor`` (a value more than this factor times the previous millésime's
median is impossible; default: the top-level ``scale_factor``, else plausibility.DEFAULT_SCALE_FACTOR)
and ``jump_factor`` (a change by more than this factor from one observation to the next is reported as
a warning; default: the catalogue's top-level ``jump_factor``, else DEFAULT_JUMP_FACTOR).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ... import periods, territory
from ..contribution import Contribution
from .. import plausibility
from ..errors import InputError
from . import _common, csvutil

REQUIRED = ("id", "label", "short_label", "unit", "polarity", "levels", "frequency", "definition",
            "source", "public", "plan", "theme")
UNITS = ("nombre", "%", "consultations/hab./an")
POLARITIES = ("higher", "lower", "none")
# Impossible values when the indicator does not say: a count is never negative, a share of the
# population lies between 0 and 100 %, an APL is never negative. No upper bound on an APL: a ski
# resort's is 40 in 2023 (consultations available per inhabitant); the soft checks flag it.
UNIT_BOUNDS = {"nombre": (0.0, None), "%": (0.0, 100.0), "consultations/hab./an": (0.0, None)}
# A lost decimal point or a unit mix-up multiplies a value by 10, 100 or 1000; real series (counts
# of MSP, coverage shares, APL) do not move by a factor 5 from one observation to the next.
DEFAULT_JUMP_FACTOR = 5.0
BOUND_COLUMNS = ["min", "max", "bounds_note", "jump_factor", "scale_factor"]
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,60}$")


def sniff(path: Path) -> bool:
    if path.suffix != ".toml":
        return False
    try:
        head = path.read_text(encoding="utf-8")[:20000]
    except (OSError, UnicodeDecodeError):
        return False
    return "[[indicator]]" in head


def _line_of(text: str, ident: str, key: str | None = None) -> int | None:
    """Line (1-based) of an indicator's ``id = "…"`` (or of ``key`` after it) for error messages."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(rf'^\s*id\s*=\s*"{re.escape(ident)}"', l)), None)
    if start is None:
        return None
    if key:
        for j in range(start, len(lines)):
            if lines[j].startswith("[[") and j > start:
                break
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[j]):
                return j + 1
    return start + 1


def read(path: Path, options: dict | None = None) -> Contribution:
    text, doc = _common.read_toml(path)
    items = doc.get("indicator")
    if not items or not isinstance(items, list):
        raise InputError(path, "aucun bloc [[indicator]] : catalogue vide")
    default_jump = doc.get("jump_factor", DEFAULT_JUMP_FACTOR)
    if not _number(default_jump) or default_jump <= 1:
        raise InputError(path, f"jump_factor attendu : un nombre supérieur à 1 (ex. 5), reçu {default_jump!r}",
                         _top_line(text, "jump_factor"), "jump_factor")
    default_scale = doc.get("scale_factor", plausibility.DEFAULT_SCALE_FACTOR)
    if not _number(default_scale) or default_scale <= 1:
        raise InputError(path, f"scale_factor attendu : un nombre supérieur à 1 (ex. 1000), reçu {default_scale!r}",
                         _top_line(text, "scale_factor"), "scale_factor")
    defaults = {"jump_factor": float(default_jump), "scale_factor": float(default_scale)}
    rows, targets, milestones, seen = [], [], [], set()
    for order, item in enumerate(items):
        ident = item.get("id", "")
        if not isinstance(ident, str) or not _ID_RE.match(ident):
            raise InputError(path, f"identifiant attendu en minuscules_et_soulignés, reçu {ident!r}",
                             None, "id")
        where = lambda key=None: _line_of(text, ident, key)  # noqa: E731 — small local helper
        if ident in seen:
            raise InputError(path, f"indicateur {ident!r} défini deux fois", where(), "id")
        seen.add(ident)
        for key in REQUIRED:
            if key not in item:
                raise InputError(path, f"indicateur {ident!r} : champ obligatoire {key!r} manquant", where(), key)
        if item["unit"] not in UNITS:
            raise InputError(path, f"unité attendue parmi {', '.join(UNITS)}, reçu {item['unit']!r}",
                             where("unit"), "unit")
        if item["polarity"] not in POLARITIES:
            raise InputError(path, f"polarité attendue parmi {', '.join(POLARITIES)}, reçu {item['polarity']!r}",
                             where("polarity"), "polarity")
        if item["frequency"] not in periods.FREQUENCY_QUARTERS:
            raise InputError(path, "fréquence attendue parmi trimestre, semestre, année, "
                                   f"reçu {item['frequency']!r}", where("frequency"), "frequency")
        levels = item["levels"] if isinstance(item["levels"], list) else [item["levels"]]
        bad = [lv for lv in levels if lv not in territory.LEVELS]
        if bad or not isinstance(item["levels"], list) or not levels:
            raise InputError(path, f"niveaux attendus (une liste) parmi {', '.join(territory.LEVELS)}, "
                                   f"reçu {item['levels']!r}",
                             where("levels"), "levels")
        for key in ("public", "plan", "entry"):
            if not isinstance(item.get(key, False), bool):
                raise InputError(path, f"{key} attendu true ou false", where(key), key)
        # entry (optional): collected each quarter from the départements on the « Saisie » page
        rows.append({**{k: item[k] for k in REQUIRED}, "levels": "|".join(item["levels"]), "order": order,
                     "entry": item.get("entry", False), **_bounds(path, item, defaults, where)})
        if not isinstance(item.get("targets", []), list):
            raise InputError(path, "targets attendu : une liste de { territory, value, period, source }",
                             where("targets"), "targets")
        for t in item.get("targets", []):
            try:
                if not isinstance(t, dict) or not territory.is_code(t["territory"]):
                    raise ValueError(f"code de territoire invalide {t['territory']!r}")
                period = csvutil.parse_quarter(t["period"])
                value = float(t["value"])
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                raise InputError(path, f"cible de {ident!r} invalide (attendu territory, value, period "
                                       f"AAAAQn, source) : {exc}", where("targets"), "targets") from None
            targets.append({"indicator": ident, "territory": t["territory"], "period": period,
                            "value": value, "source": t.get("source", item["source"]),
                            "_file": str(path), "_row": where("targets"), "_column": "targets"})
            milestones += _milestones(path, ident, t, where("targets"))
    indicators = pd.DataFrame(rows)
    for col in ("min", "max", "jump_factor", "scale_factor"):
        indicators[col] = indicators[col].astype(float)
    return Contribution(
        source="Catalogue des indicateurs", file=str(path), millesime=str(doc.get("catalogue_version", "")),
        rows=len(rows), indicators=indicators,
        targets=pd.DataFrame(targets, columns=["indicator", "territory", "period", "value", "source",
                                              "_file", "_row", "_column"]),
        milestones=pd.DataFrame(milestones, columns=["indicator", "territory", "period", "value", "source"]),
    )


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _top_line(text: str, key: str) -> int | None:
    return next((i + 1 for i, l in enumerate(text.splitlines()) if re.match(rf"^\s*{key}\s*=", l)), None)


def _bounds(path: Path, item: dict, defaults: dict, where) -> dict:
    """min / max (unit defaults), bounds_note, jump_factor and scale_factor of one indicator, checked."""
    low, high = UNIT_BOUNDS[item["unit"]]
    low, high = item.get("min", low), item.get("max", high)
    for key, value in (("min", low), ("max", high)):
        if value is not None and not _number(value):
            raise InputError(path, f"{key} attendu : un nombre (borne plausible), reçu {value!r}", where(key), key)
    if low is not None and high is not None and low >= high:
        raise InputError(path, f"bornes plausibles incohérentes : min {low} ≥ max {high}", where("max"), "max")
    factors = {}
    for key, example in (("jump_factor", 5), ("scale_factor", 1000)):
        factor = item.get(key, defaults[key])
        if not _number(factor) or factor <= 1:
            raise InputError(path, f"{key} attendu : un nombre supérieur à 1 (ex. {example}), reçu {factor!r}",
                             where(key), key)
        factors[key] = float(factor)
    note = item.get("bounds_note", "")
    if not isinstance(note, str):
        raise InputError(path, "bounds_note attendu : un texte", where("bounds_note"), "bounds_note")
    return {"min": float("nan") if low is None else float(low), "max": float("nan") if high is None else float(high),
            "bounds_note": note, **factors}


def _milestones(path: Path, ident: str, target: dict, line: int | None) -> list[dict]:
    """A target's optional ``milestones = [{period = "2024Q4", value = 420}, …]``: intermediate values on the
    way to it (e.g. one per year), each before the target's own quarter."""
    out = []
    for m in target.get("milestones", []):
        try:
            period = csvutil.parse_quarter(m["period"])
            value = float(m["value"])
            if period >= csvutil.parse_quarter(target["period"]):
                raise ValueError(f"jalon {m['period']} au-delà de l'échéance de la cible {target['period']}")
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InputError(path, f"jalon de {ident!r} invalide (attendu period AAAAQn, value) : {exc}",
                             line, "milestones") from None
        out.append({"indicator": ident, "territory": target["territory"], "period": period, "value": value,
                    "source": m.get("source", target.get("source", ""))})
    return out
