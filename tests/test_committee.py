"""The committee meeting: annual rate, alerts, appraisals beside the status, the quarter's pack."""
from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from dashboard import alerts, appraisal, fmt, milestones, pack, plan, queries, store, trajectory
from dashboard.pipeline.errors import InputError
from dashboard.pipeline.readers import catalogue
from dashboard.saisie import appraisals as saisie_appraisals

from .helpers import ROOT
from .test_plan import _indicators, _obs, _targets, _territories


def _store(obs=None, targets=None, milestones_=None):
    return store.from_frames(_territories(), _indicators(), _targets() if targets is None else targets,
                             _obs() if obs is None else obs, milestones=milestones_)


def _meta(data, ident):
    return data.indicators.loc[ident].to_dict()


@pytest.fixture(autouse=True)
def _no_provider():
    appraisal.register(None)
    yield
    appraisal.register(None)


def _appraisal(level, indicator="msp_count", territory="R84", quarter="2023Q4"):
    return appraisal.Appraisal(indicator, territory, quarter, level, "Synthèse.", "Validatrice", dt.date(2024, 1, 15))


# ---- annual rate ----------------------------------------------------------------------------------

def test_annual_rate_against_the_linear_path_when_the_catalogue_gives_no_milestone():
    data = _store()
    a = milestones.annual_progress(data, "msp_count", "R84", "2023Q4")
    # from 341 (end 2022) toward the linear path at 2023Q4: 341 + 4 × (590 − 341) / 16 = 403,25; value 383
    assert a.milestone.kind == milestones.LINEAR and a.milestone.value == pytest.approx(403.25)
    assert a.percent == pytest.approx(100 * 42 / 62.25)
    assert "trajectoire linéaire, aucun jalon au catalogue" in a.text("nombre")
    # the global rate is the State's, unchanged: the plan page's 16,9 %
    assert fmt.percent(plan.card(data, _meta(data, "msp_count"), "R84", "2023Q4").progress) == "16,9\u202f%"


def test_annual_rate_uses_the_catalogue_milestone_then_the_target_year():
    m = pd.DataFrame([dict(indicator="msp_count", territory="R84", period="2023Q4", value=400.0, source="cat")])
    data = _store(milestones_=m)
    a = milestones.annual_progress(data, "msp_count", "R84", "2023Q2")
    assert a.milestone.kind == milestones.CATALOGUE and a.start["value"] == 341 and a.value["value"] == 360
    assert a.percent == pytest.approx(100 * 19 / 59)
    assert milestones.milestone_of(data, "msp_count", "R84", 2026).kind == milestones.TARGET
    assert milestones.milestone_of(data, "msp_count", "R84", 2027) is None      # the plan is over
    assert milestones.milestone_of(data, "msp_count", "R84", 2022) is None      # before the plan
    assert milestones.annual_progress(data, "mcs_count", "R84", "2023Q4") is None  # no target


def test_catalogue_milestones_are_read_and_checked(tmp_path):
    head = textwrap.dedent('''
        [[indicator]]
        id = "msp_count"
        label = "MSP"
        short_label = "MSP"
        unit = "nombre"
        polarity = "higher"
        levels = ["region"]
        frequency = "semestre"
        definition = "d"
        source = "s"
        public = true
        plan = true
        theme = "t"
        ''')
    ok = tmp_path / "ok.toml"
    ok.write_text(head + 'targets = [{ territory = "R84", value = 10, period = "2026Q4", '
                  'milestones = [{ period = "2024Q4", value = 4 }, { period = "2025Q4", value = 7 }] }]\n')
    got = catalogue.read(ok).milestones
    assert got[["period", "value"]].values.tolist() == [["2024Q4", 4.0], ["2025Q4", 7.0]]
    bad = tmp_path / "bad.toml"
    bad.write_text(head + 'targets = [{ territory = "R84", value = 10, period = "2026Q4", '
                   'milestones = [{ period = "2027Q4", value = 4 }] }]\n')
    with pytest.raises(InputError, match="jalon de 'msp_count' invalide"):
        catalogue.read(bad)


# ---- appraisals -----------------------------------------------------------------------------------

def test_disagreement_only_when_strong():
    assert appraisal.disagreement("securise", trajectory.LATE)
    assert appraisal.disagreement("compromis", trajectory.ON_TRACK)
    assert appraisal.disagreement("atteignable", trajectory.LATE) is None
    assert appraisal.disagreement("securise", trajectory.ON_TRACK) is None
    assert appraisal.disagreement("appuis", trajectory.LATE) is None
    with pytest.raises(ValueError):
        _appraisal("bof")


