"""Exports of the store as files people open in a spreadsheet (pure functions over a Store).

``all_values`` is the whole observations table joined with indicator labels and territory names, with its
provenance (status, source, note) on every row. It reads only the Store it is given: on a public instance
that Store is already filtered (public indicators, observed values), so the export cannot contain more.
"""
from __future__ import annotations

import re

import pandas as pd

from . import fmt, periods, store
from .cache import memoize
from .schema import STATUS_LABELS
from .territory import LEVEL_LABELS

# (column in the file, what it holds) — the file's header, in French, in this order
COLUMNS = [
    ("indicateur", "identifiant de l'indicateur (catalogue)"),
    ("libelle_indicateur", "libellé de l'indicateur"),
    ("unite", "unité"),
    ("territoire", "code du territoire (FR, R84, D15, E…, C…)"),
    ("nom_territoire", "nom du territoire"),
    ("niveau", "niveau du territoire"),
    ("periode", "trimestre (2023Q4)"),
    ("trimestre", "trimestre lisible (T4 2023)"),
    ("valeur", "valeur"),
    ("statut", "observée, estimée ou démo"),
    ("source", "source nommée ou méthode d'estimation"),
    ("note", "note"),
]


def all_values(data: store.Store) -> pd.DataFrame:
    """Every value of the store, one row per (indicator, territory, quarter), with labels and provenance."""
    obs = data.observations
    ind = data.indicators[["id", "label", "unit", "order"]].reset_index(drop=True)
    ter = data.territories[["code", "name", "level"]].reset_index(drop=True)
    frame = (obs.merge(ind, left_on="indicator", right_on="id", how="left")
                .merge(ter, left_on="territory", right_on="code", how="left"))
    frame = frame.sort_values(["order", "indicator", "territory", "period"], kind="stable")
    out = pd.DataFrame({
        "indicateur": frame["indicator"],
        "libelle_indicateur": frame["label"].fillna(""),
        "unite": frame["unit"].fillna(""),
        "territoire": frame["territory"],
        "nom_territoire": frame["name"].fillna(""),
        "niveau": frame["level"].map(lambda lv: LEVEL_LABELS.get(lv, lv or "")),
        "periode": frame["period"],
        "trimestre": frame["period"].map(periods.label),
        "valeur": [fmt.rounded(v, u) for v, u in zip(frame["value"], frame["unit"].fillna(""))],  # display precision
        "statut": frame["status"].map(lambda s: STATUS_LABELS.get(s, s)),
        "source": frame["source"].fillna(""),
        "note": frame["note"].fillna(""),
    })
    return out.reset_index(drop=True)[[c for c, _ in COLUMNS]]


# the « Définitions » sheet of every XLSX: (column, catalogue field), in this order
DEFINITION_COLUMNS = [("indicateur", "id"), ("libelle", "label"), ("unite", "unit"), ("frequence", "frequency"),
                      ("definition", "definition"), ("source", "source")]
DEFINITIONS_SHEET = "Définitions"
MAX_WIDTH = 60          # characters: a longer column wraps its text instead of widening


def definitions(data: store.Store, indicators=None) -> pd.DataFrame:
    """The catalogue's definitions, units and sources of ``indicators`` (all by default), in catalogue order."""
    ind = data.indicators.sort_values("order", kind="stable")
    if indicators is not None:
        ind = ind[ind["id"].isin(list(indicators))]
    return pd.DataFrame({col: ind[field].fillna("").astype(str).to_numpy() for col, field in DEFINITION_COLUMNS})


# ---- the one CSV/XLSX writer: every export goes through to_csv / to_xlsx -----------------------------------

# OWASP « CSV injection »: a spreadsheet evaluates a cell starting with one of these as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?\s?%?$")


def neutral(value):
    """A text cell a spreadsheet cannot run: a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab or CR (a
    number written as text, « -3,5 », stays as it is: it is not a formula). Other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header through :func:`neutral`."""
    out = frame.copy()
    out.columns = [neutral(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutral)
    return out


def to_xlsx(sheets: list[tuple[str, pd.DataFrame]]) -> bytes:
    """An XLSX workbook, one sheet per ``(name, table)``, each ready to read: bold header row frozen, an
    auto-filter over the table, columns as wide as their content (long text wraps at ``MAX_WIDTH``). Text is
    neutralised (:func:`neutral`) and every text cell is written as a string, never as a formula."""
    import io

    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, table in sheets:
            table = neutralised(table)
            table.to_excel(xl, sheet_name=name[:31], index=False)
            ws = xl.sheets[name[:31]]
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":      # openpyxl reads any « =… » string as a formula: text it is
                        cell.data_type = "s"
            ws.freeze_panes = "A2"
            if len(table.columns):
                ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for j, column in enumerate(table.columns, start=1):
                sample = table[column].head(2000).map(lambda v: "" if v is None or v != v else str(v))
                width = min(MAX_WIDTH, max([len(str(column)), *sample.map(len).tolist()]) + 2)
                letter = get_column_letter(j)
                ws.column_dimensions[letter].width = width
                if width == MAX_WIDTH:
                    for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return buf.getvalue()


def to_csv(frame: pd.DataFrame) -> str:
    """CSV for French spreadsheets: « ; » between fields, decimal comma, UTF-8 with a BOM (Excel); text cells
    neutralised (:func:`neutral`)."""
    out = neutralised(frame)
    for column in out.columns:
        # a bare CR inside a field is not quoted by the csv module (the line ends with LF) and would split the
        # row in a spreadsheet: every line break in a text becomes LF, which is quoted
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: v.replace("\r\n", "\n").replace("\r", "\n")
                                          if isinstance(v, str) else v)
    return "\ufeff" + out.to_csv(index=False, sep=";", decimal=",", lineterminator="\n")


@memoize()  # keyed on the store version: the same file for every user until a new version is published
def csv_export(data: store.Store) -> str:
    return to_csv(all_values(data))


def filename(data: store.Store) -> str:
    return f"acces-soins-valeurs-{data.version}.csv"
