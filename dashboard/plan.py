"""« Suivi du plan »: cards, summary, breakdown and export tables, as pure functions over a Store.

Every figure is "as of" a quarter and comes from :mod:`dashboard.queries` (value as of a quarter, change since
the previous observation and over a year, target, baseline, taux d'avancement); statuses, paces and projections
from :mod:`dashboard.trajectory`. The build never mixes demo values into a series that has real ones, so a
series is either real or demo, and a status resting on demo values says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from . import exports, fmt, milestones, periods, queries, texts, tracking, trajectory, units
from .cache import memoize
from .queries import BASELINE_QUARTER, Change
from .schema import STATUS_LABELS
from .store import Store
from .trajectory import Assessment, Thresholds

PROVENANCE_WORDS = {"observed": "observé", "estimated": "estimé", "demo": "valeur de démonstration"}


plan_indicators = queries.plan_indicators   # the catalogue's « plan » flag, one rule (dashboard.queries)


def quarters(data: Store, indicators: list[str] | None = None, territory: str | list[str] | None = None) -> list[str]:
    """Every quarter from the first to the last observation (of these indicators, in this territory or these)."""
    df = data.observations
    if indicators is not None:
        df = df[df["indicator"].isin(indicators)]
    if territory is not None:
        df = df[df["territory"].isin([territory] if isinstance(territory, str) else territory)]
    if df.empty:
        return []
    return periods.span(df["period"].min(), df["period"].max())


# ---------------------------------------------------------------------------------------------
# cards


@dataclass(frozen=True)
class Card:
    """One plan indicator as of a quarter, in one territory: raw numbers and their French texts."""

    indicator: str
    label: str
    short_label: str
    unit: str
    polarity: str
    frequency: str
    definition: str
    catalogue_source: str
    territory: str
    as_of: str
    value: float | None
    period: str | None          # quarter of the value shown (≤ as_of)
    provenance: str | None      # observed | estimated | demo
    value_source: str
    note: str
    change_previous: Change | None   # since the previous observation
    change_year: Change | None       # against the observation about a year before the one shown
    target_value: float | None
    target_period: str | None
    target_source: str
    progress: float | None      # taux d'avancement, % (queries.progress)
    expected_progress: float | None  # taux d'avancement expected by now on the linear path, %
    stale: bool
    assessed_on_demo: bool      # the series (hence the status) is made of demo values
    assessment: Assessment = field(repr=False)
    annual: milestones.AnnualProgress | None = None   # taux d'avancement annuel (dashboard.milestones)
    date: str = ""              # ISO day of the situation when the source dates it (2023-12-01), else ""
    baseline: dict | None = None    # the taux d'avancement's starting point (queries.baseline_of)
    revision: str = ""          # « révisé : … auparavant (…) » when the State revised the value (fmt.revision)
    tracked: tracking.Tracked | None = field(default=None, repr=False, compare=False)  # what the build computed

    @property
    def status(self) -> str | None:
        """The tracking's status (:attr:`dashboard.tracking.Tracked.status`: « donnée ancienne » included)."""
        return self.tracked.status

    @property
    def target_met(self) -> bool:
        """Only an observed value meets a target (:attr:`dashboard.tracking.Tracked.target_met`)."""
        return self.tracked.target_met

    @property
    def age(self) -> int | None:
        """Quarters from the observation shown to the quarter chosen (0: measured in that quarter)."""
        return None if self.period is None else periods.index(self.as_of) - periods.index(self.period)

    @property
    def observed_on(self) -> str:
        """« décembre 2023 »: the observation's own date (its quarter's last month when the source gives none)."""
        if self.period is None:
            return "–"
        return queries.month_of({"period": self.period, "date": self.date})

    @property
    def dated_text(self) -> str:
        """« en décembre 2023, il y a 11 trimestres » (the value's date and age at the quarter chosen): beside the
        provenance badge, which already says « observée »."""
        if self.period is None:
            return "aucune valeur à cette date"
        return f"en {self.observed_on}, {fmt.age(self.age)}"

    @property
    def observed_text(self) -> str:
        """« observé en décembre 2023, il y a 11 trimestres »: :attr:`dated_text` with the provenance, where no badge
        says it."""
        if self.period is None:
            return self.dated_text
        return f"{PROVENANCE_WORDS.get(self.provenance or '', 'valeur')} {self.dated_text}"

    @property
    def baseline_text(self) -> str:
        """« depuis 438 en décembre 2022 »: the baseline the taux d'avancement starts from, as the source states it
        (baromètre indic_vi), else the value at the plan's launch."""
        b = self.baseline
        if not b:
            return ""
        if b.get("stated"):
            return f"depuis {fmt.value(b['value'], self.unit)} en {queries.month_of(b)}"
        return f"depuis {fmt.value(b['value'], self.unit)} au lancement du plan, en {queries.month_of(b)}"

    @property
    def is_new(self) -> bool:
        """The value shown was measured in the quarter chosen."""
        return self.period is not None and self.period == self.as_of

    # -- texts (French) --
    @property
    def value_text(self) -> str:
        return fmt.value(self.value, self.unit)

    def change_text(self, which: str) -> str:
        """« +23 depuis T2 2023 » (``which`` = "previous": since the previous observation; "year": against the
        observation about a year before the one shown — none: said so, never an older one)."""
        c = self.change_previous if which == "previous" else self.change_year
        if which == "year" and self.value is not None:
            if self.age is not None and self.age >= 4:      # nothing was observed over the year before the quarter
                return f"aucune observation depuis un an (dernière en {self.observed_on})"
            if c is None:
                return "pas d'observation un an plus tôt"
        return texts.change(c, self.unit)

    @property
    def target_text(self) -> str:
        if self.target_value is None:
            return "pas de cible chiffrée"
        return f"cible {fmt.target(self.target_value, self.unit)} au {fmt.quarter(self.target_period)}"

    @property
    def progress_text(self) -> str:
        """« avancement 32,3 % depuis 438 en décembre 2022 (attendu en décembre 2023 : 46,9 %) »: the taux
        d'avancement, its baseline, and what was expected at the observation's date (never at a later quarter)."""
        if self.progress is None:
            return "–"
        text = f"avancement {fmt.percent(self.progress)}"
        if self.baseline_text:
            text += f" {self.baseline_text}"
        if self.expected_progress is not None and not self.target_met:
            text += f" (attendu en {self.observed_on} : {fmt.percent(self.expected_progress)})"
        return text

    @property
    def annual_text(self) -> str:
        """« avancement annuel 67,5 % (vers 403 au T4 2023 : trajectoire linéaire, aucun jalon au catalogue) »."""
        return self.annual.text(self.unit) if self.annual is not None else ""

    @property
    def provenance_text(self) -> str:
        return STATUS_LABELS.get(self.provenance or "", "–")

    @property
    def status_text(self) -> str:
        if self.target_value is None:
            return "sans cible"
        if self.target_met:
            return "cible atteinte"
        return self.status or "trop tôt pour juger"

    @property
    def projection_text(self) -> str:
        """The projection at the recent pace, dated from the observation it starts at; none on a stale value."""
        a = self.assessment
        if self.target_value is None or a.latest_period is None:
            return "–"
        if self.target_met:
            return "cible atteinte"
        if self.stale:
            return f"pas de projection : dernière observation en {self.observed_on} ({fmt.age(self.age)})"
        if a.projected_period is None:
            return "cible non atteinte au rythme récent" if a.recent_pace is not None else "rythme récent inconnu"
        return f"cible projetée au {fmt.quarter(a.projected_period)} au rythme observé jusqu'en {self.observed_on}"

    @property
    def basis_text(self) -> str:
        """Says on what the status rests when it is not simply the value shown."""
        if self.target_value is None or self.assessment.latest_period is None:
            return ""
        if self.assessed_on_demo:
            return f"Statut {texts.ON_DEMO}."
        return ""

    def pace_text(self, pace: float | None) -> str:
        if pace is None:
            return "–"
        unit = f" {fmt.points(pace, 2)}" if units.of(self.unit).is_share else ""
        return f"{fmt.pace(pace)}{unit} par trimestre"


