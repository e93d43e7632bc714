"""Small helpers shared by the CSV readers: strict decoding and header checks with positions."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import InputError


def read_text(path: Path, encodings: tuple[str, ...] = ("utf-8-sig",)) -> str:
    """Decode a text file strictly; the error names the first undecodable byte's line and column."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "fichier vide : un en-tête et au moins une ligne de données attendus", 1, 1)
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            last = exc
    line = data[: last.start].count(b"\n") + 1
    col = last.start - (data.rfind(b"\n", 0, last.start) + 1) + 1
    raise InputError(path, f"encodage invalide : {' ou '.join(e.replace('-sig', '') for e in encodings)} attendu "
                           f"(octet 0x{data[last.start]:02x} illisible)", line, col)


def rows(path: Path, text: str, expected: list[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Parse CSV text with ``,`` or ``;`` (guessed from the header) and check the header.

    Returns the separator and the data rows with their 1-based line numbers.
    """
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(path, "fichier vide", 1, 1) from None
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError(path, f"en-tête attendu en ligne 1 : {','.join(expected)} ; colonne(s) manquante(s) : "
                               f"{', '.join(missing)} (trouvé : {','.join(header)})", 1, missing[0])
    out = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(header)} valeurs attendues (comme l'en-tête), {len(row)} trouvées",
                             reader.line_num, len(row) if len(row) < len(header) else len(header) + 1)
        out.append((reader.line_num, dict(zip(header, (c.strip() for c in row)))))
    return sep, out


def number(path: Path, raw: str, sep: str, line: int, column: str) -> float:
    text = raw.replace("\u202f", "").replace(" ", "")
    if sep == ";":
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise InputError(path, f"nombre attendu, reçu {raw!r}", line, column) from None
