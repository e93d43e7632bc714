"""Status thresholds on the share of expected progress achieved (see :func:`dashboard.trajectory.assess`).

One value object, built once from the settings (``Settings.thresholds``) and passed down to every rule that
gives a status: no signature constructs its own, so the plan page, the sheet, the pack, the alerts and the
saisie preview cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from .texts import LATE, ON_TRACK, WATCH


@dataclass(frozen=True)
class Thresholds:
    """- share ≥ ``on_track`` → « en bonne voie »;
    - ``watch`` ≤ share < ``on_track`` → « à surveiller »;
    - share < ``watch`` → « en retard ».

    Whatever the share, a target already met is « en bonne voie » (and ``target_met`` is true), and a
    target whose quarter has come without being met is « en retard ». The defaults are the settings'
    (``ACCES_SOINS_STATUS_ON_TRACK`` / ``_WATCH``).
    """

    on_track: float
    watch: float

    def __post_init__(self):
        if not (0 <= self.watch <= self.on_track):
            raise ValueError(f"seuils incohérents : il faut 0 ≤ watch ({self.watch}) ≤ on_track ({self.on_track})")

    def status(self, share: float) -> str:
        if share >= self.on_track:
            return ON_TRACK
        if share >= self.watch:
            return WATCH
        return LATE
