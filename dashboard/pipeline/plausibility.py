"""Plausibility of values, declared as data in the catalogue (``indicators.toml``).

Two kinds of bounds, judged by ONE pure function, :func:`assess` (the build calls it on every value
read and computed; the « Saisie » page calls it, through :func:`check_observations`, on entries):

- **hard** bounds: what is impossible → an error (exit 2) naming file, row and column:
  below ``min`` / above ``max`` (catalogue; defaults by unit: a count ≥ 0, a share 0–100), a count
  above the territory's population, a value more than ``scale_factor`` (1 000) times the median of the
  previous millésime's distribution at the same level (a « 4,82 » read as « 4 820 »: a unit or
  thousands-separator mix-up, never a real value);
- **soft** bounds: what is unusual → a warning of the build report and the manifest, never a refusal
  of a real file: a value outside the previous millésime's range (same indicator and level, when that
  millésime is a distribution of at least MIN_DISTRIBUTION values), a jump by more than ``jump_factor``
  from the previous observation of the same territory. (The 2023 national APL file has a commune at
  40,03, far above any 2022 value: it must build, with a warning.)

Dates: no observation after the build's reference date (today unless told otherwise); targets may be
in the future. The check is by quarter: an observation is in the future when its quarter starts after
the reference date.

Frames carry, when the reader knows it, where each value was read: ``_file``, ``_row``, ``_column``
and optionally ``_period_column`` (the column of its date); errors then name that cell, otherwise the
indicator, territory and quarter.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from .. import periods
from .errors import InputError

MAX_EXAMPLES = 5
DEFAULT_SCALE_FACTOR = 1000.0
# Fewer values than this at a millésime (a region and its 12 départements) make a range too narrow to
# judge anything: a growing count would leave it at every release. Series are judged by their jumps.
MIN_DISTRIBUTION = 30


@dataclass
class Assessment:
    """What :func:`assess` found. ``hard``: the impossible rows of the frame given (its index), with a
    French ``reason``; ``soft``: report lines (French), and ``unusual`` the rows behind the range lines."""
    hard: pd.DataFrame
    soft: list[str] = field(default_factory=list)
    unusual: pd.DataFrame | None = None


def assess(frame: pd.DataFrame, indicators: pd.DataFrame, population: Mapping[str, float] | None = None,
           context: pd.DataFrame | None = None) -> Assessment:
    """Judge every value of ``frame`` (indicator, territory, period, value) against the catalogue's
    bounds. ``population``: territory code → population (the count check; skipped when absent).
    ``context``: other values (e.g. the published store's) that give the previous millésime and the
    previous observation, without being judged themselves."""
    data = _with_bounds(frame, indicators)
    data["_judged"] = True
    if context is not None and len(context):
        extra = _with_bounds(context[["indicator", "territory", "period", "value"]], indicators)
        extra["_judged"] = False
        data = pd.concat([data, extra], ignore_index=True)
    data["_level"] = data["territory"].astype(str).map(_level)
    data = data.join(_distributions(data), on=["indicator", "_level", "period"])
    value = data["value"]
    reason = pd.Series("", index=data.index, dtype=object)
    low = value.notna() & data["min"].notna() & (value < data["min"])
    high = value.notna() & data["max"].notna() & (value > data["max"])
    if (low | high).any():
        reason[low | high] = data[low | high].apply(_bound_reason, axis=1)
    if population is not None:
        pop = data["territory"].map(lambda code: population.get(code))
        pop = pd.to_numeric(pop, errors="coerce")
        over = (reason == "") & (data["unit"] == "nombre") & pop.gt(0) & (value > pop)
        reason[over] = [f"impossible : dépasse la population du territoire ({_num(p)} habitants) : un nombre de structures ou de "
                        f"personnes ne peut pas la dépasser" for p in pop[over]]
    scale = data["scale_factor"].fillna(DEFAULT_SCALE_FACTOR)
    huge = (reason == "") & data["scale_median"].gt(0) & (value > scale * data["scale_median"])
    reason[huge] = [f"impossible : plus de {_num(f)} fois la médiane des valeurs de même niveau du millésime {p} ({_num(m)}) : "
                    f"une autre unité ou un séparateur de milliers pris pour une virgule (« 4,82 » lu « 4 820 »)"
                    for f, m, p in zip(scale[huge], data.loc[huge, "scale_median"], data.loc[huge, "scale_period"])]
    judged = data["_judged"]
    hard = data[judged & (reason != "")].assign(reason=reason[judged & (reason != "")])
    hard.index = data.index[judged & (reason != "")]
    outside = judged & (reason == "") & value.notna() & data["range_period"].notna() & (
        (value < data["range_min"]) | (value > data["range_max"]))
    unusual = data[outside]
    soft = _range_lines(unusual) + jump_warnings(data[reason == ""])
    return Assessment(hard=hard, soft=soft, unusual=unusual)


def check_observations(frame: pd.DataFrame, indicators: pd.DataFrame, reference_date: dt.date,
                       population: Mapping[str, float] | None = None,
                       context: pd.DataFrame | None = None) -> list[str]:
    """Raise InputError on the first impossible value (hard bound, :func:`assess`) or value dated after
    ``reference_date``; return the warning lines (French) of the soft bounds."""
    found = assess(frame, indicators, population, context)
    data = _with_bounds(frame, indicators)
    future = _quarter_index(data["period"]) > periods.index(periods.from_date(reference_date))
    first_hard = found.hard.index[0] if len(found.hard) else None
    first_future = future[future].index[0] if future.any() else None
    if first_hard is not None and (first_future is None or first_hard <= first_future):
        row = found.hard.loc[first_hard]
        raise _error(row, f"valeur {_num(row['value'])} de {row['indicator']} pour {row['territory']} au "
                          f"trimestre {row['period']} {row['reason']}")
    if first_future is not None:
        row = data.loc[first_future]
        raise _error(row, f"observation de {row['indicator']} pour {row['territory']} au trimestre "
                          f"{row['period']}, postérieur à la date de référence du build "
                          f"({reference_date.isoformat()}) : une valeur observée ne peut pas être dans le futur "
                          f"(date mal saisie ?) ; seules les cibles le peuvent", date=True)
    return found.soft


def check_targets(frame: pd.DataFrame, indicators: pd.DataFrame) -> None:
    """Targets obey the catalogue's min / max (a coverage target of 183 % is a typo), at any date."""
    data = _with_bounds(frame, indicators)
    value = data["value"]
    bad = value.notna() & ((data["min"].notna() & (value < data["min"])) |
                           (data["max"].notna() & (value > data["max"])))
    if bad.any():
        row = data.loc[bad[bad].index[0]]
        raise _error(row, f"cible {_num(row['value'])} de {row['indicator']} pour {row['territory']} au trimestre "
                          f"{row['period']} {_bound_reason(row)}")


def jump_warnings(data: pd.DataFrame) -> list[str]:
    """One line per indicator whose series jump by more than its ``jump_factor``, with the largest jumps
    (``data``: from :func:`_with_bounds`; rows with ``_judged`` False only serve as previous values)."""
    data = data[data["value"].notna() & data["jump_factor"].notna()]
    if data.empty:
        return []
    # One value per quarter (a raw frame may hold several sources for the same quarter), in time order.
    data = data.sort_values(["indicator", "territory", "period"], kind="stable")
    data = data.drop_duplicates(["indicator", "territory", "period"])
    same = data["indicator"].eq(data["indicator"].shift()) & data["territory"].eq(data["territory"].shift())
    prev_value, prev_period = data["value"].shift(), data["period"].shift()
    both = same & (data["value"] > 0) & (prev_value > 0)   # from or to 0 there is no factor to speak of
    ratio = (data["value"] / prev_value).where(both)
    factor = ratio.where(ratio >= 1, 1 / ratio)
    jumps = data.assign(jump=factor, previous=prev_value, previous_period=prev_period)
    judged = jumps["_judged"].fillna(True).astype(bool) if "_judged" in jumps else True
    jumps = jumps[(factor > data["jump_factor"]) & judged]
    lines = []
    for indicator, group in jumps.groupby("indicator", sort=True):
        group = group.sort_values("jump", ascending=False)
        examples = " ; ".join(f"{r.territory} {r.previous_period} → {r.period} : "
                              f"{_num(r.previous)} → {_num(r.value)}" for r in group.head(MAX_EXAMPLES).itertuples())
        more = f" ; … (et {len(group) - MAX_EXAMPLES} autre(s))" if len(group) > MAX_EXAMPLES else ""
        factor = _num(group["jump_factor"].iloc[0])
        lines.append(f"⚠ {indicator} : {len(group)} saut(s) de plus d'un facteur {factor} "
                     f"d'une observation à la suivante, à vérifier (virgule perdue ? autre unité ?) : "
                     f"{examples}{more}")
    return lines


# --- helpers -----------------------------------------------------------------------------------------

def _distributions(data: pd.DataFrame) -> pd.DataFrame:
    """Per (indicator, level, period): the previous millésime's range (the last earlier period with at
    least MIN_DISTRIBUTION values) and the median the scale check compares with (the previous period's
    positive values, else this period's own when it is a distribution)."""
    d = data[data["value"].notna()]
    keys = ["indicator", "_level"]
    columns = ["range_min", "range_max", "range_period", "scale_median", "scale_period"]
    if d.empty:
        return pd.DataFrame(columns=columns, index=pd.MultiIndex.from_tuples([], names=[*keys, "period"]))
    stats = d.groupby([*keys, "period"])["value"].agg(["min", "max", "count"]).reset_index()
    positive = d[d["value"] > 0].groupby([*keys, "period"])["value"].median().rename("median")
    stats = stats.join(positive, on=[*keys, "period"]).sort_values([*keys, "period"], kind="stable")
    big = stats["count"] >= MIN_DISTRIBUTION
    group = stats.groupby(keys, sort=False)
    ranged = stats[["min", "max", "period"]].where(big)
    ranged[keys] = stats[keys]
    ranged = ranged.groupby(keys, sort=False)[["min", "max", "period"]].transform(lambda s: s.shift().ffill())
    out = pd.DataFrame({
        "range_min": ranged["min"], "range_max": ranged["max"], "range_period": ranged["period"],
        "scale_median": group["median"].shift(), "scale_period": group["period"].shift(),
    }, index=stats.index)
    own = out["scale_median"].isna() & big
    out.loc[own, "scale_median"] = stats.loc[own, "median"]
    out.loc[own, "scale_period"] = stats.loc[own, "period"]
    out.index = pd.MultiIndex.from_frame(stats[[*keys, "period"]])
    return out


def _range_lines(unusual: pd.DataFrame) -> list[str]:
    lines = []
    for indicator, group in unusual.groupby("indicator", sort=True):
        first = group.iloc[0]
        far = (group["value"] - group["range_max"]).where(group["value"] > group["range_max"],
                                                           group["range_min"] - group["value"])
        group = group.assign(_far=far).sort_values("_far", ascending=False)
        examples = " ; ".join(f"{r.territory} {r.period} : {_num(r.value)}" for r in group.head(MAX_EXAMPLES).itertuples())
        more = f" ; … (et {len(group) - MAX_EXAMPLES} autre(s))" if len(group) > MAX_EXAMPLES else ""
        lines.append(f"⚠ {indicator} : {len(group)} valeur(s) hors de l'étendue du millésime précédent "
                     f"({first['range_period']} : {_num(first['range_min'])} à {_num(first['range_max'])}), "
                     f"gardée(s), à vérifier : {examples}{more}")
    return lines


def _level(code: str) -> str:
    return code[:1] if code != "FR" else "FR"


def _with_bounds(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("unit", "min", "max", "bounds_note", "jump_factor", "scale_factor") if c in indicators.columns]
    bounds = indicators.set_index("id")[cols]
    data = frame.reset_index(drop=True).drop(columns=[c for c in cols if c in frame.columns])
    data = data.join(bounds, on="indicator")
    for col in ("min", "max", "jump_factor", "scale_factor"):
        if col not in data.columns:
            data[col] = float("nan")
    for col in ("bounds_note", "unit"):
        if col not in data.columns:
            data[col] = ""
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    return data


def _quarter_index(period: pd.Series) -> pd.Series:
    def index(p):
        try:
            return periods.index(p)
        except (ValueError, TypeError):
            return -1
    return period.map(index)


def _num(value: float) -> str:
    return f"{float(value):,.6g}".replace(",", " ").replace(".", ",")


def _bound_reason(row: pd.Series) -> str:
    low, high = row["min"], row["max"]
    if pd.notna(low) and pd.notna(high):
        bound = f"entre {_num(low)} et {_num(high)}"
    elif pd.notna(low):
        bound = f"au moins {_num(low)}"
    else:
        bound = f"au plus {_num(high)}"
    why = f" ({row['bounds_note']})" if isinstance(row.get("bounds_note"), str) and row["bounds_note"] else ""
    return f"hors des bornes plausibles : attendu {bound}{why}"


def _error(row: pd.Series, message: str, date: bool = False) -> InputError:
    """InputError at the value's cell (or its date's, ``_period_column``) when the reader said where it
    was, else named by its source."""
    file = row.get("_file")
    if isinstance(file, str) and file:
        line = row.get("_row")
        column = row.get("_period_column") if date and isinstance(row.get("_period_column"), str) \
            else row.get("_column")
        if not isinstance(column, str):   # a field number (FINESS has no header) or nothing
            column = int(column) if column is not None and pd.notna(column) else None
        return InputError(file, message, int(line) if pd.notna(line) else None, column or None)
    source = row.get("source")
    return InputError(source if isinstance(source, str) and source else "valeurs calculées", message, None, "valeur")