def test_appraisals_come_from_the_provider_and_a_failing_one_gives_none():
    assert appraisal.appraisals_for("2023Q4") == {}
    appraisal.register(lambda q: [_appraisal("securise", quarter=q), _appraisal("appuis", quarter="2023Q2")])
    got = appraisal.appraisals_for("2023Q4")
    assert list(got) == [("msp_count", "R84")] and got[("msp_count", "R84")].label == appraisal.SECURED

    def broken(_q):
        raise RuntimeError("base indisponible")
    appraisal.register(broken)
    assert appraisal.appraisals_for("2023Q4") == {}


def test_public_instance_never_gets_appraisals():
    appraisal.register(lambda q: [_appraisal("securise", quarter=q)])
    saisie_appraisals.configure(type("Conf", (), {"public": True})())
    assert appraisal.appraisals_for("2023Q4") == {} and not appraisal.enabled()


def test_export_rows_carry_the_appraisal_beside_the_status():
    data = _store()
    table = plan.quarterly_table(data, "R84", "2023Q4")
    out = appraisal.with_appraisals(table, lambda q: {("msp_count", "R84"): _appraisal("securise")}
                                    if q == "2023Q4" else {})
    row = out[(out.indicateur == "msp_count") & (out.territoire == "R84") & (out.trimestre == "2023Q4")].iloc[0]
    assert row.statut_plan == trajectory.LATE and row.appreciation == appraisal.SECURED
    assert row.desaccord == "jugé sécurisé alors que l'indicateur est en retard"
    assert out[out.trimestre == "2023Q2"]["appreciation"].isna().all()


# ---- alerts ---------------------------------------------------------------------------------------

def _kinds(found, territory=None):
    return {(a.kind, a.indicator) for a in found if territory is None or a.territory == territory}


def test_off_track_alert_with_its_reason():
    found = alerts.alerts_for(_store(), "R84", "2023Q4")
    late = [a for a in found if a.kind == "late"]
    assert [(a.indicator, a.territory) for a in late] == [("msp_count", "R84")]
    assert "avancement 16,9\u202f%" in late[0].reason


def test_progress_lower_than_last_quarter():
    obs = _obs()
    obs.loc[(obs.indicator == "msp_count") & (obs.territory == "R84") & (obs.period == "2023Q4"), "value"] = 350
    found = alerts.alerts_for(_store(obs), "R84", "2023Q4")
    slower = [a for a in found if a.kind == "slower"]
    assert [(a.indicator, a.territory) for a in slower] == [("msp_count", "R84")]
    assert "contre 7,6\u202f% au T3 2023" in slower[0].reason          # 360 at 2023Q2, kept as of 2023Q3
    assert ("slower", "msp_count") not in _kinds(alerts.alerts_for(_store(), "R84", "2023Q4"))


def test_departement_far_below_the_median():
    targets = pd.concat([_targets(), pd.DataFrame([
        dict(indicator="msp_count", territory=c, period="2026Q4", value=v, source="IND-311")
        for c, v in {"D01": 40, "D15": 20, "D69": 70}.items()])])
    found = alerts.alerts_for(_store(targets=targets), "R84", "2023Q4")
    # D01 20 → 30 of 40: 50 %; D15 10 → 9 of 20: 0 %; D69 50 → 60 of 70: 50 %; median 50 %
    below = [a for a in found if a.kind == "below_median"]
    assert [(a.territory, a.indicator) for a in below] == [("D15", "msp_count")]
    assert "médiane des 3 départements (50,0\u202f%)" in below[0].reason and "démonstration" in below[0].reason


def test_missing_and_stale_entries():
    obs = _obs()
    obs = obs[~((obs.indicator == "assistants") & (obs.period == "2023Q4"))]        # quarterly: 2023Q3 only
    found = alerts.alerts_for(_store(obs), "R84", "2024Q1")
    assert ("stale", "assistants") in _kinds(found, "R84")      # two quarters without a quarterly value
    assert ("stale", "msp_count") not in _kinds(found, "R84")   # semester value of 2023Q4: still fresh
    # D15 has no CPTS value while other départements have: missing entry
    assert ("missing", "cpts_coverage_pct") in _kinds(found, "D15")
    assert ("stale", "assistants") not in _kinds(alerts.alerts_for(_store(obs), "R84", "2023Q4"), "R84")


def test_appraisal_missing_only_once_appraisals_can_be_entered():
    data = _store()
    assert not [a for a in alerts.alerts_for(data, "R84", "2023Q4") if a.kind == "appraisal"]
    appraisal.register(lambda q: [_appraisal("atteignable", quarter=q)])
    missing = [a for a in alerts.alerts_for(data, "R84", "2023Q4") if a.kind == "appraisal"]
    assert [(a.indicator, a.territory) for a in missing] == [("cpts_coverage_pct", "R84")]


