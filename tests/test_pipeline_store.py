"""Pipeline CLI and processed store: build, show, atomic publish, version reload, honesty rules."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard import store
from dashboard.pipeline import publish
from dashboard.pipeline.build import build

from .helpers import RAW, ROOT, cli, publish_copy, show

ARA_DEPS = ["D01", "D03", "D07", "D15", "D26", "D38", "D42", "D43", "D63", "D69", "D73", "D74"]


def test_show_prints_real_msp_figures_and_target(built_store):
    lines = show(built_store, "msp_count", "R84")
    obs = {l["period"]: l for l in lines if l["type"] == "observation"}
    assert obs["2023Q4"]["value"] == 383 and obs["2023Q4"]["status"] == "observed"
    assert "IND-311" in obs["2023Q4"]["source"]
    assert "380" in obs["2023Q4"]["note"]          # the other source's value is kept as a note
    assert obs["2018Q1"]["value"] == 173 and "doc. 004" in obs["2018Q1"]["source"]
    target = [l for l in lines if l["type"] == "target"]
    assert target == [{"type": "target", "indicator": "msp_count", "territory": "R84", "period": "2026Q4",
                       "value": 590.0, "source": target[0]["source"], "date": "2026-12-01"}]


def test_show_as_of_a_quarter_uses_last_value_at_or_before(built_store):
    (line, *_rest) = show(built_store, "mcs_count", "R84", "2020Q1")
    assert line["period"] == "2017Q4" and line["value"] == 244


def test_every_real_figure_is_observed_with_a_source(store_data):
    real = pd.read_csv(RAW / "plan" / "suivi_plan.csv")
    obs = store_data.observations.set_index(["indicator", "territory", "period"])
    for row in real.itertuples():
        stored = obs.loc[(row.indicateur, row.territoire, row.trimestre)]
        assert stored["status"] in ("observed", "estimated")
        assert stored["source"]
    assert (store_data.observations["status"].isin(["observed", "estimated", "demo"])).all()


def test_departements_add_up_to_the_region(store_data):
    """At every regional quarter where the départements have values (the baromètre's own figures, or the
    demo split of a real regional figure), they add up exactly to the region."""
    obs = store_data.observations
    # indicator -> (regional quarters with département values, départements required at each of them);
    # the official IND-318 file has no Cantal row before 2020.
    for ind, (quarters, complete) in {"msp_count": (13, 12), "cds_pluripro_count": (7, 11),
                                      "asalee_teams": (1, 12), "msu_count": (1, 12)}.items():
        reg = obs[(obs.indicator == ind) & (obs.territory == "R84")].set_index("period")["value"]
        deps = obs[(obs.indicator == ind) & obs.territory.isin(ARA_DEPS)].groupby("period")["value"]
        both = [p for p in reg.index if p in deps.count().index]
        assert len(both) == quarters, (ind, both)
        for period in both:
            assert deps.count()[period] >= complete, (ind, period)
            assert deps.sum()[period] == reg[period], (ind, period)


def test_real_departement_values_are_kept_by_the_demo_generator(store_data):
    (row,) = store_data.observations.query("indicator == 'asalee_teams' and territory == 'D15' "
                                           "and period == '2018Q1'").to_dict("records")
    assert row["value"] == 0 and row["status"] == "observed"


def test_demo_generator_is_reproducible(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import generate_demo

    generate_demo.main(tmp_path / "demo.csv")
    assert (tmp_path / "demo.csv").read_bytes() == (RAW / "plan" / "demo.csv").read_bytes()


def _raw_copy(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    return raw


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_failed_build_exits_2_and_keeps_current(tmp_path):
    raw, out = _raw_copy(tmp_path), tmp_path / "out"
    first = cli("build", "--raw", str(raw), "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = publish.current(out)
    bad = raw / "plan" / "suivi_plan.csv"
    lines = bad.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",2018Q1,", ",2018-T1,")       # line 3 of the file
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = cli("build", "--raw", str(raw), "--out", str(out))
    assert second.returncode == 2
    assert f"{bad}:3:trimestre: trimestre attendu" in second.stderr
    assert publish.current(out) == before
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [before]


@pytest.mark.parametrize("mutate, where", [
    (lambda t: t.replace("msp_count,R84,2017Q2,155,", "msp_count,R84,2017Q2,cent,", 1), ":2:valeur:"),
    (lambda t: t.replace("msp_count,R84,2017Q2,155,observed", "msp_count,R84,2017Q2,155,vrai", 1), ":2:statut:"),
    (lambda t: t.replace("msp_count,R84,2017Q2", "msp_count,R99,2017Q2", 1), ":2:territoire:"),
    (lambda t: t.replace("msp_count,R84,2017Q2", "msp_kount,R84,2017Q2", 1), ":2:indicateur:"),
    (lambda t: t.replace("msp_count,R84,2017Q2", "msp_count,C1501,2017Q2", 1), ":2:territoire:"),
    (lambda t: t + t.splitlines()[1] + "\n", ":indicateur: ligne en double"),
    (lambda t: t.replace("indicateur,territoire", "indicator,territoire", 1), ":1:indicateur:"),
])
def test_malformed_plan_rows_are_rejected(tmp_path, mutate, where, capsys):
    """``pipeline check`` called as the command line calls it (its main, in this process: the process's own exit
    code and the absence of a traceback are test_failed_build_exits_2_and_keeps_current's)."""
    from dashboard.pipeline.__main__ import main

    raw = _raw_copy(tmp_path)
    f = raw / "plan" / "suivi_plan.csv"
    f.write_text(mutate(f.read_text(encoding="utf-8")), encoding="utf-8")
    code = main(["check", "--raw", str(raw)])
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert where in stderr, stderr


def test_store_reloads_new_version_without_restart(tmp_path, monkeypatch, built_store):
    out = tmp_path / "out"
    publish_copy(built_store, out)
    monkeypatch.setattr(store, "RECHECK_SECONDS", 0.0)
    first = store.open_store(out)
    assert store.open_store(out) is first                  # memoised on the version id
    publish_copy(built_store, out)
    second = store.open_store(out)
    assert second.version != first.version
    assert second.version == publish.current(out)


def test_publish_is_atomic_a_failed_write_leaves_current(tmp_path, monkeypatch, built_store):
    out = tmp_path / "out"
    publish_copy(built_store, out)
    before = publish.current(out)

    def broken(*_a, **_k):
        raise OSError("disque plein")
    monkeypatch.setattr(publish, "verify", broken)
    with pytest.raises(OSError):
        build([RAW], out, echo=lambda _l: None)
    assert publish.current(out) == before
    assert store.open_store(out).version == before


def test_public_store_holds_only_public_observed_values(built_store):
    data = store.open_store(built_store, public=True)
    assert data.indicators["public"].all()
    assert set(data.observations["status"]) == {"observed"}
    assert "contracts_count" not in set(data.observations["indicator"])
    internal = store.open_store(built_store)
    assert "demo" in set(internal.observations["status"])


def test_manifest_lists_inputs_with_sha256(store_data):
    m = store_data.manifest
    assert m["version"] == store_data.version
    files = {Path(i["file"]).name: i for i in m["inputs"]}
    assert {"indicators.toml", "suivi_plan.csv", "demo.csv", "territories.csv"} <= set(files)
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    assert m["tables"]["observations"] == len(store_data.observations)


def test_reference_has_the_12_ara_departements(store_data):
    t = store_data.territories
    deps = t[(t.level == "departement") & (t.region == "R84")]
    assert sorted(deps.code) == ARA_DEPS
    assert deps.population.sum() == t.loc["R84", "population"]


def test_plan_table_accepts_french_excel_csv(tmp_path):
    """ARS staff save from Excel: ';' separator, decimal comma, « T4 2023 » quarters."""
    from dashboard.pipeline.readers import plan_csv

    f = tmp_path / "saisie.csv"
    f.write_text("indicateur;territoire;trimestre;valeur;statut;source;note\n"
                 "cpts_coverage_pct;D15;T4 2023;71,5;observed;ARS ARA, liste des CPTS;\n", encoding="utf-8")
    assert plan_csv.sniff(f)
    (row,) = plan_csv.read(f).observations.to_dict("records")
    assert (row["period"], row["value"], row["territory"]) == ("2023Q4", 71.5, "D15")


def test_plan_table_in_latin1_is_rejected_with_position(tmp_path):
    from dashboard.pipeline.errors import InputError
    from dashboard.pipeline.readers import plan_csv

    f = tmp_path / "saisie.csv"
    f.write_bytes("indicateur,territoire,trimestre,valeur,statut,source,note\n"
                  "msp_count,D15,2023Q4,12,observed,Délégation du Cantal,\n".encode("latin-1"))
    with pytest.raises(InputError) as exc:
        plan_csv.read(f)
    assert (exc.value.row, exc.value.column) == (2, "source") and "UTF-8" in exc.value.message
