"""Plausibility rules on observations (PLACEHOLDER of the saisie branch, minimal).

The full version is written on another branch with this exact signature; this one only holds the rules the
saisie page relies on, so that the page calls the pipeline's rules and never re-implements them:
counts ≥ 0, percentages within 0–100, no quarter after the reference date's, and a warning when a value
jumps by more than the catalogue's factor (3 when the catalogue says nothing) from the previous one.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import fmt, periods
from .errors import InputError

DEFAULT_JUMP_FACTOR = 3.0


def _n(value: float) -> str:
    return fmt.number(value, 0 if float(value).is_integer() else 2)


def _where(row) -> tuple[str, int | None]:
    file = row.get("_file")
    row_no = row.get("_row")
    return (str(file) if isinstance(file, str) and file else "valeurs",
            int(row_no) if row_no is not None and not pd.isna(row_no) else None)


def check_observations(frame: pd.DataFrame, indicators: pd.DataFrame, reference_date: dt.date) -> list[str]:
    """Raise InputError for an impossible value (negative count, % outside 0–100, quarter in the future);
    return French warning lines for jumps beyond the catalogue's factor between consecutive values."""
    if frame is None or not len(frame):
        return []
    meta = indicators.set_index("id") if "id" in indicators.columns else indicators
    last_quarter = periods.from_date(reference_date)
    for row in frame.to_dict("records"):
        file, line = _where(row)
        column = row.get("_column") or "valeur"
        unit = meta["unit"].get(row["indicator"], "nombre") if "unit" in meta else "nombre"
        value = float(row["value"])
        if unit == "nombre" and value < 0:
            raise InputError(file, f"nombre positif ou nul attendu, reçu {_n(value)}", line, column)
        if unit == "%" and not 0 <= value <= 100:
            raise InputError(file, f"pourcentage entre 0 et 100 attendu, reçu {_n(value)}", line, column)
        if periods.index(row["period"]) > periods.index(last_quarter):
            raise InputError(file, f"trimestre au plus tard {last_quarter} attendu (pas de valeur future), "
                                   f"reçu {row['period']}", line, "trimestre")
    warnings = []
    ordered = frame.sort_values(["indicator", "territory", "period"], kind="stable")
    for (ident, code), g in ordered.groupby(["indicator", "territory"], sort=False):
        factor = DEFAULT_JUMP_FACTOR
        if "jump_factor" in meta and ident in meta.index and not pd.isna(meta["jump_factor"].get(ident)):
            factor = float(meta["jump_factor"][ident])
        rows = g.to_dict("records")
        for before, after in zip(rows, rows[1:]):
            a, b = float(before["value"]), float(after["value"])
            low, high = min(abs(a), abs(b)), max(abs(a), abs(b))
            if low > 0 and high / low > factor:       # from or to 0: nothing to compare
                file, line = _where(after)
                warnings.append(f"{file}:{line if line is not None else '-'}:valeur: {ident} {code} passe de "
                                f"{_n(a)} ({before['period']}) à {_n(b)} ({after['period']}), "
                                f"écart au-delà d'un facteur {_n(factor)} : à confirmer par une note")
    return warnings
