"""Each rule once (issue 20): the places that used to disagree now read the same rule.

- thresholds: build inputs, recorded in the manifest; the sheet's status is the plan page's (tests/test_tracking.py);
- value as of a quarter: the kiosk map keeps every département coloured after one of them is entered for a new
  quarter;
- region: one parser for the settings, sources.toml, the build and the CLI, one French error.
"""
from __future__ import annotations

import os

import pytest

from dashboard import kiosk, periods, settings, store, territory
from dashboard.pipeline import build as build_mod
from dashboard.pipeline.__main__ import main
from dashboard.saisie import preview


def test_thresholds_come_from_the_settings_only():
    conf = settings.Settings(status_on_track=0.7, status_watch=0.4)
    assert (conf.thresholds.on_track, conf.thresholds.watch) == (0.7, 0.4)
    with pytest.raises(TypeError):
        settings.Thresholds()                                   # no default of its own: the settings' only


def _with_entry(data: store.Store, indicator: str, code: str, quarter: str, value: float) -> store.Store:
    """The store as it is once one value entered through /saisie is published (same observations)."""
    obs = preview.overlay(data.observations, [{"indicator": indicator, "territory": code, "quarter": quarter,
                                               "value": value}])
    return store.from_frames(data.territories.reset_index(drop=True), data.indicators.reset_index(drop=True),
                             data.targets, obs, data.structures, data.initiatives, root=data.root,
                             version=f"{data.version}+saisie", manifest=data.manifest, public=data.public)


def test_kiosk_map_keeps_every_departement_after_one_entry(built_store):
    public = store.open_store(built_store, public=True)
    before = kiosk.map_content(public, "R84")
    assert before["valued"] == 12
    ident, period = before["indicator"], before["period"]
    value = next(i["value"] for i in before["items"] if i["code"] == "D01")
    after = kiosk.map_content(_with_entry(public, ident, "D01", periods.shift(period, 1), value + 1), "R84")
    assert after["indicator"] == ident and after["period"] == periods.shift(period, 1)
    items = {i["code"]: i for i in after["items"]}
    assert after["valued"] == 12 and all(i["fill"] for i in items.values())
    assert items["D01"]["value"] == value + 1
    # the others show their own, older observation with its date
    assert items["D15"]["value"] == {i["code"]: i["value"] for i in before["items"]}["D15"]
    assert items["D15"]["period"] == period and items["D15"]["period_text"] == periods.label(period)


@pytest.mark.parametrize("text, expected", [
    ("84", "R84"), ("R84", "R84"), (" r84 ", "R84"), (84, "R84"), (1, "R01"), ("FR", "FR"), ("france", "FR"),
    ("toutes", "FR"), ("Toutes", "FR"),
])
def test_region_parsing(text, expected):
    assert territory.parse_region(text) == expected


@pytest.mark.parametrize("text", ["5", "R5", "R840", "Auvergne", "", "D15", True, None, 3.5])
def test_a_bad_region_is_one_french_error(text):
    with pytest.raises(ValueError, match="attendu un code INSEE de région"):
        territory.parse_region(text)


def test_settings_and_build_read_the_region_the_same_way(monkeypatch):
    for text, expected in [("84", "R84"), ("FR", "FR"), ("toutes", "FR")]:
        monkeypatch.setenv("ACCES_SOINS_REGION", text)
        assert settings.load().region == expected
        assert build_mod.region_code(text) == (None if expected == "FR" else expected)
    monkeypatch.setenv("ACCES_SOINS_REGION", "5")
    with pytest.raises(settings.SettingsError, match="ACCES_SOINS_REGION : région '5' invalide"):
        settings.load()
    with pytest.raises(ValueError, match="région '5' invalide"):
        build_mod.region_code("5")


def test_cli_says_the_same_error_for_a_bad_region(capsys, monkeypatch):
    assert main(["check", "--region", "5"]) == 2
    err = capsys.readouterr().err
    assert "région '5' invalide : attendu un code INSEE de région" in err and "Traceback" not in err
    monkeypatch.setenv("ACCES_SOINS_REGION", "Auvergne")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "ACCES_SOINS_REGION : région 'Auvergne' invalide" in err and "Traceback" not in err


@pytest.mark.parametrize("unit, decimals, suffix, share, count, per_100k", [
    ("%", 1, "\u202f%", True, False, False),
    ("nombre", 0, "", False, True, True),
    ("consultations/hab./an", 2, "", False, False, False),
    ("inconnue", 0, "", False, False, False),
])
def test_one_registry_of_units(unit, decimals, suffix, share, count, per_100k):
    from dashboard import fmt, units

    u = units.of(unit)
    assert (u.decimals, u.suffix, u.is_share, u.is_count, u.per_100k) == (decimals, suffix, share, count, per_100k)
    assert fmt.decimals(unit) == decimals and fmt.value(1234.5678, unit).endswith(suffix or "")


@pytest.mark.parametrize("medium, expected_day, expected_time", [
    ("page", "31/12/2023", "31/12/2023 à 14:05"),
    ("pdf", "31/12/2023", "31/12/2023 à 14:05"),
    ("popup", "31/12/2023", "31/12/2023 14:05"),
    ("csv", "2023-12-31", "2023-12-31T14:05:00"),
])
def test_one_date_format_per_medium(medium, expected_day, expected_time):
    import datetime as dt

    from dashboard import fmt

    moment = dt.datetime(2023, 12, 31, 14, 5)
    for value in (moment, moment.date(), "2023-12-31T14:05:00", "2023-12-31"):
        assert fmt.day(value, medium) == expected_day
    assert fmt.timestamp(moment, medium) == fmt.timestamp("2023-12-31T14:05:00", medium) == expected_time
    assert fmt.day(None, medium) == fmt.day("n'importe", medium) == "–"


@pytest.mark.parametrize("command", [["-m", "dashboard.saisie", "audit"], ["app.py"]])
def test_a_bad_region_stops_the_app_and_the_saisie_cli_with_the_same_error(command):
    import subprocess
    import sys

    from .helpers import ROOT

    env = {**os.environ, "ACCES_SOINS_REGION": "5"}
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "ACCES_SOINS_REGION : région '5' invalide" in done.stderr and "Traceback" not in done.stderr


def test_the_chart_template_is_valid_plotly():
    """figure_theme builds its template without plotly's validation (0,28 s an import): validated here instead,
    a misspelt property would raise."""
    import plotly.graph_objects as go

    from dashboard import figure_theme

    checked = go.layout.Template(figure_theme.TEMPLATE.to_plotly_json())
    assert checked.to_plotly_json() == figure_theme.TEMPLATE.to_plotly_json()
    assert checked.layout.separators == figure_theme.SEPARATORS and "Marianne" in checked.layout.font.family
