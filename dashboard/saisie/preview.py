"""What a submission changes on the plan page, from a preview that is never published.

The store's observations plus the submitted values (replacing any value of the same indicator, territory and
quarter) go through the plan page's own functions (``dashboard.plan.cards`` and ``summary``): status,
projected date, progress and the « Ce trimestre » sentences, before and after.
"""
from __future__ import annotations

import pandas as pd

from .. import fmt, plan, store, units
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


def additive_gaps(data, items: list[dict]) -> list[str]:
    """What the valideur reads of the sums: for a count (counts add up, ``dashboard.units``) submitted for a
    region or one of its départements, whether the départements' values *of the quarter* (published or in this
    submission) add up to the region's — « écart de −2 (−1,7 %) » —, or how many départements have reported."""
    if not items:
        return []
    obs = overlay(data.observations, items)
    t = data.territories
    names = t["name"].to_dict()
    lines = []
    for (ind, quarter), group in pd.DataFrame(items).groupby(["indicator", "quarter"], sort=True):
        if ind not in data.indicators.index or not units.of(data.indicators.at[ind, "unit"]).is_count:
            continue
        regions = sorted({code if code.startswith("R") else str(t.at[code, "region"]) for code in group["territory"]
                          if code in t.index} - {"", "nan"})
        for region in regions:
            deps = t.index[(t["level"] == "departement") & (t["region"] == region)]
            if not len(deps):
                continue
            now = obs[(obs["indicator"] == ind) & (obs["period"] == quarter)].set_index("territory")["value"]
            reported = now.reindex(deps).dropna()
            unit = data.indicators.at[ind, "unit"]
            label = f"{data.indicators.at[ind, 'short_label']}, {names.get(region, region)} ({fmt.quarter(quarter)})"
            total, own = float(reported.sum()), now.get(region)
            if len(reported) < len(deps):
                n = len(reported)
                lines.append(f"{label} : {n} département{'s' if n > 1 else ''} sur {len(deps)} pour ce trimestre, "
                             f"{fmt.value(total, unit)} à eux seuls"
                             + (f" ; valeur régionale {fmt.value(float(own), unit)}" if own is not None else ""))
            elif own is None:
                lines.append(f"{label} : les {len(deps)} départements totalisent {fmt.value(total, unit)} ; sans valeur "
                             f"régionale pour ce trimestre, la région sera publiée à cette somme")
            elif total == float(own):
                lines.append(f"{label} : les {len(deps)} départements totalisent {fmt.value(total, unit)}, comme la région")
            else:
                gap = total - float(own)
                share = f" ({fmt.signed(100 * gap / float(own), 1)}{units.NBSP}%)" if own else ""
                lines.append(f"⚠ {label} : les {len(deps)} départements totalisent {fmt.value(total, unit)}, la région "
                             f"{fmt.value(float(own), unit)} : écart de {fmt.delta(gap, unit)}{share}")
    return lines