def card(data: Store, meta: dict | pd.Series, territory: str, as_of: str, thresholds: Thresholds | None = None
         ) -> Card:
    """The card of one indicator (``meta``: its catalogue row) in ``territory`` as of ``as_of``: the plan
    tracking the build computed (:func:`dashboard.tracking.of`), with the catalogue's words. ``thresholds``:
    None (the build's) except for a preview under other ones."""
    meta = dict(meta)
    ident = meta["id"]
    t = tracking.of(data, meta, territory, as_of, thresholds)
    r, tgt = t.value, t.target
    return Card(
        indicator=ident,
        label=meta.get("label", ident),
        short_label=meta.get("short_label") or meta.get("label", ident),
        unit=meta.get("unit", "nombre"),
        polarity=meta.get("polarity") or "none",
        frequency=meta.get("frequency") or "année",
        definition=meta.get("definition", "") or "",
        catalogue_source=meta.get("source", "") or "",
        territory=territory,
        as_of=as_of,
        value=None if r is None else r["value"],
        period=None if r is None else r["period"],
        provenance=None if r is None else r["status"],
        value_source="" if r is None else r["source"],
        note="" if r is None else r["note"],
        change_previous=t.change_previous,
        change_year=t.change_year,
        target_value=tgt["value"] if tgt else None,
        target_period=tgt["period"] if tgt else None,
        target_source=tgt["source"] if tgt else "",
        progress=t.progress,
        expected_progress=t.expected_progress,
        stale=t.stale,
        assessed_on_demo=t.assessed_on_demo,
        assessment=t.assessment,
        annual=t.annual,
        date="" if r is None else r.get("date", ""),
        baseline=t.baseline,
        revision=fmt.revision(r, meta.get("unit", "nombre")),
        tracked=t,
    )


