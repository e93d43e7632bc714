"""Reading CSV files as the State publishes them and as people re-save them.

One way to read a CSV for every reader (baromètre DITP/Etalab, mapping, plan table, initiatives,
territorial reference):

- strict UTF-8, with or without BOM (a bad byte is reported at its line and column);
- the separator is guessed from the header line: ``,`` as published, ``;`` as a French Excel saves
  it, or a tab; with ``;`` or a tab the decimal comma is accepted (``12,5``), never with ``,``
  where ``"1,234"`` could be a thousands separator;
- every error of the ``csv`` module becomes an InputError at its line: a quote never closed, a
  stray character after a closing quote, a NUL byte; a field longer than FIELD_MAX is reported
  too, and so is a quoted field that swallowed whole data rows (a quote opened by mistake and
  closed further down).

Also here: the date and quarter spellings accepted in these files (ISO dates with or without a
time, ``JJ/MM/AAAA`` as Excel writes them, quarters ``2023Q4`` or ``T4 2023``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from . import _common

SEPARATORS = (",", ";", "\t")
# No cell of these files (codes, numbers, labels, notes) comes near it; Excel itself caps a cell
# at 32 767 characters. A longer field is a corrupted file or a quote opened and never closed.
FIELD_MAX = 65_536

_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_DATE_FR = re.compile(r"(\d{2})/(\d{2})/(\d{4})(?: \d{2}:\d{2}(?::\d{2})?)?")
# 2023Q4 (stored form) or T4 2023 (as French users write it; Q4 2023 too); case and spaces ignored
_QUARTER_STORED = re.compile(r"(\d{4})Q([1-4])")
_QUARTER_FRENCH = re.compile(r"[TQ]([1-4])\s+(\d{4})")


def separator(first_line: str) -> str:
    """The separator of a CSV, from its header line: the most frequent of ``,`` ``;`` tab (``,`` on a tie)."""
    counts = [(first_line.count(s), -i) for i, s in enumerate(SEPARATORS)]
    best = max(counts)
    return SEPARATORS[-best[1]] if best[0] else ","


def read_text(path: Path) -> tuple[str, str]:
    """(text, separator) of a CSV file: strict UTF-8 (BOM allowed); may be empty."""
    data = _common.read_bytes(path)
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = separator(first)
    header = [h.strip() for h in first.split(sep)]
    text = _common.decode_utf8(path, data, sep, header)
    if "\0" in text:  # the csv module reads NUL bytes silently since Python 3.11
        pos = text.index("\0")
        start = text.rfind("\n", 0, pos) + 1
        field, _ = _field_at(text[start:pos], sep)
        raise InputError(path, "caractère nul (octet 0x00) : fichier binaire ou corrompu, un CSV texte est attendu",
                         text.count("\n", 0, pos) + 1, _column(header, field))
    return text, sep


def _field_at(line: str, sep: str, stray: bool = False) -> tuple[int, bool]:
    """(index of the field at the end of ``line``, inside quotes there?); with ``stray``, stop at the
    first closing quote followed by something else than the separator (the csv module's complaint)."""
    field, quoted = 0, False
    for i, ch in enumerate(line):
        if ch == '"':
            if quoted and stray and line[i + 1:i + 2] not in ("", sep, '"', "\r"):
                return field, True
            quoted = not quoted
        elif ch == sep and not quoted:
            field += 1
    return field, quoted


def _column(header: list[str] | None, index: int) -> str | int:
    return header[index].strip() if header and index < len(header) and header[index].strip() else index + 1


def records(path: Path, text: str, sep: str):
    """Yield (line, fields) for each record, the first being the header; line is the record's first line.

    Raises InputError at the line (and column) of any malformed record.
    """
    lines = text.splitlines()
    # The whole file is in memory already: let the csv module read any field, then judge its size here.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for fields in reader:
            end = reader.line_num
            _check_record(path, fields, header, start, end, lines, sep)
            if header is None:
                header = fields
            yield start, fields
            start = end + 1
    except csv.Error as exc:
        raise _csv_error(path, exc, header, start, reader.line_num, lines, sep) from None


def _check_record(path, fields, header, start, end, lines, sep) -> None:
    for j, value in enumerate(fields):
        if len(value) > FIELD_MAX:
            raise InputError(path, f"champ de {len(value):,} caractères (au plus {FIELD_MAX:,} attendus) : fichier "
                                   f"corrompu ou guillemet ouvert sans être refermé".replace(",", " "),
                             start, _column(header, j))
    if end == start or header is None:
        return
    # A quote opened by mistake and closed further down turns the rows in between into one field:
    # a field holding a line with as many separators as a data row is such a swallow.
    for j, value in enumerate(fields):
        inner = value.splitlines()[1:]
        if any(part.count(sep) >= len(header) - 1 for part in inner) and len(header) > 1:
            raise InputError(path, f"guillemet ouvert dans ce champ et refermé seulement ligne {end} : les lignes "
                                   f"{start + 1} à {end} ont été avalées dans un seul champ (guillemet en trop ?)",
                             start, _column(header, j))


def _csv_error(path, exc: csv.Error, header, start: int, line_num: int, lines: list[str], sep: str) -> InputError:
    text = str(exc)
    if "end of data" in text or "unexpected end" in text:
        field, _ = _field_at(lines[start - 1] if start - 1 < len(lines) else "", sep)
        return InputError(path, "guillemet ouvert jamais refermé : la fin du fichier est atteinte dans ce champ "
                                "(toutes les lignes suivantes y ont été avalées)", start, _column(header, field))
    line = lines[line_num - 1] if 0 < line_num <= len(lines) else ""
    if "expected after" in text and line_num > start:
        # The quote that went wrong is the one opened on the record's first line, not this one.
        field, _ = _field_at(lines[start - 1], sep)
        return InputError(path, f"guillemet ouvert dans ce champ et jamais refermé correctement : les lignes "
                                f"{start + 1} à {line_num} ont été avalées dans un seul champ "
                                f"(guillemet en trop ?)",
                          start, _column(header, field))
    if "expected after" in text:
        field, _ = _field_at(line, sep, stray=True)
        return InputError(path, f"caractère inattendu après un guillemet fermant (attendu le séparateur "
                                f"« {sep if sep != chr(9) else 'tabulation'} » ou la fin de ligne ; un guillemet "
                                f"dans un champ s'écrit \"\")", line_num, _column(header, field))
    return InputError(path, f"CSV illisible ({text})", line_num, 1)


@dataclass
class Table:
    path: Path
    sep: str
    header: list[str]
    rows: list[tuple[int, list[str]]]       # data records, blank ones left out

    @property
    def decimal_comma(self) -> bool:
        return self.sep != ","


def read_table(path: Path) -> Table:
    """The header (stripped, BOM removed) and the non-blank data records of a CSV file; header [] if empty."""
    text, sep = read_text(path)
    recs = records(path, text, sep)
    _line, header = next(recs, (1, []))
    header = [h.strip().lstrip("\ufeff").strip('"') for h in header]
    rows = [(line, fields) for line, fields in recs if any(f.strip() for f in fields)]
    return Table(Path(path), sep, header, rows)


def rows(path: Path, expected: list[str]) -> tuple[Table, list[tuple[int, dict]]]:
    """The project's own formats: check the header holds ``expected`` and every row has as many values
    as the header; return the table and the rows as dicts (values stripped) with their line numbers."""
    table = read_table(path)
    if not table.header or not any(table.header):
        raise InputError(path, "fichier vide : un en-tête et au moins une ligne de données attendus", 1, 1)
    missing = [c for c in expected if c not in table.header]
    if missing:
        raise InputError(path, f"en-tête attendu en ligne 1 : {','.join(expected)} ; colonne(s) manquante(s) : "
                               f"{', '.join(missing)} (trouvé : {','.join(table.header)})", 1, missing[0])
    out = []
    for line, row in table.rows:
        check_width(path, table.header, row, line)
        out.append((line, dict(zip(table.header, (c.strip() for c in row)))))
    return table, out


def check_width(path: Path, header: list[str], row: list[str], line: int) -> None:
    if len(row) != len(header):
        raise InputError(path, f"{len(header)} valeurs attendues (comme l'en-tête), {len(row)} trouvées", line,
                         _column(header, len(row)) if len(row) < len(header) else len(header) + 1)


def parse_number(raw: str, decimal_comma: bool) -> float | None:
    """``"383.0"`` / ``"1 234"`` -> float, ``""`` -> None; ``"12,5"`` only when the decimal comma is allowed.

    Raises ValueError on anything else (a comma-separated file cannot tell ``"1,234"`` from 1.234)."""
    if not decimal_comma and "," in raw:
        raise ValueError(raw)
    return _common.parse_number(raw)


def number(path: Path, raw: str, sep: str, line: int, column: str) -> float:
    """A required number of the project's tables (plan): decimal comma with ``;`` (French Excel)."""
    try:
        value = parse_number(raw, sep != ",")
    except ValueError:
        value = None
    if value is None:
        raise InputError(path, f"nombre attendu, reçu {raw!r}", line, column)
    return value


def parse_date(text: str) -> dt.date:
    """``2023-12-01``, ``2023-12-01T00:00:00``, ``2023-12-01 00:00:00`` or ``01/12/2023`` -> date;
    raises ValueError otherwise (impossible dates included)."""
    text = text.strip()
    m = _DATE_ISO.fullmatch(text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE_FR.fullmatch(text)
    if m:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    raise ValueError(text)


def parse_quarter(text: str) -> str:
    """``2023Q4``, ``T4 2023``, ``t4 2023``… -> ``"2023Q4"``; raises ValueError otherwise."""
    text = str(text).replace("\u00a0", " ").strip().upper()
    m = _QUARTER_STORED.fullmatch(text)
    if m:
        return f"{m.group(1)}Q{m.group(2)}"
    m = _QUARTER_FRENCH.fullmatch(text)
    if m:
        return f"{m.group(2)}Q{m.group(1)}"
    raise ValueError(text)
