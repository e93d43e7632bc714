"""What a file no reader recognises looks like, in words a user can act on.

A build never skips such a file silently: a cron job would report success with the year's APL missing.
The build fails naming the file and this description, unless ``sources.toml`` lists it under ``ignore``.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

SIGNATURES = {b"%PDF": "un PDF", b"\xd0\xcf\x11\xe0": "un ancien classeur Excel (.xls) ou document Office",
              b"PK\x03\x04": "une archive ZIP", b"\x89PNG": "une image PNG", b"\xff\xd8\xff": "une image JPEG",
              b"PAR1": "un fichier Parquet", b"SQLite format 3": "une base SQLite"}
APL_HINTS = ("code commune insee", "apl aux médecins")
HEAD_BYTES = 65536


def describe(path: Path) -> str:
    """One French phrase: « classeur sans feuille « APL AAAA » : feuilles trouvées APL_2022 », « fichier binaire
    (un PDF) nommé .csv », « feuille APL enregistrée en CSV … », « texte non reconnu : première ligne « … » »."""
    path = Path(path)
    head = path.read_bytes()[:HEAD_BYTES]
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() in (".xlsx", ".xlsm"):
        return _workbook(path)
    kind = next((label for magic, label in SIGNATURES.items() if head.startswith(magic)), None)
    if kind or b"\x00" in head:
        return (f"fichier binaire ({kind or 'contenu non textuel'}) nommé « {path.suffix or 'sans extension'} » : "
                f"pas un format de données reconnu (fichier renommé ?)")
    text = _decode(head)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(hint in text.lower() for hint in APL_HINTS):
        return ("feuille APL de la DREES enregistrée en CSV (« CSV séparateur point-virgule » d'Excel) : le "
                "millésime (nom de la feuille « APL AAAA ») est perdu ; déposer le classeur .xlsx officiel")
    first = lines[0][:120] if lines else ""
    return f"texte non reconnu (première ligne « {first} ») : aucun lecteur ne connaît ces colonnes"


def _workbook(path: Path) -> str:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return f"classeur Excel illisible ({type(exc).__name__})"
    try:
        names = list(wb.sheetnames)
    finally:
        wb.close()
    found = ", ".join(names) or "aucune"
    if any(re.search(r"apl", n, re.IGNORECASE) for n in names):
        return f"classeur sans feuille « APL AAAA » : feuilles trouvées {found} (feuille renommée ?)"
    return f"classeur Excel non reconnu : feuilles trouvées {found}"


def _decode(head: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return head.decode("latin-1")
