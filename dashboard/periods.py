"""Quarters: stored as ``2023Q4``, shown as ``T4 2023`` (French convention).

A quarter is the one in which the situation is measured: a value "at 2023-12-01"
or "at 2023-12-31" belongs to 2023Q4.
"""
from __future__ import annotations

import datetime as dt
import re

_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def is_quarter(text: object) -> bool:
    return isinstance(text, str) and bool(_QUARTER_RE.match(text))


def parse(quarter: str) -> tuple[int, int]:
    """``"2023Q4"`` -> ``(2023, 4)``; raises ValueError on anything else."""
    if isinstance(quarter, str):
        found = _PARSED.get(quarter)
        if found is not None:
            return found
    m = _QUARTER_RE.match(quarter) if isinstance(quarter, str) else None
    if not m:
        raise ValueError(f"trimestre attendu au format AAAAQn (ex. 2023Q4), reçu {quarter!r}")
    found = int(m.group(1)), int(m.group(2))
    if len(_PARSED) < 10_000:     # quarters are few: a bound only against a caller parsing arbitrary text
        _PARSED[quarter] = found
    return found


_PARSED: dict[str, tuple[int, int]] = {}


def index(quarter: str) -> int:
    """Quarter as an integer count, so that differences are numbers of quarters."""
    year, q = parse(quarter)
    return year * 4 + (q - 1)


def from_index(i: int) -> str:
    return f"{i // 4}Q{i % 4 + 1}"


def shift(quarter: str, n: int) -> str:
    return from_index(index(quarter) + n)


def from_date(value: dt.date | str) -> str:
    """The quarter containing a date (``date`` or ISO ``YYYY-MM-DD`` text)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}Q{(value.month - 1) // 3 + 1}"


def label(quarter: str) -> str:
    """``"2023Q4"`` -> ``"T4 2023"``."""
    year, q = parse(quarter)
    return f"T{q} {year}"


def end_date(quarter: str) -> dt.date:
    year, q = parse(quarter)
    month = q * 3
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def span(first: str, last: str) -> list[str]:
    """All quarters from ``first`` to ``last`` included."""
    return [from_index(i) for i in range(index(first), index(last) + 1)]


# How many quarters a value stays current, by native frequency of the indicator.
FREQUENCY_QUARTERS = {"trimestre": 1, "semestre": 2, "année": 4}
FREQUENCY_LABELS = {"trimestre": "trimestrielle", "semestre": "semestrielle", "année": "annuelle"}
