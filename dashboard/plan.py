"""« Suivi du plan »: cards, summary, breakdown and export tables, as pure functions over store frames.

Every figure is "as of" a quarter: each indicator's last value at or before it (see
:func:`dashboard.trajectory.value_at`). The frames follow :data:`dashboard.schema.TABLES`:
``observations`` (indicator, territory, period, value, status, source, note), ``indicators`` (the
catalogue), ``targets`` (indicator, territory, period, value, source) and ``territories``.

Baseline: the plan is assessed from the value as of :data:`BASELINE_QUARTER` (end 2022, the
baromètre's reference value — « valeur initiale » of IND-311, IND-318, IND-589); when an indicator has no
value by then, from its first observation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from . import exports, fmt, periods, trajectory
from .cache import memoize
from .schema import STATUS_LABELS
from .trajectory import Assessment, Thresholds

BASELINE_QUARTER = "2022Q4"

STATUS_ORDER = {trajectory.LATE: 0, trajectory.WATCH: 1, trajectory.ON_TRACK: 2, None: 3}
PROVENANCE_ORDER = {"observed": 0, "estimated": 1, "demo": 2}


# ---------------------------------------------------------------------------------------------
# reading the frames


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "oui")
    return bool(value) and not (isinstance(value, float) and math.isnan(value))


def plan_indicators(indicators: pd.DataFrame, public_only: bool = False) -> pd.DataFrame:
    """The plan's headline indicators (catalogue ``plan`` flag), in catalogue order."""
    df = indicators[indicators["plan"].map(_flag)]
    if public_only:
        df = df[df["public"].map(_flag)]
    if "order" in df.columns:
        df = df.sort_values("order", kind="stable")
    return df


def series(observations: pd.DataFrame, indicator: str, territory: str) -> pd.DataFrame:
    """Observations of one indicator in one territory, sorted by quarter."""
    df = observations[(observations["indicator"] == indicator) & (observations["territory"] == territory)]
    return _sorted(df)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    df = df.dropna(subset=["value"]).reset_index(drop=True)
    order = df["period"].map(periods.index).sort_values(kind="stable").index
    return df.loc[order].reset_index(drop=True)


def series_index(observations: pd.DataFrame, indicators: list[str], territories: list[str]
                 ) -> dict[tuple[str, str], pd.DataFrame]:
    """``{(indicator, territory): series}`` for many series at once (one pass over the observations)."""
    df = observations[observations["indicator"].isin(indicators) & observations["territory"].isin(territories)]
    return {key: _sorted(part) for key, part in df.groupby(["indicator", "territory"], sort=False)}


def assessment_basis(df: pd.DataFrame, as_of: str) -> tuple[pd.DataFrame, bool]:
    """The observations a status is computed on, and whether they are demo values.

    Statuses, paces and projections rest on observed and estimated values only, as long as the series has
    one at or before ``as_of``; a series made only of demo values is assessed on them, and the status is
    then marked as resting on demo values. (Values shown are always the last value at or before the
    quarter, whatever its status — demo values visibly marked.)
    """
    real = df[df["status"] != "demo"]
    if len(real) and (real["period"] <= as_of).any():
        return real.reset_index(drop=True), False
    return df, bool(len(df))


def pairs(df: pd.DataFrame) -> list[tuple[str, float]]:
    return list(zip(df["period"], df["value"].astype(float)))


def row_at(df: pd.DataFrame, as_of: str) -> pd.Series | None:
    """The last observation row at or before ``as_of`` (``df`` as returned by :func:`series`)."""
    hit = df[df["period"] <= as_of]  # "2023Q4" strings sort like quarters (4-digit years)
    return hit.iloc[-1] if len(hit) else None


def target_for(targets: pd.DataFrame | None, indicator: str, territory: str) -> dict | None:
    """The target of an indicator in a territory (the latest-dated one if several), or None."""
    if targets is None or targets.empty:
        return None
    t = targets[(targets["indicator"] == indicator) & (targets["territory"] == territory)].dropna(subset=["value"])
    if t.empty:
        return None
    t = t.assign(_i=t["period"].map(periods.index)).sort_values("_i")
    r = t.iloc[-1]
    return {"period": r["period"], "value": float(r["value"]), "source": r.get("source", "") or ""}


