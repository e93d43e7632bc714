"""Header and row checks for the project's own CSV formats (plan table, initiatives).

Decoding and number parsing are the open-data readers' (``_common``): one way to read text.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import _common


def read_text(path: Path) -> str:
    """Strict UTF-8 text; an empty file or a bad byte is an InputError with its position."""
    data = _common.read_bytes(path)
    if not data.strip():
        raise InputError(path, "fichier vide : un en-tête et au moins une ligne de données attendus", 1, 1)
    first = data.split(b"\n", 1)[0]
    sep = ";" if first.count(b";") > first.count(b",") else ","
    header = first.decode("utf-8", errors="replace").strip().lstrip("\ufeff").split(sep)
    return _common.decode_utf8(path, data, sep, header)


def rows(path: Path, text: str, expected: list[str]) -> tuple[str, list[tuple[int, dict]]]:
    """Check the header (``,`` or ``;`` guessed from it) and return the separator and the data rows
    as dicts with their 1-based line numbers."""
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") > first.count(",") else ","
    records = _common.csv_rows(text, sep)
    _line, header = next(records, (1, []))
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError(path, f"en-tête attendu en ligne 1 : {','.join(expected)} ; colonne(s) manquante(s) : "
                               f"{', '.join(missing)} (trouvé : {','.join(header)})", 1, missing[0])
    out = []
    for line, row in records:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(header)} valeurs attendues (comme l'en-tête), {len(row)} trouvées",
                             line, len(row) if len(row) < len(header) else len(header) + 1)
        out.append((line, dict(zip(header, (c.strip() for c in row)))))
    return sep, out


def number(path: Path, raw: str, sep: str, line: int, column: str) -> float:
    """A required number; with the ``;`` separator (French Excel) the decimal comma is accepted."""
    text = raw if sep == ";" else raw.replace(",", "!")   # "12,5" is not a number in a comma-separated file
    try:
        value = _common.parse_number(text)
    except ValueError:
        value = None
    if value is None:
        raise InputError(path, f"nombre attendu, reçu {raw!r}", line, column)
    return value