def cards(data: Store, territory: str, as_of: str, thresholds: Thresholds | None = None,
          public_only: bool = False) -> list[Card]:
    """One card per plan indicator, in catalogue order."""
    return [card(data, meta, territory, as_of, thresholds)
            for meta in plan_indicators(data.indicators, public_only).to_dict("records")]


def progress_rows(data: Store, thresholds: Thresholds, indicator: str | None = None,
                  territory: str | None = None) -> list[dict]:
    """One record per indicator × territory with a target × observed quarter: the figures of that quarter's
    card (:func:`card`, the very function of the plan page) — taux d'avancement, its baseline and date, the
    target and its date, the status. What ``python -m dashboard.pipeline progress`` prints."""
    t = data.targets
    keys = sorted(set(zip(t["indicator"], t["territory"]))) if t is not None and len(t) else []
    rows = []
    for ident, code in keys:
        if (indicator and ident != indicator) or (territory and code != territory) \
                or ident not in data.indicators.index:
            continue
        meta = data.indicators.loc[ident].to_dict()
        for q in queries.series(data, ident, code)["period"].tolist():
            c = card(data, meta, code, q, thresholds)
            b = c.baseline or {}
            rows.append({
                "indicator": ident, "territory": code, "period": q, "date": c.date or None,
                "value": c.value, "provenance": c.provenance,
                "taux_avancement": None if c.progress is None else round(c.progress, 2),
                "baseline": b.get("value"), "baseline_period": b.get("period"), "baseline_date": b.get("date") or None,
                "baseline_from_source": bool(b.get("stated")),
                "target": c.target_value, "target_period": c.target_period,
                "target_date": (queries.target_of(data, ident, code) or {}).get("date") or None,
                "status": c.status_text,
            })
    return rows