def test_alert_lines_say_each_kind_and_indicator_once_region_first_worst_first():
    """The pack's alerts: one line per kind and indicator listing its territories, most severe kind first; the
    region first, then the départements from the lowest taux d'avancement; what they share said once."""
    targets = pd.concat([_targets(), pd.DataFrame([
        dict(indicator="msp_count", territory=c, period="2026Q4", value=v, source="IND-311")
        for c, v in {"D01": 40, "D15": 20, "D69": 70}.items()])])
    found = alerts.alerts_for(_store(targets=targets), "R84", "2023Q4")
    lines = alerts.lines(found)
    assert len({(line.kind, line.indicator) for line in lines}) == len(lines)
    assert sorted(t for line in lines for t in line.territories) == sorted(a.territory for a in found)
    order = list(alerts.KINDS)
    assert [order.index(line.kind) for line in lines] == sorted(order.index(line.kind) for line in lines)
    late = next(line for line in lines if (line.kind, line.indicator) == ("late", "msp_count"))
    assert late.title == "En retard — MSP" and late.territories == ("R84", "D15")
    assert late.text == ("Auvergne-Rhône-Alpes (16,9\u202f%), Cantal (0,0\u202f% démo)\u202f; avancement attendu en "
                         "décembre 2023 : 25,0\u202f%")       # the expected rate, the same for all, said once


def _late(code, name, rate):
    return alerts.Alert("late", "x", "X", code, name, "…", figure=fmt.percent(rate), shared="attendu", rank=rate)


def test_alert_lines_list_the_region_then_the_worst_departements_first():
    found = [_late("D01", "Ain", 14.3), _late("R84", "Auvergne-Rhône-Alpes", 16.9), _late("D73", "Savoie", 0),
             alerts.Alert("appraisal", "x", "X", "D01", "Ain", "…", shared="aucune appréciation"),
             _late("D26", "Drôme", 6.2)]
    late_line, appraisal_line = alerts.lines(found)
    assert (late_line.kind, appraisal_line.kind) == ("late", "appraisal")     # most severe kind first
    assert late_line.territories == ("R84", "D73", "D26", "D01")


def test_alert_lines_keep_each_territory_its_own_context_when_they_differ():
    a = alerts.Alert("stale", "x", "X", "D01", "Ain", "…", figure="dernière valeur au T1 2018", shared="fréquence (année)")
    b = alerts.Alert("stale", "x", "X", "D15", "Cantal", "…", figure="dernière valeur au T2 2019",
                     shared="fréquence (semestre)")
    (line,) = alerts.lines([a, b])
    assert line.text == ("Ain (dernière valeur au T1 2018\u202f; fréquence (année)), "
                         "Cantal (dernière valeur au T2 2019\u202f; fréquence (semestre))")


# ---- the pack on the default data -----------------------------------------------------------------