def baseline_for(df: pd.DataFrame, baseline_quarter: str = BASELINE_QUARTER) -> tuple[str, float] | None:
    """The plan baseline of a series: its value as of ``baseline_quarter``, else its first value."""
    if df.empty:
        return None
    r = row_at(df, baseline_quarter)
    if r is None:
        r = df.iloc[0]
    return r["period"], float(r["value"])


def quarters(observations: pd.DataFrame, indicators: list[str] | None = None, territory: str | None = None
             ) -> list[str]:
    """Every quarter from the first to the last observation (of these indicators, in this territory)."""
    df = observations
    if indicators is not None:
        df = df[df["indicator"].isin(indicators)]
    if territory is not None:
        df = df[df["territory"] == territory]
    if df.empty:
        return []
    idx = df["period"].map(periods.index)
    return [periods.from_index(i) for i in range(int(idx.min()), int(idx.max()) + 1)]


def latest_quarter(observations: pd.DataFrame, indicators: list[str] | None = None,
                   territory: str | None = None) -> str | None:
    """The latest quarter with data (default of the quarter selector)."""
    q = quarters(observations, indicators, territory)
    return q[-1] if q else None


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
    change_quarter: float | None
    change_year: float | None
    target_value: float | None
    target_period: str | None
    target_source: str
    progress: float | None      # share of the way from baseline to target achieved, 0..1 (bar)
    expected_progress: float | None  # share of the way expected by now, 0..1 (tick on the bar)
    stale: bool
    change_on_demo: tuple[bool, bool]  # (quarter, year): a side of the change is a demo value
    change_new: tuple[bool, bool]      # (quarter, year): the two sides are different observations
    assessed_on_demo: bool      # the status rests on demo values (the series has no other)
    assessment: Assessment = field(repr=False)

    @property
    def status(self) -> str | None:
        return self.assessment.status

    @property
    def target_met(self) -> bool:
        return self.assessment.target_met

    # -- texts (French) --
    def decimals(self) -> int:
        return {"%": 1, "consultations/hab./an": 2}.get(self.unit, 0)

    @property
    def value_text(self) -> str:
        return fmt.value(self.value, self.unit)

    def change_text(self, which: str) -> str:
        v = self.change_quarter if which == "quarter" else self.change_year
        k = 0 if which == "quarter" else 1
        if v is None:
            return "–"
        if not self.change_new[k]:
            return "pas de valeur nouvelle"
        text = fmt.signed(v, self.decimals()) + (" pt" if self.unit == "%" else "")
        return text + (" (calcul avec une valeur démo)" if self.change_on_demo[k] else "")

    @property
    def target_text(self) -> str:
        if self.target_value is None:
            return "pas de cible chiffrée"
        return f"cible {target_number(self.target_value, self.unit)} au {fmt.quarter(self.target_period)}"

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
        a = self.assessment
        if self.target_value is None or a.latest_period is None:
            return "–"
        if a.target_met:
            return "cible atteinte"
        if a.projected_period is None:
            return "cible non atteinte au rythme récent" if a.recent_pace is not None else "rythme récent inconnu"
        return f"cible atteinte au {fmt.quarter(a.projected_period)} au rythme récent"

    @property
    def basis_text(self) -> str:
        """Says on what the status rests when it is not simply the value shown."""
        a = self.assessment
        if self.target_value is None or a.latest_period is None:
            return ""
        if self.assessed_on_demo:
            return "Statut calculé sur des valeurs de démonstration."
        if a.latest_period != self.period:
            return (f"Statut calculé sur la dernière valeur observée ou estimée : "
                    f"{fmt.value(a.latest_value, self.unit)} au {fmt.quarter(a.latest_period)}.")
        return ""

    def pace_text(self, pace: float | None) -> str:
        if pace is None:
            return "–"
        unit = " pt" if self.unit == "%" else ""
        return f"{pace_number(pace)}{unit} par trimestre"


def target_number(value: float, unit: str) -> str:
    """A target as the plan states it: « 590 », « 100 % » (no needless decimals)."""
    return fmt.value(value, unit, 0 if float(value).is_integer() else None)


