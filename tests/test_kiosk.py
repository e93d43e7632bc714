"""Kiosk content (dashboard/kiosk.py) and shared validators (dashboard/validate.py), as pure functions."""
import datetime as dt
from pathlib import Path

import pytest
from dash.exceptions import PreventUpdate

from dashboard import fmt, kiosk, mapping, store, validate

from .helpers import walk


@pytest.fixture(scope="module")
def public(built_store):
    return store.open_store(built_store, public=True)


@pytest.fixture(scope="module")
def internal(built_store):
    return store.open_store(built_store)


def _variant(data: store.Store, keep, folder: Path) -> store.Store:
    """The same store with only the observations ``keep`` selects."""
    return store.from_frames(data.territories.reset_index(drop=True), data.indicators.reset_index(drop=True),
                             data.targets, data.observations[keep], data.structures, data.initiatives,
                             root=data.root, version=f"{data.version}-variante", manifest=data.manifest,
                             public=data.public)


def test_quarter_summary_of_the_default_data_speaks_of_the_region(public):
    """« Ce trimestre » gives the region's latest figures with their own dates, even when the store's latest
    quarter (T3 2024: SAS values of départements only) has no regional value."""
    sentences = kiosk.quarter_summary(public, "R84")["sentences"]
    assert sentences and all(" au T" in s["text"] for s in sentences)
    periods_shown = [s["period"] for s in sentences]
    assert periods_shown == sorted(periods_shown, reverse=True)


def test_slides_and_duration_are_validated():
    assert kiosk.parse_slides("plan,carte") == ["plan", "carte"]
    assert kiosk.parse_slides(" Carte , plan,carte,inconnue") == ["carte", "plan"]
    assert kiosk.parse_slides("inconnue") == list(kiosk.SLIDES)
    assert kiosk.parse_slides(12) == list(kiosk.SLIDES)
    assert kiosk.parse_slides("plan," * 500) == list(kiosk.SLIDES)          # too long: default
    assert kiosk.parse_seconds("8", 12) == 8
    for bad in ("0", "1", "-5", "abc", "9" * 20, None, True, "8.5", [8]):
        assert kiosk.parse_seconds(bad, 12) == 12
    cfg = kiosk.config("plan,source", 15, {"duree": "2", "diapos": "carte", "sonde": "3"})
    assert cfg.slides == ("carte",) and cfg.seconds == 2 and cfg.poll_seconds == 3
    cfg = kiosk.config("plan,source", 15, {"duree": "x", "diapos": "<script>"})
    assert cfg.slides == ("plan", "source") and cfg.seconds == 15 and cfg.poll_seconds == 60


def test_french_dates(public):
    assert fmt.date(dt.date(2023, 12, 31)) == "31 décembre 2023"
    assert fmt.date(dt.date(2024, 8, 1)) == "1er août 2024"
    assert kiosk.data_date(public) == "30 septembre 2024"     # SAS coverage (IND-587) at 2024-09-01


def test_plan_cards_from_the_public_store(public):
    cards = {c["id"]: c for c in kiosk.plan_cards(public, "R84")}
    msp = cards["msp_count"]
    assert msp["value"] == 383 and msp["period"] == "2023Q4" and msp["status"] == "observed"
    # the taux d'avancement, as on the plan page: 100 × (383 − 341) / (590 − 341)
    assert msp["target"]["value"] == 590 and msp["target"]["share_text"] == "16,9\u202f%"
    assert msp["change_text"] == "+23 depuis le T2 2023"              # the previous observation, not a quarter
    # the medical assistants are real and public since the baromètre publishes them (IND-679), from its own baseline
    assistants = cards["medical_assistants_count"]
    assert assistants["value"] == 667 and assistants["status"] == "observed"
    assert assistants["target"]["baseline_text"] == "438 en décembre 2022"
    assert [c["target"] is not None for c in kiosk.plan_cards(public, "R84")][:3] == [True, True, True]


def test_map_takes_the_best_covered_public_indicator(public, internal, tmp_path):
    content = kiosk.map_content(public, "R84")
    assert content["indicator"] == "msp_count" and content["valued"] == 12 and content["period"] == "2023Q4"
    assert {i["code"]: i["value"] for i in content["items"]}["D15"] == 14   # baromètre DITP, IND-311
    assert not content["has_demo"]
    svg = kiosk.map_svg(public, content)
    assert svg.startswith("<svg") and "Cantal" in svg and "<script" not in svg
    assert not kiosk.map_content(internal, "R84")["has_demo"]               # real by default
    # Only demo values left (levers with no open data): the map takes one of them and says so.
    demo_only = _variant(internal, internal.observations["status"] == "demo", tmp_path)
    demo = kiosk.map_content(demo_only, "R84")
    assert demo["valued"] == 12 and demo["has_demo"]


