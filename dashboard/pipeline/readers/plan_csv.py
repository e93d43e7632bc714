"""The project's plan-tracking table (format documented in data/raw/plan/README.md).

ARS staff fill it in each quarter for indicators that have no open data. Values are
checked here for form; their indicator and territory are checked by the build against
the catalogue and the territorial reference (errors still name this file's line).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import territory
from ...schema import STATUSES
from ..contribution import Contribution
from ..errors import InputError
from . import csvutil

COLUMNS = ["indicateur", "territoire", "trimestre", "valeur", "statut", "source", "note"]


def sniff(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            head = fh.readline().strip().replace(";", ",").replace("\t", ",")
    except OSError:
        return False
    # Lenient on purpose: a plan file with a misspelt column must be *recognised*, then rejected
    # with a precise message, rather than skipped as an unknown file.
    return len(set(h.strip().lower() for h in head.split(",")) & set(COLUMNS)) >= 3


def _quarter(path: Path, raw: str, line: int) -> str:
    try:
        return csvutil.parse_quarter(raw)
    except ValueError:
        raise InputError(path, f"trimestre attendu au format 2023Q4 ou « T4 2023 », reçu {raw!r}", line,
                         "trimestre") from None


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def read(path: Path, options: dict | None = None) -> Contribution:
    table, rows = csvutil.rows(path, COLUMNS[:6])
    records, seen = [], {}
    for line, row in rows:
        code = row["territoire"]
        if not territory.is_code(code):
            raise InputError(path, f"code de territoire attendu (FR, R84, D15, E200066389, C15014), reçu {code!r}",
                             line, "territoire")
        if not row["indicateur"]:
            raise InputError(path, "identifiant d'indicateur attendu", line, "indicateur")
        period = _quarter(path, row["trimestre"], line)
        value = csvutil.number(path, row["valeur"], table.sep, line, "valeur")
        status = row["statut"]
        if status not in STATUSES:
            raise InputError(path, f"statut attendu parmi {', '.join(STATUSES)}, reçu {status!r}", line, "statut")
        source = row.get("source", "")
        if status != "demo" and not source:
            raise InputError(path, f"source attendue pour une valeur {status} (document ou méthode)", line, "source")
        key = (row["indicateur"], code, period, source)
        if key in seen and seen[key][1] != value:
            # Two sources may disagree (both kept, one shown, the other cited in its note); one source cannot.
            raise InputError(path, f"deux valeurs différentes pour {row['indicateur']}, {code}, {period} de la même "
                                   f"source : {_num(seen[key][1])} en ligne {seen[key][0]} et {_num(value)} ici : une "
                                   f"seule peut être publiée", line, "valeur")
        if key in seen:
            raise InputError(path, f"ligne en double : même indicateur, territoire, trimestre et source qu'en "
                                   f"ligne {seen[key][0]}", line, "indicateur")
        seen[key] = (line, value)
        records.append({"indicator": row["indicateur"], "territory": code, "period": period, "value": value,
                        "status": status, "source": source or "Valeur de démonstration",
                        "note": row.get("note", ""),
                        # hand-filled: an unknown indicator or territory is an error at this cell, not a drop
                        "_file": str(path), "_row": line, "_column": "valeur", "_period_column": "trimestre",
                        "_hand": True})
    frame = pd.DataFrame(records)
    return Contribution(source="Tableau de suivi du plan", file=str(path), rows=len(records),
                        observations=frame, priority=30)