def pace_number(pace: float | None) -> str:
    """A pace with up to two decimals, trailing zeros dropped: 17,25 ; 10,5 ; 15,56 ; 3."""
    if pace is None:
        return "–"
    text = fmt.number(round(pace, 2), 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def progress_shares(a: Assessment) -> tuple[float | None, float | None]:
    """(achieved, expected) shares of the way from baseline to target, clamped to 0..1, for a bar."""
    if a.target_value is None or a.baseline_value is None or a.latest_value is None:
        return None, None
    span = a.target_value - a.baseline_value
    if span == 0:
        return (1.0 if a.target_met else 0.0), 1.0
    done = 1.0 if a.target_met else (a.latest_value - a.baseline_value) / span

    def clamp(x):
        return min(1.0, max(0.0, x))

    expected = None
    if a.expected_value_at_latest is not None:
        expected = clamp((a.expected_value_at_latest - a.baseline_value) / span)
    return clamp(done), expected


def assess_frame(df: pd.DataFrame, meta: dict, tgt: dict | None, as_of: str, thresholds: Thresholds = Thresholds(),
                 baseline_quarter: str = BASELINE_QUARTER) -> tuple[Assessment, bool]:
    """Assess a series (see :func:`assessment_basis`): (assessment, whether it rests on demo values)."""
    basis, on_demo = assessment_basis(df, as_of)
    a = trajectory.assess(
        pairs(basis),
        baseline=baseline_for(basis, baseline_quarter),
        target=(tgt["period"], tgt["value"]) if tgt else None,
        as_of=as_of,
        polarity=meta.get("polarity"),
        thresholds=thresholds,
    )
    return a, on_demo


def card(meta: dict | pd.Series, obs: pd.DataFrame | None, targets: pd.DataFrame | None, territory: str,
         as_of: str, thresholds: Thresholds = Thresholds(), baseline_quarter: str = BASELINE_QUARTER,
         df: pd.DataFrame | None = None) -> Card:
    """The card of one indicator (``meta``: its catalogue row) in ``territory`` as of ``as_of``
    (``df``: its series when already at hand, else read from ``obs``)."""
    df = series(obs, meta["id"], territory) if df is None else df
    pts = pairs(df)
    tgt = target_for(targets, meta["id"], territory)
    a, on_demo = assess_frame(df, meta, tgt, as_of, thresholds, baseline_quarter)
    r = row_at(df, as_of) if not df.empty else None
    done, expected = progress_shares(a)
    freq = meta.get("frequency") or "année"
    return Card(
        indicator=meta["id"],
        label=meta.get("label", meta["id"]),
        short_label=meta.get("short_label") or meta.get("label", meta["id"]),
        unit=meta.get("unit", "nombre"),
        polarity=meta.get("polarity") or "none",
        frequency=freq,
        definition=meta.get("definition", "") or "",
        catalogue_source=meta.get("source", "") or "",
        territory=territory,
        as_of=as_of,
        value=None if r is None else float(r["value"]),
        period=None if r is None else r["period"],
        provenance=None if r is None else r["status"],
        value_source="" if r is None else (r.get("source") or ""),
        note="" if r is None or pd.isna(r.get("note")) else (r.get("note") or ""),
        change_quarter=trajectory.change(pts, as_of, 1),
        change_year=trajectory.change(pts, as_of, 4),
        target_value=tgt["value"] if tgt else None,
        target_period=tgt["period"] if tgt else None,
        target_source=tgt["source"] if tgt else "",
        progress=done,
        expected_progress=expected,
        stale=trajectory.is_stale(None if r is None else r["period"], as_of,
                                  freq if freq in periods.FREQUENCY_QUARTERS else "année"),
        change_on_demo=(_demo_side(df, as_of, 1), _demo_side(df, as_of, 4)),
        change_new=(_new_value(df, as_of, 1), _new_value(df, as_of, 4)),
        assessed_on_demo=on_demo,
        assessment=a,
    )


def _demo_side(df: pd.DataFrame, as_of: str, lag: int) -> bool:
    if df.empty:
        return False
    rows = [row_at(df, as_of), row_at(df, periods.shift(as_of, -lag))]
    return any(r is not None and r["status"] == "demo" for r in rows) and all(r is not None for r in rows)


def _new_value(df: pd.DataFrame, as_of: str, lag: int) -> bool:
    if df.empty:
        return False
    now, before = row_at(df, as_of), row_at(df, periods.shift(as_of, -lag))
    return now is not None and before is not None and now["period"] != before["period"]


def cards(indicators: pd.DataFrame, observations: pd.DataFrame, targets: pd.DataFrame | None, territory: str,
          as_of: str, thresholds: Thresholds = Thresholds(), public_only: bool = False) -> list[Card]:
    """One card per plan indicator, in catalogue order."""
    metas = plan_indicators(indicators, public_only).to_dict("records")
    idx = series_index(observations, [m["id"] for m in metas], [territory])
    empty = observations.iloc[0:0]
    return [card(meta, None, targets, territory, as_of, thresholds, df=idx.get((meta["id"], territory), empty))
            for meta in metas]


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
    counts = {s: sum(1 for c in with_target if c.status == s) for s in (*trajectory.STATUSES, None)}
    if with_target:
        parts = [f"{counts[trajectory.ON_TRACK]} en bonne voie", f"{counts[trajectory.WATCH]} à surveiller",
                 f"{counts[trajectory.LATE]} en retard"]
        if counts[None]:
            parts.append(f"{counts[None]} trop tôt pour juger (pas de valeur observée depuis la référence)")
        lines.append(f"Au {q}, sur {_plural(len(with_target), 'indicateur du plan doté', 'indicateurs du plan dotés')}"
                     f" d'une cible : {', '.join(parts)}.")
    moved = [c for c in cards_ if c.change_quarter not in (None, 0) and c.change_new[0]]
    if moved:
        bits = [f"{c.short_label} {c.change_text('quarter')}, à {c.value_text}" for c in moved]
        lines.append(f"Évolution depuis le {fmt.quarter(periods.shift(as_of, -1))} : {' ; '.join(bits)}.")
    else:
        lines.append(f"Aucune valeur nouvelle depuis le {fmt.quarter(periods.shift(as_of, -1))}.")
    for c in [c for c in with_target if c.status == trajectory.LATE]:
        a = c.assessment
        text = f"En retard : {c.short_label}"
        if a.progress_share is not None:
            text += f", {fmt.number(a.progress_share * 100)} % de la progression attendue"
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
        lines.append(f"Valeurs de démonstration (non réelles) : {_names(demo)}.")
    return lines


# ---------------------------------------------------------------------------------------------
# detail: trajectory table, breakdown by département


def trajectory_table(df: pd.DataFrame, a: Assessment, unit: str = "nombre") -> pd.DataFrame:
    """The table behind the trajectory chart: one row per quarter with the observed value (and its
    provenance), the required trajectory and the projection at the recent pace with its band."""
    rows: dict[str, dict] = {}
    for r in df.to_dict("records"):
        if a.latest_period and periods.index(r["period"]) > periods.index(a.latest_period):
            continue
        rows.setdefault(r["period"], {}).update(
            valeur=float(r["value"]), statut=STATUS_LABELS.get(r["status"], r["status"]), source=r.get("source", ""))
    if a.target_period and a.baseline_period and a.required_pace is not None:
        for q, v in trajectory.expected_path(a.baseline_period, a.baseline_value, a.target_period, a.target_value):
            rows.setdefault(q, {})["trajectoire_requise"] = v
    for p in trajectory.projection_path(a):
        if p.period == a.latest_period:
            continue
        rows.setdefault(p.period, {}).update(projection=p.value, projection_basse=p.low, projection_haute=p.high)
    out = pd.DataFrame.from_dict(rows, orient="index")
    if out.empty:
        return pd.DataFrame(columns=["trimestre", "trimestre_libelle", "valeur", "statut", "source"])
    out.index.name = "trimestre"
    out = out.reset_index()
    out = out.assign(_i=out["trimestre"].map(periods.index)).sort_values("_i").drop(columns="_i")
    out.insert(1, "trimestre_libelle", out["trimestre"].map(periods.label))
    return out.reset_index(drop=True)


def departements_of(territories: pd.DataFrame, region: str) -> pd.DataFrame:
    """The départements of a region (territories rows), sorted by code."""
    t = territories.reset_index(drop=True)
    t = t[(t["level"] == "departement") & (t["region"] == region)]
    return t.sort_values("code").reset_index(drop=True)


def breakdown(observations: pd.DataFrame, territories: pd.DataFrame, indicator: str, unit: str, region: str,
              as_of: str, since: str) -> pd.DataFrame:
    """Each département's value as of ``as_of``, its change since ``since`` and its contribution to the
    regional change.

    Contribution, in the region's unit: the département's change for counts; for percentages, its
    change in points weighted by its share of the regional population. ``part_evolution_regionale`` is
    the contribution divided by the regional change over the same quarters (None when that is 0 or
    unknown). Sorted by contribution, largest first; départements without data last.
    """
    deps = departements_of(territories, region)
    idx = series_index(observations, [indicator], [region, *deps["code"]])
    empty = observations.iloc[0:0]
    reg = idx.get((indicator, region), empty)
    reg_now, reg_then = row_at(reg, as_of) if not reg.empty else None, row_at(reg, since) if not reg.empty else None
    reg_change = None if reg_now is None or reg_then is None else float(reg_now["value"]) - float(reg_then["value"])
    pops = dict(zip(territories["code"].tolist(), territories["population"].tolist()))
    reg_pop = pops.get(region)
    if not reg_pop or (isinstance(reg_pop, float) and math.isnan(reg_pop)):
        reg_pop = float(deps["population"].sum()) or None
    rows = []
    for d in deps.to_dict("records"):
        s = idx.get((indicator, d["code"]), empty)
        now = row_at(s, as_of) if not s.empty else None
        then = row_at(s, since) if not s.empty else None
        change = None if now is None or then is None else float(now["value"]) - float(then["value"])
        contrib = change
        if change is not None and unit == "%":
            pop = d.get("population")
            contrib = change * pop / reg_pop if pop and reg_pop else None
        rows.append({
            "territoire": d["code"],
            "nom": d["name"],
            "valeur": None if now is None else float(now["value"]),
            "trimestre_valeur": None if now is None else now["period"],
            "statut": None if now is None else now["status"],
            "valeur_depart": None if then is None else float(then["value"]),
            "evolution": change,
            "contribution": contrib,
            "part_evolution_regionale": (contrib / reg_change) if contrib is not None and reg_change else None,
        })
    out = pd.DataFrame(rows, columns=["territoire", "nom", "valeur", "trimestre_valeur", "statut", "valeur_depart",
                                      "evolution", "contribution", "part_evolution_regionale"])
    out["_k"] = out["contribution"].fillna(-math.inf)
    return out.sort_values(["_k", "territoire"], ascending=[False, True]).drop(columns="_k").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# export: indicator × territory × quarter

EXPORT_COLUMNS = [
    "indicateur", "libelle", "unite", "territoire", "territoire_nom", "trimestre", "trimestre_libelle",
    "valeur", "trimestre_valeur", "statut_donnee", "source", "note", "cible", "echeance_cible", "statut_plan",
]


def quarterly_table(indicators: pd.DataFrame, observations: pd.DataFrame, targets: pd.DataFrame | None,
                    territories: pd.DataFrame, region: str, as_of: str, thresholds: Thresholds = Thresholds(),
                    public_only: bool = False, baseline_quarter: str = BASELINE_QUARTER) -> pd.DataFrame:
    """The export table: one row per plan indicator × territory (region, its départements) × quarter, from
    the indicator's first value in that territory up to ``as_of``.

    Each row holds the value as of that quarter and its provenance: ``trimestre_valeur`` (the quarter the
    value was measured, ≤ ``trimestre``), ``statut_donnee`` (observée / estimée / démo), ``source``,
    ``note``; then the target and the plan status (only where the territory has a target).
    """
    names = dict(zip(territories["code"].tolist(), territories["name"].tolist()))
    codes = [region] + departements_of(territories, region)["code"].tolist()
    limit = periods.index(as_of)
    metas = plan_indicators(indicators, public_only).to_dict("records")
    idx = series_index(observations, [m["id"] for m in metas], codes)
    rows = []
    for meta in metas:
        for code in codes:
            df = idx.get((meta["id"], code))
            if df is None:
                continue
            df = df[df["period"] <= as_of].reset_index(drop=True)
            if df.empty:
                continue
            tgt = target_for(targets, meta["id"], code)
            recs = df.to_dict("records")
            j = 0
            for i in range(periods.index(recs[0]["period"]), limit + 1):
                while j + 1 < len(recs) and periods.index(recs[j + 1]["period"]) <= i:
                    j += 1
                r, q = recs[j], periods.from_index(i)
                status = None
                if tgt:
                    a, on_demo = assess_frame(df, meta, tgt, q, thresholds, baseline_quarter)
                    status = a.status and (a.status + (" (sur valeurs démo)" if on_demo else ""))
                note = r.get("note")
                rows.append({
                    "indicateur": meta["id"], "libelle": meta.get("label", meta["id"]), "unite": meta.get("unit", ""),
                    "territoire": code, "territoire_nom": names.get(code, code),
                    "trimestre": q, "trimestre_libelle": periods.label(q),
                    "valeur": float(r["value"]), "trimestre_valeur": r["period"],
                    "statut_donnee": STATUS_LABELS.get(r["status"], r["status"]),
                    "source": r.get("source") or "", "note": "" if note is None or pd.isna(note) else note,
                    "cible": tgt["value"] if tgt else None, "echeance_cible": tgt["period"] if tgt else None,
                    "statut_plan": status,
                })
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS)


