"""The words every view shares, written once: status labels, the change and threshold sentences, the demo
warnings and the provenance sentence. Pure (only ``fmt``): pages, the PDF, the pack, the kiosk and the exports
import these rather than retyping them, so a wording changes in one place.
"""
from __future__ import annotations

import re

from . import fmt

# -- the computed status of a plan indicator (``dashboard.thresholds.Thresholds.status``) --
ON_TRACK = "en bonne voie"
WATCH = "à surveiller"
LATE = "en retard"
STATUSES = (ON_TRACK, WATCH, LATE)
#: the status of a figure older than its frequency allows: it says nothing of today, so no colour either
STALE = "donnée ancienne"
#: what the UI says when the recent pace never reaches the target
NOT_AT_THIS_PACE = "pas à ce rythme"

# -- data provenance (schema.STATUSES) --
NO_NEW_VALUE = "pas de valeur nouvelle"
DEMO_VALUES = "valeurs de démonstration (non réelles)"
ON_DEMO = "calculé sur des valeurs de démonstration"
DEMO_NOTICE = "Valeurs de démonstration (« démo ») : illustratives, pas des faits."
PROVENANCE = ("observée (source nommée), estimée (méthode nommée) ou démo (valeur de démonstration, à ne pas lire "
              "comme un fait)")


def threshold_rule(thresholds) -> str:
    """« en bonne voie dès 95 % de la progression attendue, à surveiller dès 80 %, en retard en dessous »."""
    return (f"{ON_TRACK} dès {fmt.number(thresholds.on_track * 100)} % de la progression attendue, {WATCH} dès "
            f"{fmt.number(thresholds.watch * 100)} %, {LATE} en dessous")


def change(change, unit: str) -> str:
    """« +23 depuis le T2 2023 » (since the previous observation), « pas de valeur nouvelle » or « – »;
    ``change``: a :class:`dashboard.queries.Change` or None."""
    if change is None:
        return "–"
    if not change.new:
        return NO_NEW_VALUE
    return f"{fmt.delta(change.delta, unit)} depuis le {fmt.quarter(change.since)}" + (
        " (valeurs démo)" if change.on_demo else "")


def default_quarter(quarter: str | None) -> str:
    """What a page says of the quarter it opens on (:func:`dashboard.queries.session_quarter`)."""
    if not quarter:
        return ""
    return (f"Par défaut : {fmt.quarter(quarter)}, le trimestre le plus récent où un indicateur du plan a une "
            "valeur observée.")


#: an internal document reference of the team's sources (« …, doc. 004 »): not for the public side
INTERNAL_REFERENCE = re.compile(r"\s*[,;(]?\s*\bdoc\.\s*\d+\s*\)?", re.IGNORECASE)


def public_source(text) -> str:
    """A source as the public reads it: « ARS Auvergne-Rhône-Alpes, dossier de presse (février 2018) », without
    the team's internal document number (« doc. 004 »)."""
    if not isinstance(text, str):
        return "" if text is None or text != text else str(text)
    return INTERNAL_REFERENCE.sub("", text).strip(" ,;")
