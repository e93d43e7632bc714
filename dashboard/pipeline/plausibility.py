"""Plausibility of values, declared as data in the catalogue (``indicators.toml``).

- Bounds: each indicator's ``min`` / ``max`` (defaults by unit: counts ≥ 0, shares 0–100; the APL's
  range and its reason are written in the catalogue). A value outside is an error (exit 2).
- Dates: no observation after the build's reference date (today unless told otherwise); targets
  may be in the future. The check is by quarter: an observation is in the future when its quarter
  starts after the reference date.
- Jumps: a value more than ``jump_factor`` times above or below the previous observation of the same
  indicator and territory is a warning of the build report, not an error (a lost decimal point
  multiplies by 10, 100, 1 000; a real series seldom moves that much, but it can).

Frames carry, when the reader knows it, where each value was read: ``_file``, ``_row``, ``_column``
and optionally ``_period_column`` (the column of its date); errors then name that cell, otherwise the
indicator, territory and quarter.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import periods
from .errors import InputError

MAX_EXAMPLES = 5


def check_observations(frame: pd.DataFrame, indicators: pd.DataFrame, reference_date: dt.date) -> list[str]:
    """Raise InputError on the first value out of its bounds or dated after ``reference_date``;
    return the warning lines (French) for jumps."""
    data = _with_bounds(frame, indicators)
    out_of_bounds = _out_of_bounds(data)
    future = _quarter_index(data["period"]) > periods.index(periods.from_date(reference_date))
    bad = out_of_bounds | future
    if bad.any():
        i = bad[bad].index[0]
        if out_of_bounds[i]:
            raise _bound_error(data.loc[i], "valeur")
        row = data.loc[i]
        raise _error(row, f"observation de {row['indicator']} pour {row['territory']} au trimestre "
                          f"{row['period']}, postérieur à la date de référence du build "
                          f"({reference_date.isoformat()}) : une valeur observée ne peut pas être dans le futur "
                          f"(date mal saisie ?) ; seules les cibles le peuvent", date=True)
    return jump_warnings(data, indicators)


def check_targets(frame: pd.DataFrame, indicators: pd.DataFrame) -> None:
    """Targets obey the same bounds as values (a coverage target of 183 % is a typo), at any date."""
    data = _with_bounds(frame, indicators)
    bad = _out_of_bounds(data)
    if bad.any():
        raise _bound_error(data.loc[bad[bad].index[0]], "cible")


def jump_warnings(frame: pd.DataFrame, indicators: pd.DataFrame) -> list[str]:
    """One line per indicator whose series jump by more than its ``jump_factor``, with the largest jumps."""
    data = _with_bounds(frame, indicators) if "jump_factor" not in frame.columns else frame
    data = data[data["value"].notna() & data["jump_factor"].notna()]
    if data.empty:
        return []
    # One value per quarter (a raw frame may hold several sources for the same quarter), in time order.
    data = data.sort_values(["indicator", "territory", "period"], kind="stable")
    data = data.drop_duplicates(["indicator", "territory", "period"])
    same = data["indicator"].eq(data["indicator"].shift()) & data["territory"].eq(data["territory"].shift())
    prev_value, prev_period = data["value"].shift(), data["period"].shift()
    both = same & (data["value"] > 0) & (prev_value > 0)   # from or to 0 there is no factor to speak of
    ratio = (data["value"] / prev_value).where(both)
    factor = ratio.where(ratio >= 1, 1 / ratio)
    jumps = data.assign(jump=factor, previous=prev_value, previous_period=prev_period)
    jumps = jumps[factor > data["jump_factor"]]
    lines = []
    for indicator, group in jumps.groupby("indicator", sort=True):
        group = group.sort_values("jump", ascending=False)
        examples = " ; ".join(f"{r.territory} {r.previous_period} → {r.period} : "
                              f"{_num(r.previous)} → {_num(r.value)}" for r in group.head(MAX_EXAMPLES).itertuples())
        more = f" ; … (et {len(group) - MAX_EXAMPLES} autre(s))" if len(group) > MAX_EXAMPLES else ""
        factor = _num(group["jump_factor"].iloc[0])
        lines.append(f"⚠ {indicator} : {len(group)} saut(s) de plus d'un facteur {factor} "
                     f"d'une observation à la suivante, à vérifier (virgule perdue ? autre unité ?) : "
                     f"{examples}{more}")
    return lines


# --- helpers -----------------------------------------------------------------------------------------

def _with_bounds(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("min", "max", "bounds_note", "jump_factor") if c in indicators.columns]
    bounds = indicators.set_index("id")[cols]
    data = frame.reset_index(drop=True).drop(columns=[c for c in cols if c in frame.columns])
    data = data.join(bounds, on="indicator")
    for col in ("min", "max", "jump_factor"):
        if col not in data.columns:
            data[col] = float("nan")
    if "bounds_note" not in data.columns:
        data["bounds_note"] = ""
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    return data


def _out_of_bounds(data: pd.DataFrame) -> pd.Series:
    value = data["value"]
    return value.notna() & ((data["min"].notna() & (value < data["min"])) |
                            (data["max"].notna() & (value > data["max"])))


def _quarter_index(period: pd.Series) -> pd.Series:
    def index(p):
        try:
            return periods.index(p)
        except (ValueError, TypeError):
            return -1
    return period.map(index)


def _num(value: float) -> str:
    return f"{float(value):,.6g}".replace(",", " ").replace(".", ",")


def _bound_error(row: pd.Series, what: str) -> InputError:
    low, high = row["min"], row["max"]
    if pd.notna(low) and pd.notna(high):
        bound = f"entre {_num(low)} et {_num(high)}"
    elif pd.notna(low):
        bound = f"au moins {_num(low)}"
    else:
        bound = f"au plus {_num(high)}"
    why = f" ({row['bounds_note']})" if isinstance(row.get("bounds_note"), str) and row["bounds_note"] else ""
    return _error(row, f"{what} {_num(row['value'])} de {row['indicator']} pour {row['territory']} au trimestre "
                       f"{row['period']} hors des bornes plausibles : attendu {bound}{why}")


def _error(row: pd.Series, message: str, date: bool = False) -> InputError:
    """InputError at the value's cell (or its date's, ``_period_column``) when the reader said where it
    was, else named by its source."""
    file = row.get("_file")
    if isinstance(file, str) and file:
        line = row.get("_row")
        column = row.get("_period_column") if date and isinstance(row.get("_period_column"), str) \
            else row.get("_column")
        if not isinstance(column, str):   # a field number (FINESS has no header) or nothing
            column = int(column) if column is not None and pd.notna(column) else None
        return InputError(file, message, int(line) if pd.notna(line) else None, column or None)
    source = row.get("source")
    return InputError(source if isinstance(source, str) and source else "valeurs calculées", message, None, "valeur")