def to_csv(table: pd.DataFrame) -> str:
    """CSV for French spreadsheets, the project's one convention (« ; », decimal comma, UTF-8 with a BOM)."""
    return exports.to_csv(table)


def to_xlsx(table: pd.DataFrame, sheet: str = "Suivi du plan", readme: list[tuple[str, str]] | None = None) -> bytes:
    """An XLSX workbook (openpyxl): the table, plus a « Lisez-moi » sheet (``readme`` key/value rows)."""
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        table.to_excel(xl, sheet_name=sheet[:31], index=False)
        if readme:
            pd.DataFrame(readme, columns=["rubrique", "contenu"]).to_excel(xl, sheet_name="Lisez-moi", index=False)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# page state (URL) and settings


@dataclass(frozen=True)
class State:
    """The page state held in the URL: ``/?trimestre=2023Q4&indicateur=msp_count``."""

    quarter: str | None
    indicator: str | None
    quarters: tuple[str, ...]      # selectable quarters, ascending
    indicators: tuple[str, ...]    # plan indicators, catalogue order


def plan_quarters(observations: pd.DataFrame, indicators: pd.DataFrame, territory: str) -> list[str]:
    """Selectable quarters: from the first to the last value of a plan indicator in ``territory``."""
    return quarters(observations, plan_indicators(indicators)["id"].tolist(), territory)


