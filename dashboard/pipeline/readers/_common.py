"""Helpers shared by the open-data readers (text decoding, xlsx detection, frame building).

Everything here is pure: it reads the bytes it is given or the file it is pointed at, and
raises :class:`InputError` naming file, row and column when the input is not as expected.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import fmt, schema
from ..errors import InputError

ZIP_MAGIC = b"PK\x03\x04"


def is_zip(path: Path) -> bool:
    """An .xlsx is a zip: check the magic bytes so that sniffers never open text files with openpyxl."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ZIP_MAGIC
    except OSError:
        return False


def first_line(path: Path, size: int = 4096) -> str:
    """First line of a text file, decoded leniently (for sniffing only); "" if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(size)
    except OSError:
        return ""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")


def decode_utf8(path: Path, data: bytes, separator: str = ",", header: list[str] | None = None) -> str:
    """Decode strictly as UTF-8 (BOM allowed); on failure name the line and the field of the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        row = data.count(b"\n", 0, exc.start) + 1
        field = data.count(separator.encode(), line_start, exc.start)
        column: str | int = header[field] if header and field < len(header) else field + 1
        bad = data[exc.start:exc.start + 1].hex()
        raise InputError(path, f"encodage invalide : octet 0x{bad} non UTF-8 ; le fichier doit être encodé "
                               f"en UTF-8 (réenregistrer en « CSV UTF-8 »)", row, column) from None


def read_toml(path: Path) -> tuple[str, dict]:
    """(text, document) of a TOML file (strict UTF-8); a syntax error is an InputError at its line and column."""
    import re
    import tomllib

    text = decode_utf8(path, read_bytes(path), "=")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        raise InputError(path, f"TOML invalide : {exc}", int(m.group(1)) if m else None,
                         int(m.group(2)) if m else None) from None


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, f"fichier illisible : {exc.strerror or exc}", 1, 1) from None


def parse_number(text: str) -> float | None:
    """``"155.0"``, ``"155,0"``, ``"1 234"``, what a page shows (« 1 234,5 ») -> float; ``""`` -> None; raises
    ValueError otherwise: :func:`dashboard.fmt.parse_number`, the one number reader."""
    return fmt.parse_number(text)


def frame(table: str, records: list[dict]) -> pd.DataFrame:
    """A frame with exactly the columns of ``schema.TABLES[table]`` (missing ones empty)."""
    columns = schema.TABLES[table]
    df = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    return df[columns]


def commune_parents(territories: pd.DataFrame) -> pd.DataFrame:
    """Commune rows of the build's territories, indexed by code, with their parent codes.

    ``city`` is the whole city an arrondissement belongs to (C69123 for C69383), else empty.
    """
    cols = ["code", "region", "departement", "epci", "commune"]
    if territories is None or territories.empty:
        return pd.DataFrame(columns=cols[1:] + ["city"], index=pd.Index([], name="code"))
    t = territories.loc[territories["level"] == "commune", [c for c in cols if c in territories.columns]].copy()
    for c in cols:
        if c not in t.columns:
            t[c] = ""
    t = t.fillna("").astype(str).drop_duplicates("code").set_index("code")
    t["city"] = t["commune"].where((t["commune"] != "") & (t["commune"] != t.index), "")
    return t[["region", "departement", "epci", "city"]]


def departement_of(insee: str) -> str:
    """Département code (store form) of an INSEE commune code: 2 characters, or 3 for overseas 97x."""
    return "D" + (insee[:3] if insee.startswith("97") else insee[:2])


def department_regions(territories: pd.DataFrame) -> dict[str, str]:
    if territories is None or territories.empty or "region" not in territories.columns:
        return {}
    d = territories.loc[territories["level"] == "departement", ["code", "region"]].fillna("")
    return dict(zip(d["code"], d["region"]))


# Arrondissements -> whole city, by INSEE code, used when the territories table does not say it.
CITIES = (("69381", "69389", "C69123"), ("75101", "75120", "C75056"), ("13201", "13216", "C13055"))


def city_by_code(codes: pd.Series) -> pd.Series:
    """INSEE codes -> store code of the whole city for Lyon/Paris/Marseille arrondissements, else ""."""
    city = pd.Series("", index=codes.index, dtype=object)
    for first, last, target in CITIES:
        city[(codes >= first) & (codes <= last) & (codes.str.len() == 5)] = target
    return city


def departement_coverage(territories: pd.DataFrame, present: set[str]) -> dict[str, float]:
    """Regions and France: population share of their départements that the file covers.

    The build keeps communes of the followed region only, so a commune-level check cannot tell
    that a regional extract does not cover France; département rows (all of France) can.
    Population weights let a national file that leaves out one small département (the APL is
    « France hors Mayotte ») still give France. Falls back to counts when populations are absent.
    """
    if territories is None or territories.empty or "region" not in territories.columns:
        return {}
    d = territories.loc[territories["level"] == "departement"].copy()
    if d.empty:
        return {}
    pop = pd.to_numeric(d.get("population", pd.Series(index=d.index, dtype=float)), errors="coerce")
    d["w"] = pop.where(pop > 0) if (pop > 0).all() else 1.0
    d["hit"] = d["code"].isin(present) * d["w"]
    out = {"FR": float(d["hit"].sum() / d["w"].sum())}
    for region, g in d[d["region"].fillna("") != ""].groupby("region"):
        out[region] = float(g["hit"].sum() / g["w"].sum())
    return out


def weighted_mean(frame: pd.DataFrame, value: str, weight: str, by: list[str]) -> pd.DataFrame:
    """Mean of ``value`` weighted by ``weight`` per group of ``by`` columns: DREES' rule for averaging
    commune values over a territory (APL weighted by the standardised population; the share of the
    population under a threshold is the mean of a 0/1 flag weighted by the total population).

    Rows missing the value or the weight are left out; a group whose weights add up to 0 has no mean.
    Returns the ``by`` columns, ``value`` and ``weight`` (the group's total weight), sorted by ``by``."""
    ok = frame[value].notna() & frame[weight].notna()
    parts = frame[by].copy()
    parts["_wsum"] = (frame[value] * frame[weight]).where(ok, 0.0)
    parts["_w"] = frame[weight].where(ok, 0.0)
    sums = parts.groupby(by, sort=True).sum().reset_index()
    sums = sums[sums["_w"] > 0]
    return sums.assign(value=sums["_wsum"] / sums["_w"], weight=sums["_w"])[by + ["value", "weight"]] \
        .reset_index(drop=True)