def test_kiosk_classes_are_the_map_pages():
    values = [6, 13, 13, 22, 24, 25, 25, 30, 30, 31, 32, 132]
    indicator = {"unit": "nombre", "polarity": "higher"}
    classes, legend = kiosk.classify(values, indicator)
    edges = mapping.class_breaks(values, indicator)
    assert classes == mapping.classify(values, edges).tolist()
    assert [c for c, _ in legend] == mapping.palette("higher", len(edges) - 1)
    assert classes[0] == 0 and classes[-1] == len(legend) - 1 and legend[-1][1].endswith("et plus")
    classes, legend = kiosk.classify([0, 0, 0], indicator)
    assert classes == [0, 0, 0] and len(legend) == 1
    assert kiosk.classify([], indicator) == ([], [])
    assert kiosk.ink_on("#0c2c84") == "#ffffff" and kiosk.ink_on("#ffffcc") == "#161616"


def test_spotlights_and_quarter_summary(public, tmp_path):
    sheets = {s["code"]: s for s in kiosk.spotlights(public, "R84")}
    assert len(sheets) == 12
    assert sheets["D01"]["initiative"] is None          # « Recruter davantage de maîtres de stage » is of 2018: too old
    assert sheets["D07"]["initiative"]["title"].startswith("Six centres de santé régionaux")     # 2023
    order = [s["initiative"] is None for s in kiosk.spotlights(public, "R84")]
    assert order == sorted(order) and not order[0]      # a sheet with its initiative first, full screens first
    assert sheets["D15"]["initiative"] is not None                      # Le Rouget-Pers, a commune of Cantal
    assert any(f["value_text"] == "0" for f in sheets["D15"]["facts"])
    # The summary of a store whose latest quarter is 2023Q4 (the default data goes on to 2024Q3 with
    # département values only, see test_quarter_summary_of_the_default_data_speaks_of_the_region).
    summary = kiosk.quarter_summary(_variant(public, public.observations["period"] <= "2023Q4", tmp_path), "R84")
    assert summary["quarter_text"] == "T4 2023"
    assert summary["sentences"][0]["text"].startswith("MSP en fonctionnement : 383 au T4 2023, +23 depuis le T2 2023 ; "
                                                      "avancement 16,9\u202f%")
    assert all(s["status"] == "observed" for s in summary["sentences"])


def test_validators(public, internal):
    assert validate.indicator(public, "msp_count") == "msp_count"
    assert validate.indicator(public, "contracts_count") is None         # not public: unknown here
    assert validate.indicator(internal, "contracts_count") == "contracts_count"
    for bad in (None, 5, "", "x" * 100, ["msp_count"], {"id": "msp_count"}):
        assert validate.indicator(public, bad) is None
    assert validate.territory(public, "D15") == "D15"
    assert validate.territory(public, "D15", levels=["region"]) is None
    assert validate.territory(public, "D99") is None and validate.territory(public, "../D15") is None
    assert validate.quarter(public, "2023Q4") == "2023Q4"
    assert validate.quarter(public, "2099Q1") is None and validate.quarter(None, "2099Q1") == "2099Q1"
    assert validate.quarter(public, "2023Q5") is None
    assert validate.level("departement") == "departement" and validate.level("monde") is None
    assert validate.choice("a", ["a", "b"]) == "a" and validate.choice("c", ["a"], "a") == "a"
    assert validate.integer("12", 1, 20) == 12 and validate.integer(True, 0, 5, 3) == 3
    assert validate.integer(99, 0, 5) is None
    with pytest.raises(PreventUpdate):
        validate.no_update()