# ---------------------------------------------------------------------------------------------
# "Ce trimestre": plain-French summary


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def summary(cards_: list[Card], as_of: str) -> list[str]:
    """Sentences for the « Ce trimestre » block, generated from the cards only."""
    q = fmt.quarter(as_of)
    lines: list[str] = []
    with_target = [c for c in cards_ if c.target_value is not None and c.value is not None]
    counts = {s: sum(1 for c in with_target if c.status == s) for s in (*trajectory.STATUSES, trajectory.STALE, None)}
    if with_target:
        parts = [f"{counts[trajectory.ON_TRACK]} en bonne voie", f"{counts[trajectory.WATCH]} à surveiller",
                 f"{counts[trajectory.LATE]} en retard"]
        if counts[trajectory.STALE]:    # an old value is judged at its own date, not counted as on track or late
            parts.append(_plural(counts[trajectory.STALE], "donnée ancienne", "données anciennes"))
        if counts[None]:
            parts.append(f"{counts[None]} trop tôt pour juger (pas de valeur observée depuis la référence)")
        lines.append(f"Au {q}, sur {_plural(len(with_target), 'indicateur du plan doté', 'indicateurs du plan dotés')}"
                     f" d'une cible : {', '.join(parts)}.")
    new = [c for c in cards_ if c.is_new and c.change_previous is not None and c.change_previous.new]
    if new:
        bits = [f"{c.short_label} {c.change_text('previous')}, à {c.value_text}" for c in new]
        lines.append(f"Valeurs nouvelles au {q} : {' ; '.join(bits)}.")
    else:
        lines.append(f"Aucune valeur nouvelle au {q}.")
    for c in [c for c in with_target if c.status == trajectory.LATE]:
        a = c.assessment
        text = f"En retard : {c.short_label}, {c.progress_text}"
        if a.needed_pace_from_now is not None:
            text += f" ; il faudrait {c.pace_text(a.needed_pace_from_now)} d'ici le {fmt.quarter(c.target_period)}"
            if a.recent_pace is not None:
                text += f", contre {c.pace_text(a.recent_pace)} au rythme récent"
        lines.append(text + ".")
    watch = [c.short_label for c in with_target if c.status == trajectory.WATCH]
    if watch:
        lines.append(f"À surveiller : {_names(watch)}.")
    met = [c.short_label for c in with_target if c.target_met]
    if met:
        lines.append(f"Cible atteinte : {_names(met)}.")
    stale = [f"{c.short_label} (dernière valeur au {fmt.quarter(c.period)})" for c in cards_ if c.stale and c.period]
    if stale:
        lines.append(f"Donnée ancienne : {_names(stale)}.")
    missing = [c.short_label for c in cards_ if c.value is None]
    if missing:
        lines.append(f"Sans valeur à cette date : {_names(missing)}.")
    demo = [c.short_label for c in cards_ if c.provenance == "demo"]
    if demo:
        lines.append(f"{texts.DEMO_VALUES.capitalize()} : {_names(demo)}.")
    return lines


# ---------------------------------------------------------------------------------------------
# detail: trajectory table, breakdown by département


def trajectory_table(data: Store, indicator: str, territory: str, a: Assessment, unit: str = "nombre"
                     ) -> pd.DataFrame:
    """The table behind the trajectory chart: one row per quarter with the observed value (and its
    provenance), the required trajectory and the projection at the recent pace with its band, all at display
    precision."""
    rows: dict[str, dict] = {}
    df = queries.series(data, indicator, territory, a.latest_period) if a.latest_period else queries.series(
        data, indicator, territory).iloc[0:0]
    for r in df.to_dict("records"):
        rows.setdefault(r["period"], {}).update(
            valeur=fmt.rounded(r["value"], unit), statut=STATUS_LABELS.get(r["status"], r["status"]),
            source=r.get("source", ""))
    if a.target_period and a.baseline_period and a.required_pace is not None:
        for q, v in trajectory.expected_path(a.baseline_period, a.baseline_value, a.target_period, a.target_value):
            rows.setdefault(q, {})["trajectoire_requise"] = fmt.rounded(v, unit)
    for p in trajectory.projection_path(a, unit=unit):
        if p.period == a.latest_period:
            continue
        rows.setdefault(p.period, {}).update(projection=fmt.rounded(p.value, unit),
                                             projection_basse=fmt.rounded(p.low, unit),
                                             projection_haute=fmt.rounded(p.high, unit))
    out = pd.DataFrame.from_dict(rows, orient="index")
    if out.empty:
        return pd.DataFrame(columns=["trimestre", "trimestre_libelle", "valeur", "statut", "source"])
    out.index.name = "trimestre"
    out = out.reset_index().sort_values("trimestre")
    out.insert(1, "trimestre_libelle", out["trimestre"].map(periods.label))
    return out.reset_index(drop=True)


def departements_of(data: Store, region: str) -> pd.DataFrame:
    """The départements of a region (territories rows), sorted by code."""
    t = data.territories.reset_index(drop=True)
    t = t[(t["level"] == "departement") & (t["region"] == region)]
    return t.sort_values("code").reset_index(drop=True)


