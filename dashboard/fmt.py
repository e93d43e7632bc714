"""French formatting, the only formatting code: numbers (« 1 234,5 »), units and their decimals, changes
(« +1,2 point »), progress (« 16,9 % »), quarters (« T3 2024 ») and dates (« 31 décembre 2023 »).

Exports round with :func:`rounded`, pages and the PDF print with :func:`value` and :func:`delta`: the same
decimals everywhere, by unit.
"""
from __future__ import annotations

import datetime as dt
import math

from . import periods

NBSP = "\u202f"  # narrow no-break space, the French thousands separator

#: Decimals shown per unit (counts are whole numbers); every page, export and the PDF use these.
DECIMALS = {"%": 1, "consultations/hab./an": 2}
UNIT_SUFFIX = {"%": f"{NBSP}%", "nombre": "", "consultations/hab./an": ""}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def decimals(unit: str | None) -> int:
    return DECIMALS.get(unit or "", 0)


def number(value: float | int | None, decimals: int = 0) -> str:
    if _missing(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def signed(value: float | None, decimals: int = 0) -> str:
    if _missing(value):
        return "–"
    shown = round(value, decimals)
    sign = "+" if shown > 0 else ("−" if shown < 0 else "±")
    return sign + number(abs(value), decimals)


def value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A value with its unit, decimals chosen by unit when not given."""
    text = number(value, DECIMALS.get(unit, 0) if decimals is None else decimals)
    if text == "–":
        return text
    return text + UNIT_SUFFIX.get(unit, "")


def rounded(value: float | None, unit: str) -> float | None:
    """A value at display precision (what exports write)."""
    if _missing(value):
        return None
    return round(float(value), decimals(unit))


def points(value: float, decimals: int = 1) -> str:
    """« point » or « points » (French: singular below 2)."""
    return "point" if abs(round(value, decimals)) < 2 else "points"


def delta(value: float | None, unit: str) -> str:
    """A change in the unit's precision: « +23 », « −0,42 », « +1,2 point », « +26,0 points »."""
    if _missing(value):
        return "–"
    text = signed(value, decimals(unit))
    return f"{text} {points(value, decimals(unit))}" if unit == "%" else text


def target(value: float, unit: str) -> str:
    """A target as the plan states it: « 590 », « 100 % » (no needless decimals)."""
    return globals()["value"](value, unit, 0 if float(value).is_integer() else None)


def percent(share: float | None, decimals: int = 1) -> str:
    """A percentage such as the taux d'avancement: « 16,9 % »."""
    return value(share, "%", decimals)


def pace(value: float | None) -> str:
    """A pace with up to two decimals, trailing zeros dropped: 17,25 ; 10,5 ; 15,56 ; 3."""
    if _missing(value):
        return "–"
    text = number(round(value, 2), 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def quarter(q: str | None) -> str:
    return periods.label(q) if q else "–"


def date(day: dt.date | None) -> str:
    """``date(2023, 12, 31)`` → « 31 décembre 2023 » (« 1er » for the first of the month)."""
    if day is None:
        return "–"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def short_date(value: dt.date | dt.datetime | str | None) -> str:
    """« 31/12/2023 » from a date, a datetime or an ISO text (« – » when missing or unreadable)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return "–"
    if value is None:
        return "–"
    return f"{value:%d/%m/%Y}"


def quarter_end(q: str | None) -> str:
    """The date a quarter's figures describe: « 31 décembre 2023 »."""
    return date(periods.end_date(q)) if q else "–"


def release(text: str | None) -> str:
    """A release as users read it: « 7 février 2024 » for a publication date, « millésime 2022 » otherwise."""
    if not text:
        return ""
    try:
        return date(dt.date.fromisoformat(text[:10]))
    except ValueError:
        return f"millésime {text}"


def revision(row: dict | None, unit: str) -> str:
    """« révisé : 3 500 auparavant (publication du 7 février 2024) » for a value the State revised (a row of
    ``queries.value_at`` with ``previous_value``), else "". One text for pages and exports."""
    if not row or row.get("previous_value") is None or _missing(row.get("previous_value")):
        return ""
    when = release(row.get("previous_release"))
    when = f" ({'publication du ' if when[:1].isdigit() else ''}{when})" if when else ""
    return f"révisé : {value(row['previous_value'], unit)} auparavant{when}"