@pytest.fixture(scope="module")
def pack_files(built_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    run = subprocess.run([sys.executable, "-m", "dashboard.pack", "--quarter", "2023Q4", "--out", str(out),
                          "--data", str(built_store)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"ACCES_SOINS_CACHE_DIR": str(out / "cache"), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    return out / "dossier-seance-R84-2023Q4.pptx", out / "dossier-seance-R84-2023Q4.pdf"


def _show(built_store, indicator, quarter):
    run = subprocess.run([sys.executable, "-m", "dashboard.pipeline", "show", "--indicator", indicator,
                          "--territory", "R84", "--period", quarter, "--out", str(built_store)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def test_pack_pptx_has_cover_indicator_slides_with_charts_and_alerts(pack_files, store_data, built_store):
    from pptx import Presentation

    prs = Presentation(str(pack_files[0]))
    slides = list(prs.slides)

    def title(s):
        return s.shapes[0].text_frame.text

    def text(s):
        return " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)

    assert title(slides[0]).startswith("Dossier de séance") and store_data.version in text(slides[0])
    assert title(slides[1]) == "Ce trimestre"
    cards = plan.cards(store_data, "R84", "2023Q4")
    by_title = {title(s): s for s in slides}
    for c in cards:
        s = by_title[c.label]       # one slide per plan indicator, its title names it
        assert any(sh.has_chart for sh in s.shapes), c.indicator
        assert f"Valeur au T4 2023 : {c.value_text}" in text(s)
        if c.progress is not None:
            assert fmt.percent(c.progress) in text(s)
    msp = text(by_title[cards[0].label])
    shown = next(r for r in _show(built_store, "msp_count", "2023Q4") if r["type"] == "observation")
    assert fmt.value(shown["value"], "nombre") in msp and "16,9\u202f%" in msp     # same as the CLI and the page
    assert any(title(s) == "Alertes" for s in slides)
    assert len(slides) == 2 + len(cards) + sum(title(s).startswith(("Alertes", "Sources")) for s in slides)


def test_pack_pdf_has_the_same_slides(pack_files):
    from pptx import Presentation
    from pypdf import PdfReader

    reader = PdfReader(str(pack_files[1]))
    prs = Presentation(str(pack_files[0]))
    assert len(reader.pages) == len(prs.slides)
    for page, slide in zip(reader.pages, prs.slides):
        first = slide.shapes[0].text_frame.text.split()[0]
        assert first in page.extract_text()


@pytest.mark.parametrize("lo, hi, unit", [(155, 590, "nombre"), (223, 223, "nombre"), (14.6, 19.2, "%"),
                                          (2.31, 2.45, "consultations/hab./an"), (0.2, 0.9, "nombre"),
                                          (57, 161, "%"), (0, 0, "%")])
def test_pack_pdf_axes_follow_the_sheet_tick_rule(lo, hi, unit):
    """The pack's PDF charts use the territory sheet's rule (one definition): evenly spaced ticks around the
    values, each labelled with exactly its own value (not « 2,3 » drawn at 2,345), counts on whole numbers."""
    from dashboard import pdf

    ticks, places = pdf.axis_steps(hi, unit, bottom=lo)
    assert 2 <= len(ticks) <= 6 and ticks[0] <= lo and ticks[-1] >= hi
    assert len({round(b - a, 9) for a, b in zip(ticks, ticks[1:])}) == 1
    for t in ticks:
        assert fmt.number(t, places) == fmt.number(round(t, places), places)
        assert round(t, places) == t
        if unit == "nombre":
            assert float(t).is_integer()


def _squeezed(text: str) -> str:
    """Text without any white space: the PDF wraps lines where the PPTX does not (and may break after a hyphen)."""
    return "".join(text.split())


def test_pack_pdf_carries_every_alert_line_of_the_pptx_in_two_pages_at_most(pack_files, store_data):
    """« The pack says everything once »: the PDF cut the alerts that overflowed a page (9 of 66 vanished at
    page breaks) and spread them over 13 pages; grouped by kind and indicator, after the plan's slides, they
    fit in two pages, and the PDF holds every line the PPTX holds."""
    from pptx import Presentation
    from pypdf import PdfReader

    prs = Presentation(str(pack_files[0]))
    titles = [s.shapes[0].text_frame.text for s in prs.slides]
    alert_slides = [i for i, t in enumerate(titles) if t.startswith("Alertes")]
    n_cards = len(plan.cards(store_data, "R84", "2023Q4"))
    assert alert_slides == list(range(2 + n_cards, 2 + n_cards + len(alert_slides)))    # after the plan cards
    assert 1 <= len(alert_slides) <= 2
    lines = [p.text for i in alert_slides for p in list(prs.slides[i].shapes)[1].text_frame.paragraphs]
    assert len(lines) == len(set(lines))
    heads = [line.split(" : ", 1)[0] for line in lines]
    assert len(heads) == len(set(heads))        # one line per kind and indicator
    reader = PdfReader(str(pack_files[1]))
    pdf_alert_pages = [p.extract_text() for p in reader.pages if p.extract_text().startswith("Alertes")]
    assert len(pdf_alert_pages) == len(alert_slides)
    pdf_text = _squeezed(" ".join(pdf_alert_pages))
    assert [line for line in lines if _squeezed(line) not in pdf_text] == []
    assert "…" not in " ".join(pdf_alert_pages)       # nothing cut


def test_every_list_slide_fits_its_box_as_the_pdf_measures_it(store_data):
    """Alerts and sources are split where the PDF's text measure says the box is full (a character estimate let
    the PDF cut the last lines of a slide that PowerPoint only shrank)."""
    content = pack.assemble(store_data, "R84", "2023Q4", appraisals={})
    doc = pack._pdf_document()
    doc.add_page()
    lists = [p for p in pack.pages(content) if p["kind"] == "list"]
    assert {p["title"].split(" (suite)")[0] for p in lists} == {"Alertes", "Sources, provenance et définitions"}
    for p in lists:
        assert pack._pdf_text(doc, pack.BODY, pack.list_paragraphs(p["items"]), True, measure_only=True), p["title"]
