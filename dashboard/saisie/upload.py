"""An uploaded plan-tracking file (CSV or XLSX) turned into a UTF-8 CSV the plan reader checks — bounded.

Nothing here trusts the file's name: the format is read from the bytes (an XLSX is a zip whose first part is a
``PK`` header; anything else is a CSV). Every limit of :class:`Limits` (from settings) is a refusal naming it:

* the file's size, before anything is read;
* an XLSX's parts, from the zip's directory *before* the workbook is opened: their total uncompressed size and
  each part's compression ratio (a « zip bomb » of 600 KB expanding to 1 GB is refused in milliseconds);
* rows and columns, while reading (a million-row file stops at the limit, it is not read to the end);
* a time budget, while reading.

Encodings of a CSV: UTF-8 (with or without BOM); bytes that are not UTF-8 are read as cp1252 (what Excel writes
on a French Windows) when they decode as such, else refused — never replaced by « � ».
"""
from __future__ import annotations

import csv
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..pipeline.errors import InputError

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_unzipped: int
    max_ratio: int
    max_rows: int
    max_columns: int
    seconds: float

    @classmethod
    def of(cls, conf) -> "Limits":
        return cls(conf.upload_max_bytes, conf.upload_max_unzipped, conf.upload_max_ratio, conf.upload_max_rows,
                   conf.upload_max_columns, conf.upload_seconds)


def _mb(n: int) -> str:
    from .. import fmt

    return f"{fmt.number(n / 1024 / 1024, 1)} Mo"


def to_csv_text(raw: bytes, name: str, limits: Limits) -> str:
    """The upload as UTF-8 CSV text (same rows, so errors keep their line numbers); InputError when a limit is
    passed or the file cannot be read."""
    check_size(len(raw), name, limits)
    if raw[:4] == ZIP_MAGIC:
        return _xlsx_text(raw, name, limits)
    text = decode(raw, name)
    _check_shape(text, name, limits)
    return text


def check_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise InputError(name, f"fichier trop volumineux : {_mb(size)}, au plus {_mb(limits.max_bytes)} acceptés",
                         None, None)


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (BOM dropped), else cp1252 read as such; refused when neither decodes the bytes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise InputError(name, f"encodage illisible : octet 0x{raw[exc.start:exc.start + 1].hex()} ni UTF-8 ni "
                                   "Windows-1252 ; réenregistrer le fichier en « CSV UTF-8 »", line, None) from None


def _check_shape(text: str, name: str, limits: Limits) -> None:
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines > limits.max_rows + 1:
        raise InputError(name, f"trop de lignes : au plus {limits.max_rows} lignes de valeurs acceptées",
                         limits.max_rows + 2, None)
    first = text.split("\n", 1)[0]
    width = max(first.count(";"), first.count(","), first.count("\t")) + 1
    if width > limits.max_columns:
        raise InputError(name, f"trop de colonnes : au plus {limits.max_columns} acceptées", 1, limits.max_columns + 1)


def _xlsx_text(raw: bytes, name: str, limits: Limits) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError(name, "classeur Excel illisible (xlsx attendu)", 1, "A") from None
    total = sum(p.file_size for p in parts)
    if total > limits.max_unzipped:
        raise InputError(name, f"classeur trop volumineux une fois décompressé : {_mb(total)}, au plus "
                               f"{_mb(limits.max_unzipped)} acceptés", None, None)
    for part in parts:
        if part.file_size > limits.max_ratio * max(part.compress_size, 1) and part.file_size > 64 * 1024:
            raise InputError(name, f"classeur suspect : la partie {part.filename[:60]} se décompresse "
                                   f"{part.file_size // max(part.compress_size, 1)} fois (au plus "
                                   f"{limits.max_ratio} acceptées)", None, None)
    from openpyxl import load_workbook

    deadline = time.monotonic() + limits.seconds
    try:
        # read_only streams the sheet; a file-like object: openpyxl then does not judge the format by a suffix
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # noqa: BLE001 — any unreadable workbook is a bad file
        raise InputError(name, "classeur Excel illisible (xlsx attendu)", 1, "A") from None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    width = 0                                # the header's: rows are cut or padded to it, as a CSV's would be
    try:
        for n, row in enumerate(sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1), 1):
            if n > limits.max_rows + 1:
                raise InputError(name, f"trop de lignes : au plus {limits.max_rows} lignes de valeurs acceptées",
                                 n, None)
            if time.monotonic() > deadline:
                raise InputError(name, f"lecture trop longue : plus de {limits.seconds:g} s", n, None)
            cells = list(row)
            while cells and cells[-1] is None:
                cells.pop()
            if len(cells) > limits.max_columns:
                raise InputError(name, f"trop de colonnes : au plus {limits.max_columns} acceptées", n,
                                 limits.max_columns + 1)
            width = width or len(cells)
            if any(v is not None for v in cells[width:]):
                raise InputError(name, f"{width} valeurs attendues (comme l'en-tête), {len(cells)} trouvées", n,
                                 width + 1)
            cells = (cells + [None] * width)[:width]
            writer.writerow([_cell(v) for v in cells])
    finally:
        book.close()
    return buf.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


def write(text: str, folder: Path) -> Path:
    path = Path(folder) / "depot.csv"
    path.write_text(text, encoding="utf-8")
    return path