def breakdown(data: Store, indicator: str, unit: str, region: str, as_of: str, since: str) -> pd.DataFrame:
    """Each département's value as of ``as_of``, its change since ``since`` and its contribution to the
    regional change.

    Contribution, in the region's unit: the département's change for counts; for percentages, its
    change in points weighted by its share of the regional population. ``part_evolution_regionale`` is
    the contribution divided by the regional change over the same quarters (None when that is 0 or
    unknown). Sorted by contribution, largest first; départements without data last.
    """
    deps = departements_of(data, region)
    reg_now, reg_then = queries.value_at(data, indicator, region, as_of), queries.value_at(data, indicator, region, since)
    reg_change = None if reg_now is None or reg_then is None else reg_now["value"] - reg_then["value"]
    reg_pop = queries.population_of(data, region) or float(deps["population"].sum()) or None
    rows = []
    for d in deps.to_dict("records"):
        now = queries.value_at(data, indicator, d["code"], as_of)
        then = queries.value_at(data, indicator, d["code"], since)
        change = None if now is None or then is None else now["value"] - then["value"]
        contrib = change
        if change is not None and units.of(unit).is_share:
            pop = d.get("population")
            contrib = change * pop / reg_pop if pop and reg_pop else None
        rows.append({
            "territoire": d["code"],
            "nom": d["name"],
            "valeur": None if now is None else now["value"],
            "trimestre_valeur": None if now is None else now["period"],
            "statut": None if now is None else now["status"],
            "valeur_depart": None if then is None else then["value"],
            "evolution": change,
            "contribution": contrib,
            "part_evolution_regionale": (contrib / reg_change) if contrib is not None and reg_change else None,
        })
    out = pd.DataFrame(rows, columns=["territoire", "nom", "valeur", "trimestre_valeur", "statut", "valeur_depart",
                                      "evolution", "contribution", "part_evolution_regionale"])
    out["_k"] = out["contribution"].fillna(-math.inf)
    return out.sort_values(["_k", "territoire"], ascending=[False, True]).drop(columns="_k").reset_index(drop=True)


def reported_text(b: pd.DataFrame, as_of: str) -> str | None:
    """How complete the quarter is, from the breakdown (:func:`breakdown`): « 1 département sur 12 mesuré au
    T3 2026 ; les autres montrent leur dernière valeur connue ». A quarter being collected is partial: each
    département's row keeps its own latest value, and this line says how many are of the quarter itself.
    None when no département has a value at all."""
    known = b["valeur"].notna()
    if not known.any():
        return None
    total, fresh = len(b), int((b["trimestre_valeur"] == as_of).sum())
    q = fmt.quarter(as_of)
    if fresh == total:
        return f"les {total} départements mesurés au {q}"
    others = "les autres montrent leur dernière valeur connue" if fresh else "chacun montre sa dernière valeur connue"
    counted = "aucun département" if fresh == 0 else f"{fresh} département{'s' if fresh > 1 else ''}"
    return f"{counted} sur {total} mesuré{'s' if fresh > 1 else ''} au {q} ; {others}"


def detail(data: Store, region: str, as_of: str, indicator: str, thresholds: Thresholds | None = None) -> dict | None:
    """Everything the detail of one indicator shows (the layout only renders it): its card, key facts in
    French, the series up to ``as_of`` (for the chart), the chart's table, the breakdown by département."""
    meta = data.indicators.loc[indicator].to_dict() if indicator in data.indicators.index else None
    if meta is None or as_of is None:
        return None
    c = card(data, meta, region, as_of, thresholds)
    a = c.assessment
    unit = c.unit
    facts = []
    if a.required_pace is not None:
        facts.append(("Rythme requis", f"{c.pace_text(a.required_pace)}, de {fmt.value(a.baseline_value, unit)} au "
                                       f"{fmt.quarter(a.baseline_period)} à {fmt.value(a.target_value, unit)} au "
                                       f"{fmt.quarter(a.target_period)}"))
    if c.progress is not None:
        facts.append(("Avancement", f"{fmt.percent(c.progress)} du chemin vers la cible, {c.baseline_text}"
                      + (f" ; attendu en {c.observed_on} : {fmt.percent(c.expected_progress)} "
                         f"({fmt.value(a.expected_value_at_latest, unit)} au {fmt.quarter(a.latest_period)})"
                         if c.expected_progress is not None and not c.target_met else "")))
    if c.annual is not None:
        facts.append(("Avancement annuel", c.annual_text[len("avancement annuel "):]))
    if a.recent_pace is not None:
        facts.append(("Rythme récent", f"{c.pace_text(a.recent_pace)} (valeurs du "
                                       f"{', '.join(fmt.quarter(q) for q in a.recent_points)})"))
    if c.target_value is not None:
        if a.needed_pace_from_now is not None and not a.target_met:
            facts.append(("Nécessaire d'ici la cible", f"{c.pace_text(a.needed_pace_from_now)} pendant "
                                                       f"{a.quarters_left} trimestre(s)"))
        facts.append(("Projection", c.projection_text))
    facts.append(("Statut", c.status_text + (f" ({texts.ON_DEMO})" if c.assessed_on_demo else "")))
    if c.value_source:      # an entered value names its entry date and validator here (« saisie …, validée par … »)
        facts.append(("Source de la valeur", f"{c.value_source} ({fmt.quarter(c.period)})" if c.period
                      else c.value_source))
    shown = queries.series(data, indicator, region, as_of)
    since = breakdown_since(a, as_of)
    b = breakdown(data, indicator, unit, region, as_of, since)
    reported = reported_text(b, as_of)
    if reported:
        facts.append(("Départements", reported))
    b = b.assign(trimestre_valeur_libelle=[fmt.quarter(q) if isinstance(q, str) else "–" for q in b["trimestre_valeur"]])
    return {"card": c, "meta": meta, "facts": facts, "series": shown, "table": trajectory_table(data, indicator, region, a, unit),
            "has_demo": bool((shown["status"] == "demo").any()), "since": since, "breakdown": b,
            "has_breakdown": bool(b["valeur"].notna().any())}


