"""What a submission changes on the plan page, from a preview that is never published.

The store's observations plus the submitted values (replacing any value of the same indicator, territory and
quarter) go through the plan page's own functions (``dashboard.plan.cards`` and ``summary``): status,
projected date, progress and the « Ce trimestre » sentences, before and after.
"""
from __future__ import annotations

import pandas as pd

from .. import fmt, plan, store
from ..schema import KEY


def overlay(observations: pd.DataFrame, items: list[dict]) -> pd.DataFrame:
    """Observations with the submitted values in place (status observed, as they would be published)."""
    new = pd.DataFrame([{"indicator": i["indicator"], "territory": i["territory"], "period": i["quarter"],
                         "value": float(i["value"]), "status": "observed", "source": "saisie en attente de validation",
                         "note": i.get("note", "")} for i in items], columns=list(observations.columns))
    keep = observations.merge(new[KEY], on=KEY, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
    return pd.concat([observations[keep], new], ignore_index=True).sort_values(KEY).reset_index(drop=True)


def _card_facts(c: plan.Card | None) -> dict:
    if c is None:
        return {}
    pct = "–" if c.progress is None else fmt.percent(c.progress)
    return {"valeur": c.value_text, "statut": c.status_text, "projection": c.projection_text, "progression": pct}


def effect(data, items: list[dict], thresholds: plan.Thresholds | None = None) -> list[dict]:
    """Per (territory, quarter) of the items: the plan cards of the submitted indicators before → after, and
    the summary sentences that appear or disappear."""
    preview = store.from_frames(data.territories.reset_index(drop=True), data.indicators.reset_index(drop=True),
                                data.targets, overlay(data.observations, items), version=f"{data.version}+apercu",
                                manifest=data.manifest)
    out = []
    for (code, quarter), group in pd.DataFrame(items).groupby(["territory", "quarter"], sort=True):
        before = plan.cards(data, code, quarter, thresholds)
        after = plan.cards(preview, code, quarter, thresholds)
        wanted = set(group["indicator"])
        changes = []
        for b, a in zip(before, after):
            if b.indicator in wanted:
                changes.append({"indicator": b.indicator, "label": b.short_label, "avant": _card_facts(b),
                                "après": _card_facts(a)})
        off_plan = sorted(wanted - {c.indicator for c in before})
        s_before, s_after = plan.summary(before, quarter), plan.summary(after, quarter)
        out.append({"territory": code, "quarter": quarter, "cards": changes, "off_plan": off_plan,
                    "summary_added": [s for s in s_after if s not in s_before],
                    "summary_removed": [s for s in s_before if s not in s_after]})
    return out
