"""Registry of the raw formats the pipeline recognises, by content.

Each :class:`Source` sniffs a file (reads as little as it needs: first line,
header, sheet names) and reads it into a Contribution. Order matters only
when two sniffers could accept the same file: the first one wins.
To add a format: write a reader module in ``readers/`` and append it here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .contribution import Contribution


@dataclass(frozen=True)
class Source:
    name: str                                              # shown in the build report
    sniff: Callable[[Path], bool]                          # True if the file is of this format
    read: Callable[[Path, dict], Contribution]             # options come from sources.toml


def _safe(sniff: Callable[[Path], bool]) -> Callable[[Path], bool]:
    """A sniffer must never raise: an unreadable file is simply not of that format."""
    def guarded(path: Path) -> bool:
        try:
            return bool(sniff(Path(path)))
        except Exception:
            return False
    guarded.__name__ = getattr(sniff, "__name__", "sniff")
    return guarded


def opendata_sources() -> list[Source]:
    """Readers of the official open data (DREES APL, baromètre DITP/Etalab, FINESS)."""
    from .readers import apl, barometre, finess

    return [
        Source("APL DREES", _safe(apl.sniff), apl.read),
        Source("Baromètre DITP", _safe(barometre.sniff_ditp), barometre.read_ditp),
        Source("Baromètre Etalab (CSV régional)", _safe(barometre.sniff_etalab_csv), barometre.read_etalab_csv),
        Source("Baromètre Etalab (classeur départemental)", _safe(barometre.sniff_etalab_xlsx),
               barometre.read_etalab_xlsx),
        Source("Baromètre (métadonnées)", _safe(barometre.sniff_meta), barometre.read_meta),
        Source("Correspondance du baromètre", _safe(barometre.sniff_mapping), barometre.read_mapping),
        Source("FINESS", _safe(finess.sniff), finess.read),
    ]


def registry() -> list[Source]:
    # Imported here so that a broken optional reader never breaks the CLI's import.
    from .readers import catalogue, contours, cpts, initiatives, plan_csv, reference, successors, zonage

    return [
        Source("Catalogue des indicateurs", catalogue.sniff, catalogue.read),
        Source("Référentiel territorial", reference.sniff, reference.read),
        Source("Contours", contours.sniff, contours.read),
        Source("Tableau de suivi du plan", plan_csv.sniff, plan_csv.read),
        Source("Initiatives locales", initiatives.sniff, initiatives.read),
        Source("Liste des CPTS (ARS)", _safe(cpts.sniff), cpts.read),
        Source("Communes fusionnées", _safe(successors.sniff), successors.read),
        Source("Zonage médecins (arrêté ARS)", _safe(zonage.sniff), zonage.read),
        *opendata_sources(),
    ]

