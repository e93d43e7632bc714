"""Vintages and revisions: what a new store version changes in the figures already published.

The State republishes the baromètre every month and past values change (IND-679 France 2022-12: 3 500 in
the release of 2024-02-07, 3 827 later). Every stored value keeps its ``release`` (publication date of its
file, or millésime); a build compares its values with the version in service, by (indicator, territory,
quarter): *revised* (both have it, with different values), *added*, *withdrawn*. A revised value keeps
``previous_value`` and ``previous_release`` (the release it replaced, else the build date of the version it
came from), and keeps them across later builds that do not change it again: a figure quoted in last
quarter's pack stays explained. ``python -m dashboard.pipeline diff A B`` prints the same comparison.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..schema import KEY, OPTIONAL_COLUMNS

LARGEST = 10
# Values equal to this relative precision are the same figure (a float written and read back).
REL_TOLERANCE = 1e-9
REVISION_COLUMNS = OPTIONAL_COLUMNS["observations"]
# with_revision_columns lives in the store (it reads old versions too); re-exported for the build
from ..store import with_revision_columns  # noqa: E402,F401


def compare(old: pd.DataFrame, new: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Summary {revised, added, withdrawn, largest: [...]} of ``new`` against ``old``, and the revised
    rows (KEY, value, old_value, old_release, release). Pure."""
    old, new = with_revision_columns(old), with_revision_columns(new)
    both = new[KEY + ["value", "release"]].merge(
        old[KEY + ["value", "release"]].rename(columns={"value": "old_value", "release": "old_release"}),
        on=KEY, how="outer", indicator=True)
    common = both[both["_merge"] == "both"]
    differ = ~_close(common["value"], common["old_value"]).to_numpy()
    revised = common[differ].drop(columns="_merge").copy()
    revised["change"] = (revised["value"] - revised["old_value"]).abs() / revised["old_value"].abs().where(
        revised["old_value"] != 0)
    revised = revised.sort_values(["change", "indicator", "territory", "period"], ascending=[False, True, True, True],
                                  na_position="first", kind="stable")
    summary = {
        "revised": int(len(revised)),
        "added": int((both["_merge"] == "left_only").sum()),
        "withdrawn": int((both["_merge"] == "right_only").sum()),
        "largest": [{"indicator": r.indicator, "territory": r.territory, "period": r.period,
                     "previous": float(r.old_value), "value": float(r.value),
                     "previous_release": r.old_release, "release": r.release}
                    for r in revised.head(LARGEST).itertuples()],
    }
    return summary, revised.drop(columns="change")


def mark(new: pd.DataFrame, old: pd.DataFrame, old_built_at: str = "") -> tuple[pd.DataFrame, dict]:
    """``new`` with previous_value / previous_release set on the values revised against ``old`` (and kept
    from ``old`` where the value did not change again); and the summary of :func:`compare`."""
    new, old = with_revision_columns(new), with_revision_columns(old)
    summary, revised = compare(old, new)
    out = new.set_index(KEY)
    carried = old.set_index(KEY)
    carried = carried[carried["previous_value"].notna()]
    same = carried.index.intersection(out.index)
    if len(same):
        unchanged = same[_close(out.loc[same, "value"], carried.loc[same, "value"]).to_numpy()]
        out.loc[unchanged, "previous_value"] = carried.loc[unchanged, "previous_value"]
        out.loc[unchanged, "previous_release"] = carried.loc[unchanged, "previous_release"]
    if len(revised):
        idx = pd.MultiIndex.from_frame(revised[KEY])
        out.loc[idx, "previous_value"] = revised["old_value"].to_numpy()
        fallback = (old_built_at or "")[:10]
        out.loc[idx, "previous_release"] = [r or fallback for r in revised["old_release"]]
    return out.reset_index()[list(new.columns)], summary


def report_lines(summary: dict, against: str) -> list[str]:
    """French lines: « Révisions par rapport à la version … : 3 valeur(s) révisée(s), … », then the largest."""
    from .. import fmt

    show = _num
    lines = [f"Révisions par rapport à la version {against} : {summary['revised']} valeur(s) révisée(s), "
             f"{summary['added']} ajoutée(s), {summary['withdrawn']} retirée(s)"]
    for r in summary["largest"]:
        since = f" ({fmt.release(r['previous_release'])})" if r["previous_release"] else ""
        now = f" ({fmt.release(r['release'])})" if r["release"] else ""
        lines.append(f"  révisé : {r['indicator']} {r['territory']} {r['period']} : {show(r['previous'])}{since} → "
                     f"{show(r['value'])}{now}")
    return lines


def read_version(out: Path, version: str) -> tuple[pd.DataFrame, dict]:
    """Observations and manifest of one published version (OSError when absent or unreadable)."""
    import json

    folder = Path(out) / version
    if not folder.is_dir():
        raise OSError(f"version {version} absente de {out}")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return pd.read_parquet(folder / "observations.parquet"), manifest


def _close(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
    return pd.Series([math.isclose(x, y, rel_tol=REL_TOLERANCE, abs_tol=1e-12) for x, y in zip(a, b)], dtype=bool)


def _num(value: float) -> str:
    return f"{float(value):,.6g}".replace(",", " ").replace(".", ",")
