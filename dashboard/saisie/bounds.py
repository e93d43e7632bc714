"""Hard bounds an entry cannot pass, note or not, beyond the catalogue's ``min`` / ``max`` (which
:mod:`dashboard.pipeline.plausibility` checks): a pure function the pipeline's file checks could share.

A *hard* bound is what cannot be true (a count of people or structures above the territory's population, a share
above 100 — the latter is the catalogue's default ``max`` for « % »); a *soft* one (a jump from the previous
observation) only asks for a note. See docs/saisie.md.
"""
from __future__ import annotations

import math

from .. import fmt

COUNT_UNITS = ("nombre",)


def hard_bound(unit: str, value: float | None, population: float | None) -> str | None:
    """Why ``value`` is impossible for an indicator of ``unit`` in a territory of ``population``, else None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if not math.isfinite(float(value)):
        return "nombre fini attendu"
    if unit in COUNT_UNITS and population is not None and population == population and population > 0 \
            and float(value) > float(population):
        return (f"valeur {fmt.number(float(value), 0)} supérieure à la population du territoire "
                f"({fmt.number(float(population), 0)} habitants) : impossible pour un dénombrement")
    return None
