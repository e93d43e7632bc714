"""The indicator catalogue as users read it (labels in French, targets, last value)."""
from __future__ import annotations

from . import fmt, queries, store, units
from .cache import memoize
from .periods import FREQUENCY_LABELS
from .schema import STATUS_LABELS
from .territory import LEVEL_LABELS

POLARITY_LABELS = {"higher": "plus haut = mieux", "lower": "plus bas = mieux", "none": "indicateur de contexte"}


@memoize()  # keyed on the store version: computed once per version, shared by workers (dashboard/cache.py)
def describe(data: store.Store, region: str) -> list[dict]:
    """One dict per indicator, in catalogue order, with every label the Indicateurs page shows."""
    rows = []
    for ident in data.indicators.index:
        ind = store.indicator(data, ident)
        target = queries.target_of(data, ident, region)
        last = queries.latest(data, ident, region)
        rows.append({
            **ind,
            "unit_label": units.of(ind["unit"]).label,
            "polarity_label": POLARITY_LABELS[ind["polarity"]],
            "frequency_label": FREQUENCY_LABELS[ind["frequency"]],
            "levels_label": ", ".join(LEVEL_LABELS[lv] for lv in ind["levels"]),
            "target_label": (f"{fmt.target(target['value'], ind['unit'])} en {fmt.quarter(target['period'])} "
                             f"({region})") if target else "aucune cible fixée par le plan",
            "last_label": (f"{fmt.value(last['value'], ind['unit'])} en {fmt.quarter(last['period'])} "
                           f"({STATUS_LABELS[last['status']]})") if last else "aucune valeur pour la région",
            "last_status": last["status"] if last else None,
            "public_label": "publique (kiosque)" if ind["public"] else "interne",
        })
    return rows
