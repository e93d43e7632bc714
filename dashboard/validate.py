"""Validators for callback inputs and URL parameters, shared by every page.

A client can send anything to ``/_dash-update-component``: each validator returns the clean
value, or ``None`` (or a default) when the input is unknown, of the wrong type or too long, so
that a callback answers "no update" or a clear message instead of raising. They check against
the store the instance loaded, so on the public instance a non-public indicator is simply unknown.

    ident = validate.indicator(data, raw) or validate.no_update()
"""
from __future__ import annotations

from typing import Iterable

from dash.exceptions import PreventUpdate

from . import periods, store
from .territory import LEVELS, is_code

MAX_TEXT = 200


def text(value: object, max_len: int = MAX_TEXT) -> str | None:
    """A non-empty short string, stripped; anything else → None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= max_len else None


def indicator(data: store.Store, value: object) -> str | None:
    """An indicator id present in this instance's store (public ones only on the public instance)."""
    value = text(value, 64)
    return value if value is not None and value in data.indicators.index else None


def territory(data: store.Store, value: object, levels: Iterable[str] | None = None) -> str | None:
    """A territory code (``R84``, ``D15``…) present in the store, optionally of the given levels."""
    value = text(value, 12)
    if value is None or not is_code(value) or value not in data.territories.index:
        return None
    if levels is not None and data.territories.loc[value, "level"] not in set(levels):
        return None
    return value


def level(value: object) -> str | None:
    return value if isinstance(value, str) and value in LEVELS else None


def quarter(data: store.Store | None, value: object) -> str | None:
    """A quarter ``2023Q4``; with a store, only one that has values."""
    value = text(value, 6)
    if value is None or not periods.is_quarter(value):
        return None
    if data is not None and value not in set(store.quarters(data)):
        return None
    return value


def choice(value: object, allowed: Iterable[str], default: str | None = None) -> str | None:
    return value if isinstance(value, str) and value in set(allowed) else default


def integer(value: object, low: int, high: int, default: int | None = None) -> int | None:
    """An int within [low, high] (also from digits in a string); anything else → default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) <= 12:
        value = int(value.strip())
    if isinstance(value, int) and low <= value <= high:
        return value
    return default


def no_update():
    """Stop the callback without changing anything (HTTP 204 for the client)."""
    raise PreventUpdate
