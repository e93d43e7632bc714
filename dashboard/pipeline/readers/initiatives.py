"""Local initiatives worth knowing before a visit (``territoire,titre,texte,annee,source``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import territory
from ..contribution import Contribution
from ..errors import InputError
from . import csvutil

COLUMNS = ["territoire", "titre", "texte", "annee", "source"]


def sniff(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            return fh.readline().strip().replace(";", ",").replace("\t", ",").split(",") == COLUMNS
    except OSError:
        return False


def read(path: Path, options: dict | None = None) -> Contribution:
    _, rows = csvutil.rows(path, COLUMNS)
    records = []
    for line, row in rows:
        if not territory.is_code(row["territoire"]):
            raise InputError(path, f"code de territoire attendu, reçu {row['territoire']!r}", line, "territoire")
        if not row["annee"].isdigit() or not 1900 < int(row["annee"]) < 2100:
            raise InputError(path, f"année attendue (ex. 2023), reçu {row['annee']!r}", line, "annee")
        for col in ("titre", "source"):
            if not row[col]:
                raise InputError(path, f"{col} attendu (non vide)", line, col)
        records.append({"territory": row["territoire"], "title": row["titre"], "text": row["texte"],
                        "year": int(row["annee"]), "source": row["source"], "_file": str(path), "_row": line})
    return Contribution(source="Initiatives locales", file=str(path), rows=len(records),
                        initiatives=pd.DataFrame(records))
