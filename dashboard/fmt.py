"""French formatting of numbers, percentages and quarters ("1 234,5", "T3 2024")."""
from __future__ import annotations

import math

from . import periods

NBSP = "\u202f"  # narrow no-break space, the French thousands separator


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def signed(value: float | None, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return sign + number(abs(value), decimals)


UNIT_SUFFIX = {"%": f"{NBSP}%", "nombre": "", "consultations/hab./an": ""}


def value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A value with its unit, decimals chosen by unit when not given."""
    if decimals is None:
        decimals = {"%": 1, "consultations/hab./an": 2}.get(unit, 0)
    text = number(value, decimals)
    if text == "–":
        return text
    return text + UNIT_SUFFIX.get(unit, "")


def quarter(q: str | None) -> str:
    return periods.label(q) if q else "–"