def resolve_state(observations: pd.DataFrame, indicators: pd.DataFrame, targets: pd.DataFrame | None,
                  territory: str, quarter: str | None = None, indicator: str | None = None) -> State:
    """Validate the URL's state; anything missing or unknown falls back to the default (latest quarter with
    data; first plan indicator with a target, else the first plan indicator)."""
    qs = tuple(plan_quarters(observations, indicators, territory))
    ids = tuple(plan_indicators(indicators)["id"])
    if quarter not in qs:
        quarter = qs[-1] if qs else None
    if indicator not in ids:
        with_target = [i for i in ids if target_for(targets, i, territory)]
        indicator = (with_target or list(ids) or [None])[0]
    return State(quarter=quarter, indicator=indicator, quarters=qs, indicators=ids)


def search_for(quarter: str | None, indicator: str | None) -> str:
    """The URL query string of a state."""
    parts = [f"trimestre={quarter}"] if quarter else []
    if indicator:
        parts.append(f"indicateur={indicator}")
    return "?" + "&".join(parts) if parts else ""


def thresholds_of(conf) -> Thresholds:
    """Status thresholds from the settings (``ACCES_SOINS_STATUS_ON_TRACK`` / ``_WATCH``)."""
    return Thresholds(on_track=conf.status_on_track, watch=conf.status_watch)


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
        ("statut_donnee", "observée (source nommée), estimée (méthode nommée) ou démo (valeur de démonstration, "
                          "à ne pas lire comme un fait)."),
        ("statut_plan", f"en bonne voie si au moins {fmt.number(thresholds.on_track * 100)} % de la progression "
                        f"attendue est atteinte, à surveiller dès {fmt.number(thresholds.watch * 100)} %, en retard "
                        "en dessous ; progression attendue = trajectoire linéaire de la valeur de référence "
                        f"({periods.label(BASELINE_QUARTER)}) à la cible. Calculé sur les valeurs observées ou "
                        "estimées."),
    ]


# ---------------------------------------------------------------------------------------------
# memoised on the store version (dashboard.cache): the same result for every user until a new version


@memoize()
def store_cards(data, region: str, as_of: str, on_track: float, watch: float) -> list[Card]:
    """:func:`cards` of a Store (the plan's headline indicators in ``region`` as of ``as_of``)."""
    return cards(data.indicators, data.observations, data.targets, region, as_of, Thresholds(on_track, watch))


@memoize()
def store_quarterly_table(data, region: str, as_of: str, on_track: float, watch: float) -> pd.DataFrame:
    """:func:`quarterly_table` of a Store."""
    return quarterly_table(data.indicators, data.observations, data.targets, data.territories, region, as_of,
                           Thresholds(on_track, watch))
