"""Vintages and revisions: two builds from two releases of the DITP baromètre.

The second release is the real file of the embedded default with a few values changed (as the State does
when it republishes); each build puts its release in a dated folder (``ditp/2024-02-07/``), the way the
real releases are kept (``../shared/opendata/ara/ditp/releases/2024-02-07/``).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard import plan, store
from dashboard.pipeline import build, publish, revisions
from dashboard.pipeline.contribution import Contribution

from .helpers import ROOT

RAW = ROOT / "data" / "raw"
DITP = "barometre_ditp.csv"
CHANGES = {"IND-311,R84,2023-12-01,REG,,383.0,,16.87": "IND-311,R84,2023-12-01,REG,,385.0,,16.87",
           "IND-311,D15,2023-12-01,DEPT,,14.0,,25.0": "IND-311,D15,2023-12-01,DEPT,,15.0,,25.0"}
QUIET = {"echo": lambda _line: None}


def raw_release(tmp: Path, release: str, changes: dict[str, str]) -> Path:
    raw = tmp / f"raw-{release}"
    shutil.copytree(RAW, raw)
    text = (raw / "opendata" / DITP).read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    (raw / "opendata" / DITP).unlink()
    (raw / "ditp" / release).mkdir(parents=True)
    (raw / "ditp" / release / DITP).write_text(text, encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("revisions")
    out = tmp / "out"
    first = build.build([raw_release(tmp, "2024-02-07", {})], out, **QUIET)
    second = build.build([raw_release(tmp, "2024-03-07", CHANGES)], out, **QUIET)
    assert first.published and second.published
    return out, first, second


def test_the_second_release_reports_its_revisions(two_builds):
    _out, first, second = two_builds
    assert first.manifest["revisions"] == {}                       # nothing in service to compare with
    rev = second.manifest["revisions"]
    assert rev["against"] == first.version
    assert (rev["revised"], rev["added"], rev["withdrawn"]) == (2, 0, 0)
    largest = {(r["territory"], r["period"]): (r["previous"], r["value"], r["previous_release"])
               for r in rev["largest"]}
    assert largest == {("R84", "2023Q4"): (383, 385, "2024-02-07"), ("D15", "2023Q4"): (14, 15, "2024-02-07")}
    assert rev["largest"][0]["territory"] == "D15"                 # the largest revision first (+7 % vs +0,5 %)
    assert (f"Révisions par rapport à la version {first.version} : 2 valeur(s) révisée(s), 0 ajoutée(s), "
            "0 retirée(s)") in second.report
    assert ("  révisé : msp_count R84 2023Q4 : 383 (7 février 2024) → 385 (7 mars 2024)") in second.report
    assert second.manifest["warnings"] == second.report


def test_each_value_keeps_its_release(two_builds):
    out, _first, second = two_builds
    data = store.open_store(out)
    obs = data.observations.set_index(["indicator", "territory", "period"])
    assert obs.loc[("msp_count", "R84", "2023Q4"), "release"] == "2024-03-07"
    assert obs.loc[("apl_mg_mean", "C15014", "2023Q4"), "release"] == "2023"        # the APL sheet's millésime
    assert obs.loc[("apl_mg_mean", "C15014", "2022Q4"), "release"] == "2022"
    revised = obs[obs["previous_value"].notna()]
    assert sorted(revised.index) == [("msp_count", "D15", "2023Q4"), ("msp_count", "R84", "2023Q4")]
    assert set(revised["previous_release"]) == {"2024-02-07"}


def test_the_plan_page_and_its_export_mark_the_revised_value(two_builds, app):
    from layouts.plan import card_component     # pages register once the app exists (the ``app`` fixture)

    out, _first, _second = two_builds
    data = store.open_store(out)
    meta = store.indicator(data, "msp_count")
    card = plan.card(data, meta, "R84", "2023Q4")
    assert card.value == 385
    assert card.revision == "révisé : 383 auparavant (publication du 7 février 2024)"
    assert "révisé" in str(card_component(card, False, meta))
    other_meta = store.indicator(data, "cpts_coverage_pct")
    other = plan.card(data, other_meta, "R84", "2023Q4")
    assert other.revision == "" and "révisé" not in str(card_component(other, False, other_meta))
    table = plan.quarterly_table(data, "R84", "2023Q4")
    row = table[(table.indicateur == "msp_count") & (table.territoire == "R84") & (table.trimestre == "2023Q4")]
    assert row["revision"].tolist() == ["révisé : 383 auparavant (publication du 7 février 2024)"]
    earlier = table[(table.indicateur == "msp_count") & (table.territoire == "R84") & (table.trimestre == "2023Q3")]
    assert earlier["revision"].tolist() == [""]


def test_diff_prints_the_same_comparison(two_builds):
    out, first, second = two_builds
    result = subprocess.run([sys.executable, "-m", "dashboard.pipeline", "diff", first.version, second.version,
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    start = second.report.index(next(l for l in second.report if l.startswith("Révisions")))
    assert result.stdout.splitlines() == second.report[start:start + 3]
    bad = subprocess.run([sys.executable, "-m", "dashboard.pipeline", "diff", first.version, "20990101T000000-x",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "version 20990101T000000-x absente" in bad.stderr and first.version in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_revision_stays_marked_until_the_value_changes_again(two_builds, tmp_path):
    out, _first, second = two_builds
    marked = store.open_store(out).observations
    # a third build identical to the second: no revision, the marks kept
    again, summary = revisions.mark(marked.drop(columns=["previous_value", "previous_release"]), marked)
    assert summary["revised"] == 0
    row = again.set_index(["indicator", "territory", "period"]).loc[("msp_count", "R84", "2023Q4")]
    assert (row["previous_value"], row["previous_release"]) == (383, "2024-02-07")


# --- pure functions ----------------------------------------------------------------------------------

def obs(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"indicator": i, "territory": t, "period": p, "value": v, "status": "observed",
                          "source": "", "note": "", "release": r} for i, t, p, v, r in rows])


def test_compare_counts_revised_added_withdrawn():
    old = obs(("msp_count", "R84", "2023Q2", 360, "2024-01-05"), ("msp_count", "R84", "2023Q4", 383, "2024-01-05"),
              ("msp_count", "D15", "2023Q4", 14, "2024-01-05"))
    new = obs(("msp_count", "R84", "2023Q2", 360.0000000001, "2024-02-07"),   # the same figure read back
              ("msp_count", "R84", "2023Q4", 385, "2024-02-07"), ("msp_count", "R84", "2024Q2", 401, "2024-02-07"))
    summary, revised = revisions.compare(old, new)
    assert (summary["revised"], summary["added"], summary["withdrawn"]) == (1, 1, 1)
    assert summary["largest"] == [{"indicator": "msp_count", "territory": "R84", "period": "2023Q4", "previous": 383,
                                   "value": 385, "previous_release": "2024-01-05", "release": "2024-02-07"}]
    marked, _ = revisions.mark(new, old.assign(release=""), "2024-01-31T10:00:00+00:00")
    assert marked.loc[marked.period == "2023Q4", "previous_release"].tolist() == ["2024-01-31"]   # the build date


def test_the_later_release_wins_within_one_build():
    a = Contribution(source="Baromètre DITP", file="ditp/2024-02-07/ind-679.csv", priority=10,
                     observations=obs(("assistants_medicaux_count", "FR", "2022Q4", 3500, "2024-02-07")))
    b = Contribution(source="Baromètre DITP", file="ditp/ind-679.csv", priority=10,
                     observations=obs(("assistants_medicaux_count", "FR", "2022Q4", 3827, "2024-06-04")))
    merged, superseded, _ = build.merge_observations([b, a])
    assert merged["value"].tolist() == [3827] and superseded == 1
    merged, _, _ = build.merge_observations([a, b])
    assert merged["value"].tolist() == [3827]
