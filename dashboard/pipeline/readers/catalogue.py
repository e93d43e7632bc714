"""Indicator catalogue (``indicators.toml``) -> indicators and targets tables."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd

from ... import periods, territory
from ..contribution import Contribution
from ..errors import InputError

REQUIRED = ("id", "label", "short_label", "unit", "polarity", "levels", "frequency", "definition",
            "source", "public", "plan", "theme")
UNITS = ("nombre", "%", "consultations/hab./an")
POLARITIES = ("higher", "lower", "none")
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
    text = path.read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        raise InputError(path, f"TOML invalide : {exc}", int(m.group(1)) if m else None,
                         int(m.group(2)) if m else None) from None
    items = doc.get("indicator")
    if not items:
        raise InputError(path, "aucun bloc [[indicator]] : catalogue vide")
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
        bad = [lv for lv in item["levels"] if lv not in territory.LEVELS]
        if bad or not item["levels"]:
            raise InputError(path, f"niveaux attendus parmi {', '.join(territory.LEVELS)}, reçu {bad or '[]'}",
                             where("levels"), "levels")
        for key in ("public", "plan"):
            if not isinstance(item[key], bool):
                raise InputError(path, f"{key} attendu true ou false", where(key), key)
        rows.append({**{k: item[k] for k in REQUIRED}, "levels": "|".join(item["levels"]), "order": order})
        for t in item.get("targets", []):
            try:
                if not territory.is_code(t["territory"]):
                    raise ValueError(f"code de territoire invalide {t['territory']!r}")
                periods.parse(t["period"])
                value = float(t["value"])
            except (KeyError, ValueError, TypeError) as exc:
                raise InputError(path, f"cible de {ident!r} invalide (attendu territory, value, period "
                                       f"AAAAQn, source) : {exc}", where("targets"), "targets") from None
            targets.append({"indicator": ident, "territory": t["territory"], "period": t["period"],
                            "value": value, "source": t.get("source", item["source"])})
            milestones += _milestones(path, ident, t, where("targets"))
    indicators = pd.DataFrame(rows)
    return Contribution(
        source="Catalogue des indicateurs", file=str(path), millesime=str(doc.get("catalogue_version", "")),
        rows=len(rows), indicators=indicators,
        targets=pd.DataFrame(targets, columns=["indicator", "territory", "period", "value", "source"]),
        milestones=pd.DataFrame(milestones, columns=["indicator", "territory", "period", "value", "source"]),
    )


def _milestones(path: Path, ident: str, target: dict, line: int | None) -> list[dict]:
    """A target's optional ``milestones = [{period = "2024Q4", value = 420}, …]``: intermediate values on the
    way to it (e.g. one per year), each before the target's own quarter."""
    out = []
    for m in target.get("milestones", []):
        try:
            periods.parse(m["period"])
            value = float(m["value"])
            if m["period"] >= target["period"]:
                raise ValueError(f"jalon {m['period']} au-delà de l'échéance de la cible {target['period']}")
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(path, f"jalon de {ident!r} invalide (attendu period AAAAQn, value) : {exc}",
                             line, "milestones") from None
        out.append({"indicator": ident, "territory": target["territory"], "period": m["period"], "value": value,
                    "source": m.get("source", target.get("source", ""))})
    return out