# ---------------------------------------------------------------------------------------------
# export: indicator × territory × quarter

EXPORT_COLUMNS = [
    "indicateur", "libelle", "unite", "territoire", "territoire_nom", "trimestre", "trimestre_libelle",
    "valeur", "trimestre_valeur", "statut_donnee", "source", "note", "cible", "echeance_cible", "avancement_pct",
    "statut_plan", "revision",
]


def quarterly_table(data: Store, region: str, as_of: str, thresholds: Thresholds | None = None,
                    public_only: bool = False) -> pd.DataFrame:
    """The export table: one row per plan indicator × territory (region, its départements) × quarter, from
    the indicator's first value in that territory up to ``as_of``, at display precision.

    Each row holds the value as of that quarter and its provenance: ``trimestre_valeur`` (the quarter the
    value was measured, ≤ ``trimestre``), ``statut_donnee`` (observée / estimée / démo), ``source``,
    ``note``; then the target, the taux d'avancement and the plan status (where the territory has a target).
    """
    codes = [region] + departements_of(data, region)["code"].tolist()
    rows = []
    for meta in plan_indicators(data.indicators, public_only).to_dict("records"):
        unit = meta.get("unit", "")
        for code in codes:
            first = queries.series(data, meta["id"], code, as_of)
            if first.empty:
                continue
            for q in periods.span(first["period"].iloc[0], as_of):
                c = card(data, meta, code, q, thresholds)
                r = c.tracked.value
                tgt = c.tracked.target
                status = c.status and (c.status + (" (sur valeurs démo)" if c.assessed_on_demo else "")) \
                    if tgt else None
                prog = round(c.progress, 1) if c.progress is not None else None
                rows.append({
                    "indicateur": meta["id"], "libelle": meta.get("label", meta["id"]), "unite": unit,
                    "territoire": code, "territoire_nom": queries.name_of(data, code),
                    "trimestre": q, "trimestre_libelle": periods.label(q),
                    "valeur": fmt.rounded(r["value"], unit), "trimestre_valeur": r["period"],
                    "statut_donnee": STATUS_LABELS.get(r["status"], r["status"]),
                    "source": r["source"], "note": r["note"],
                    "cible": fmt.rounded(tgt["value"], unit) if tgt else None, "echeance_cible": tgt["period"] if tgt else None,
                    "avancement_pct": prog, "statut_plan": status, "revision": fmt.revision(r, unit),
                })
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS)


def to_csv(table: pd.DataFrame) -> str:
    """CSV for French spreadsheets, the project's one convention (« ; », decimal comma, UTF-8 with a BOM)."""
    return exports.to_csv(table)


