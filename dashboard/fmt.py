"""French formatting, the only formatting code: numbers (« 1 234,5 »), units and their decimals, changes
(« +1,2 point »), progress (« 16,9 % »), quarters (« T3 2024 ») and dates (« 31 décembre 2023 »).

Exports round with :func:`rounded`, pages and the PDF print with :func:`value` and :func:`delta`: the same
decimals everywhere, by unit.
"""
from __future__ import annotations

import datetime as dt
import math

from . import periods, units

NBSP = units.NBSP  # narrow no-break space, the French thousands separator

#: Decimals shown and suffix per unit (dashboard/units.py): every page, export and the PDF use these.
DECIMALS = {u.id: u.decimals for u in units.UNITS.values() if u.decimals}
UNIT_SUFFIX = {u.id: u.suffix for u in units.UNITS.values()}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def decimals(unit: str | None) -> int:
    return units.of(unit).decimals


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
    text = number(value, units.of(unit).decimals if decimals is None else decimals)
    if text == "–":
        return text
    return text + units.of(unit).suffix


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
    return f"{text} {points(value, decimals(unit))}" if units.of(unit).is_share else text


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


_SPACES = str.maketrans("", "", f" {NBSP}\u00a0\u2009\t\r\n")   # thousands separators a page or a sheet writes


def parse_number(text: str) -> float | None:
    """The one number reader, the inverse of :func:`number`, :func:`value`, :func:`signed` and :func:`percent`:
    « 1 234,5 » (narrow or plain no-break space, plain space), « 1234.5 », « −0,42 » (minus sign), « +23 »,
    « ±0 », « 16,9 % » → float; empty → None. ValueError on anything else (a word, NaN, infinity). The
    pipeline's readers (decimal point or comma) and the saisie grid call it: a figure copied from a page can be
    typed back."""
    text = str(text).translate(_SPACES)
    if not text:
        return None
    if text.endswith("%"):
        text = text[:-1]            # a share is stored as shown: « 16,9 % » is 16.9
        if not text:
            raise ValueError("%")
    if text[0] in "−±":
        text = ("-" if text[0] == "−" else "") + text[1:]
    if not (text[-1].isdigit() or text[-1] in ".,") or "_" in text:
        raise ValueError(text)      # float() would take « 1_000 », « nan », « inf »
    return float(text.replace(",", "."))


def quarter(q: str | None) -> str:
    return periods.label(q) if q else "–"


def date(day: dt.date | None) -> str:
    """``date(2023, 12, 31)`` → « 31 décembre 2023 » (« 1er » for the first of the month)."""
    if day is None:
        return "–"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def month(day: dt.date | str | None) -> str:
    """« décembre 2023 » from a date or an ISO text (how the baromètre dates a situation: its month)."""
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day[:10])
        except ValueError:
            return "–"
    if day is None:
        return "–"
    return f"{MONTHS[day.month - 1]} {day.year}"


def age(quarters: int | None) -> str:
    """How old a figure is, in quarters: « ce trimestre », « il y a 1 trimestre », « il y a 11 trimestres »."""
    if quarters is None:
        return "–"
    if quarters <= 0:
        return "ce trimestre"
    return f"il y a {quarters} trimestre" + ("s" if quarters > 1 else "")


#: One date format per medium, the only ones: what a person reads (page, PDF, map popup) and what a machine
#: reads back (CSV, XLSX). The long form (« 31 décembre 2023 ») is :func:`date`, for headlines.
DAY_FORMATS = {"page": "%d/%m/%Y", "pdf": "%d/%m/%Y", "popup": "%d/%m/%Y", "csv": "%Y-%m-%d"}
TIME_FORMATS = {"page": "%d/%m/%Y à %H:%M", "pdf": "%d/%m/%Y à %H:%M", "popup": "%d/%m/%Y %H:%M",
                "csv": "%Y-%m-%dT%H:%M:%S"}


def _as_date(value, with_time: bool):
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if with_time else dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if hasattr(value, "to_pydatetime"):            # a pandas Timestamp
        value = value.to_pydatetime()
    return value


def day(value: dt.date | dt.datetime | str | None, medium: str = "page") -> str:
    """A day in the medium's format (:data:`DAY_FORMATS`) from a date, a datetime or an ISO text; « – » when
    missing or unreadable."""
    value = _as_date(value, False)
    return "–" if value is None else value.strftime(DAY_FORMATS[medium])


def timestamp(value: dt.datetime | str | None, medium: str = "page") -> str:
    """A moment in the medium's format (:data:`TIME_FORMATS`): « 31/12/2023 à 14:05 » on a page or a PDF."""
    value = _as_date(value, True)
    return "–" if value is None else value.strftime(TIME_FORMATS[medium])


def short_date(value: dt.date | dt.datetime | str | None) -> str:
    """« 31/12/2023 »: :func:`day` on a page."""
    return day(value, "page")


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
