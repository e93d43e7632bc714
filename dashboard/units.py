"""The units of the catalogue, once: decimals shown, the suffix after a number, what kind of figure it is
(a share of the population, a count, a rate), whether it is compared per 100 000 inhabitants, and its words.

Every place that used to branch on the unit's name (``unit == "%"``) asks the registry instead
(``units.of(unit).is_share``); a new unit is one line here.
"""
from __future__ import annotations

from dataclasses import dataclass

NBSP = "\u202f"  # narrow no-break space (French: before %)

SHARE, COUNT, RATE = "share", "count", "rate"


@dataclass(frozen=True)
class Unit:
    id: str
    decimals: int            # shown on pages, in the PDF and written in exports
    suffix: str              # after the number: « 16,9 % »
    kind: str                # SHARE (0–100, changes in points), COUNT (whole, adds up), RATE
    label: str               # the catalogue's words: « % de la population »
    text: str = ""           # words after a number in a map popup (a share has its suffix, a count none)
    axis: str = ""           # a chart's axis title
    per_100k: bool = False   # compared between territories per 100 000 inhabitants

    @property
    def is_share(self) -> bool:
        return self.kind == SHARE

    @property
    def is_count(self) -> bool:
        return self.kind == COUNT


PER_100K = 100_000
PER_100K_UNIT = "pour 100 000 habitants"     # a count divided by the population (the map's default for counts)

UNITS = {u.id: u for u in (
    Unit("%", 1, f"{NBSP}%", SHARE, "% de la population", axis="% de la population"),
    Unit("nombre", 0, "", COUNT, "nombre", axis="nombre", per_100k=True),
    Unit("consultations/hab./an", 2, "", RATE, "consultations par habitant et par an",
         text="consultations par habitant et par an", axis="consultations/hab./an"),
    Unit(PER_100K_UNIT, 1, "", RATE, PER_100K_UNIT, text=PER_100K_UNIT, axis=PER_100K_UNIT),
)}


def per_100k(value: float | None, population: float | None) -> float | None:
    """A count per 100 000 inhabitants (None without a value or a population): how counts are compared between
    territories of different sizes (the sheet, the map)."""
    if value is None or value != value or not population or population != population:
        return None
    return float(value) / float(population) * PER_100K


def of(unit: str | None) -> Unit:
    """The unit's entry; an unknown unit reads as a plain number under its own name (no decimals, no suffix)."""
    found = UNITS.get(unit or "")
    return found or Unit(unit or "", 0, "", RATE, unit or "", axis=unit or "")