def to_xlsx(table: pd.DataFrame, sheet: str = "Suivi du plan", readme: list[tuple[str, str]] | None = None,
            definitions: pd.DataFrame | None = None) -> bytes:
    """An XLSX workbook: the table, a « Lisez-moi » sheet (``readme`` key/value rows) and a « Définitions » sheet
    (the catalogue's definitions, units and sources: :func:`exports.definitions`), formatted by
    :func:`exports.to_xlsx` (widths, frozen header, auto-filter)."""
    sheets = [(sheet, table)]
    if readme:
        sheets.append(("Lisez-moi", pd.DataFrame(readme, columns=["rubrique", "contenu"])))
    if definitions is not None:
        sheets.append((exports.DEFINITIONS_SHEET, definitions))
    return exports.to_xlsx(sheets)


# ---------------------------------------------------------------------------------------------
# page state (URL) and settings


@dataclass(frozen=True)
class State:
    """The page state held in the URL: ``/?trimestre=2023Q4&indicateur=msp_count``."""

    quarter: str | None
    indicator: str | None
    quarters: tuple[str, ...]      # selectable quarters, ascending
    indicators: tuple[str, ...]    # plan indicators, catalogue order


def plan_quarters(data: Store, territory: str) -> list[str]:
    """Selectable quarters: from the first to the last value of a plan indicator in ``territory`` or one of its
    départements (a quarter being collected is selectable as soon as one département has reported)."""
    return quarters(data, plan_indicators(data.indicators)["id"].tolist(), queries.followed_codes(data, territory))


def resolve_state(data: Store, territory: str, quarter: str | None = None, indicator: str | None = None) -> State:
    """Validate the URL's state; anything missing or unknown falls back to the default (the session's quarter,
    :func:`dashboard.queries.session_quarter`; first plan indicator with a target, else the first one)."""
    qs = tuple(plan_quarters(data, territory))
    ids = tuple(plan_indicators(data.indicators)["id"])
    if quarter not in qs:
        default = queries.session_quarter(data, territory)
        quarter = default if default in qs else (qs[-1] if qs else None)
    if indicator not in ids:
        with_target = [i for i in ids if queries.target_of(data, i, territory)]
        indicator = (with_target or list(ids) or [None])[0]
    return State(quarter=quarter, indicator=indicator, quarters=qs, indicators=ids)




def breakdown_since(a: Assessment, as_of: str) -> str:
    """Start of the département breakdown: the plan baseline when it is before ``as_of``, else a year before."""
    if a.baseline_period and periods.index(a.baseline_period) < periods.index(as_of):
        return a.baseline_period
    return periods.shift(as_of, -4)


def export_readme(version: str, built_at: str, region: str, as_of: str, thresholds: Thresholds) -> list[tuple[str, str]]:
    """The « Lisez-moi » sheet of the XLSX export."""
    return [
        ("Contenu", "Indicateurs du plan d'accès aux soins par territoire (région, départements) et par trimestre."),
        ("Territoire suivi", region),
        ("Jusqu'au trimestre", periods.label(as_of)),
        ("Version des données", version),
        ("Construite le", built_at),
        ("valeur", "Dernière valeur connue à la fin du trimestre ; trimestre_valeur dit quand elle a été mesurée."),
        ("statut_donnee", texts.PROVENANCE + "."),
        ("avancement_pct", "taux d'avancement vers la cible, en % : 100 × (valeur − valeur de référence) / (cible − "
                           f"valeur de référence), borné à 0–100 ; valeur de référence : celle du "
                           f"{periods.label(BASELINE_QUARTER)} (à défaut la première valeur). C'est le taux "
                           "d'avancement publié par le baromètre de l'action publique."),
        ("statut_plan", f"{texts.threshold_rule(thresholds)} ; progression attendue = trajectoire linéaire de la "
                        "valeur de référence "
                        f"({periods.label(BASELINE_QUARTER)}) à la cible. Calculé sur les valeurs observées ou "
                        "estimées."),
    ]


# ---------------------------------------------------------------------------------------------
# memoised on the store version (dashboard.cache): the same result for every user until a new version


@memoize()
def store_cards(data, region: str, as_of: str, thresholds: Thresholds) -> list[Card]:
    """:func:`cards` of a Store (the plan's headline indicators in ``region`` as of ``as_of``)."""
    return cards(data, region, as_of, thresholds)


@memoize()
def store_quarterly_table(data, region: str, as_of: str, thresholds: Thresholds) -> pd.DataFrame:
    """:func:`quarterly_table` of a Store."""
    return quarterly_table(data, region, as_of, thresholds)