def test_old_figures_are_marked_or_left_out(public):
    """The newest figure of the default data is T3 2024: a figure more than a year older says its year, one
    more than ``max_age`` quarters older is left out (default: three years, ACCES_SOINS_KIOSK_MAX_AGE_QUARTERS)."""
    fresh = kiosk.freshness(public)
    assert fresh.reference == "2024Q3" and fresh.oldest == "2021Q3"
    assert fresh.mark("2023Q4") is None and fresh.mark("2023Q2") == "donnée de 2023"
    assert fresh.shown("2021Q3") and not fresh.shown("2021Q2")
    by_default = {c["id"]: c for c in kiosk.plan_cards(public, "R84")}
    assert "cds_count" not in by_default                       # T1 2018: left out
    assert by_default["msp_count"]["old_text"] is None
    unlimited = {c["id"]: c for c in kiosk.plan_cards(public, "R84", max_age=0)}
    assert unlimited["cds_count"]["period"] == "2018Q1" and unlimited["cds_count"]["old_text"] == "donnée de 2018"
    sentences = kiosk.quarter_summary(public, "R84")["sentences"]
    assert all(s["period"] >= "2021Q3" for s in sentences)
    assert [s["old_text"] for s in sentences if s["period"] == "2023Q2"] == ["donnée de 2023"]
    assert all(f["period"] >= "2021Q3" for s in kiosk.spotlights(public, "R84") for f in s["facts"])


def test_slide_dates_say_the_quarter_or_the_span():
    assert kiosk.dates_text(["2023Q4", "2023Q4"]) == "Données au 31 décembre 2023"
    assert kiosk.dates_text(["2024Q2", "2023Q2", None]) == "Données du 30 juin 2023 au 30 juin 2024"
    assert kiosk.dates_text([]) is None


def test_max_age_setting(monkeypatch):
    from dashboard import settings

    monkeypatch.setenv("ACCES_SOINS_KIOSK_MAX_AGE_QUARTERS", "8")
    assert settings.load().kiosk_max_age_quarters == 8
    monkeypatch.delenv("ACCES_SOINS_KIOSK_MAX_AGE_QUARTERS")
    assert settings.load().kiosk_max_age_quarters == kiosk.MAX_AGE_QUARTERS == 12


def test_a_slide_that_fails_to_render_is_left_out(app, monkeypatch, caplog):
    """One slide's failure (a bug, a file it cannot read) costs that slide, logged: the screen turns with the
    others and its steps list only them; never an error page, never stuck."""
    from layouts import kiosque

    def broken(*_args):
        raise RuntimeError("diapositive cassée")

    monkeypatch.setitem(kiosque.BUILDERS, "carte", broken)
    tree = kiosque.layout(diapos="plan,carte,source")

    def props(component):
        return component.to_plotly_json()["props"] if hasattr(component, "to_plotly_json") else {}

    shown = [props(c).get("data-slide") for c in walk(tree) if getattr(c, "className", "") == "kiosque-slide"]
    steps = [props(c).get("data-slide") for c in walk(tree) if c.__class__.__name__ == "Li" and props(c).get("data-slide")]
    assert shown == steps == ["plan", "source"]
    assert "diapositive « carte » non affichée" in caplog.text
    monkeypatch.setitem(kiosque.BUILDERS, "plan", broken)
    assert "Données momentanément indisponibles." in str(kiosque.layout(diapos="plan,carte"))


def test_the_public_side_holds_no_internal_document_reference(public, internal):
    """« doc. 004 » numbers the team's own documents: the internal instance keeps it, the public store (kiosk,
    public API, embeds) never holds it, in a source, a note or an initiative (issue 22, point 7)."""
    assert internal.observations["source"].str.contains(r"\bdoc\.\s*\d", regex=True).any()
    for frame, columns in ((public.observations, ("source", "note")), (public.initiatives, ("source",))):
        for column in columns:
            assert not frame[column].astype(str).str.contains(r"\bdoc\.\s*\d", regex=True).any(), column
    assert not any("doc." in s for s in kiosk.sources(public, limit=50))
    cleaned = public.observations.set_index(["indicator", "territory", "period"])["source"]
    raw = internal.observations.set_index(["indicator", "territory", "period"])["source"]
    numbered = raw[raw.str.contains("doc. 004", regex=False)]
    key = next(k for k in numbered.index if k in cleaned.index)       # a public value whose source had a number
    assert cleaned[key] == raw[key].replace(", doc. 004", "") and cleaned[key].startswith("ARS ")


def test_initiatives_obey_the_age_rule(public):
    """A local initiative is dated by its year: one older than the oldest quarter shown is left out, as a figure."""
    fresh = kiosk.freshness(public)
    oldest_year = int(fresh.oldest[:4])
    shown = [s["initiative"] for s in kiosk.spotlights(public, "R84") if s["initiative"]]
    assert all(i["year"] >= oldest_year for i in shown)
    assert fresh.shown_year(oldest_year) and not fresh.shown_year(oldest_year - 1)
    assert kiosk.Freshness("2024Q3", 0).shown_year(1990)          # no limit
    ini = public.initiatives
    assert (ini["year"] < oldest_year).any()        # the default data has old ones (2017, 2018): the rule is tested
