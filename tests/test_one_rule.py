"""One definition per figure: the same progress, value and change on every page, export, PDF and the kiosk.

The State publishes the *taux d'avancement* of IND-311 (MSP, Auvergne-Rhône-Alpes) as
100 × (383 − 341) / (590 − 341) = 16,87 % at the end of 2023; every place that shows a percentage of
progress must say « 16,9 % ».
"""
from __future__ import annotations

import io

import pandas as pd
import pytest
from pypdf import PdfReader

from dashboard import fmt, kiosk, pdf, queries, sheet

from .helpers import text_of
from .test_plan_page import by_id

QUARTER = "2023Q4"


@pytest.fixture(scope="module")
def expected(store_data) -> str:
    value = queries.value_at(store_data, "msp_count", "R84", QUARTER)["value"]
    base = queries.value_at(store_data, "msp_count", "R84", queries.BASELINE_QUARTER)["value"]
    target = queries.target_of(store_data, "msp_count", "R84")["value"]
    assert (value, base, target) == (383, 341, 590)      # the baromètre's figures (DOMAIN.md §5)
    return fmt.percent(100 * (value - base) / (target - base))


def test_the_rule_itself():
    assert queries.progress(383, 341, 590) == pytest.approx(16.867, abs=1e-3)
    assert queries.progress(700, 341, 590) == 100 and queries.progress(300, 341, 590) == 0       # clamped
    # an indicator to be reduced: the target is below the baseline, a fall is progress
    assert queries.progress(12, 14, 10) == pytest.approx(50)
    assert fmt.percent(queries.progress(383, 341, 590)) == "16,9\u202f%"


def test_msp_progress_is_the_same_in_five_places(app, store_data, expected):
    from callbacks import plan as plan_callbacks
    from layouts import kiosque as kiosque_layout
    from layouts import territoire as territoire_layout

    # 1. the plan card
    cards, *_ = plan_callbacks.update_quarter(QUARTER, "msp_count")
    assert f"Avancement vers la cible : {expected}" in text_of(by_id(cards, "plan-card-msp_count"))
    # 2. the territory sheet (the region's own target)
    page = territoire_layout.layout(code="R84", trimestre=QUARTER)
    assert f"avancement {expected}" in text_of(page)
    # 3. its PDF
    reader = PdfReader(io.BytesIO(pdf.render(sheet.assemble(store_data, "R84", QUARTER))))
    text = " ".join(p.extract_text() for p in reader.pages).replace("\n", " ")
    assert f"avancement {expected}".replace("\u202f", " ") in text.replace("\u202f", " ")
    # 4. the kiosk (its latest quarter is T4 2023 for MSP)
    assert kiosk.plan_cards(store_data, "R84")[0]["target"]["share_text"] == expected
    assert f"Avancement : {expected}" in text_of(kiosque_layout.layout())
    # 5. the exports (CSV of the plan)
    out = plan_callbacks.export_csv(1, QUARTER)
    df = pd.read_csv(io.StringIO(out["content"].lstrip("\ufeff")), sep=";", decimal=",")
    row = df[(df.indicateur == "msp_count") & (df.territoire == "R84") & (df.trimestre == QUARTER)].iloc[0]
    assert fmt.percent(row.avancement_pct) == expected


def test_changes_compare_with_the_previous_observation(app, store_data):
    """A semester indicator's change is against its previous observation, with its date, on every page."""
    from callbacks import plan as plan_callbacks
    from layouts import territoire as territoire_layout

    change = queries.change_since_previous(store_data, "msp_count", "R84", QUARTER)
    words = f"{fmt.delta(change.delta, 'nombre')} depuis le {fmt.quarter(change.since)}"
    cards, *_ = plan_callbacks.update_quarter(QUARTER, "msp_count")
    assert words in text_of(by_id(cards, "plan-card-msp_count"))
    assert words in text_of(territoire_layout.layout(code="R84", trimestre=QUARTER))
    if change.now["status"] == "observed" and change.before["status"] == "observed":
        assert kiosk.plan_cards(store_data, "R84")[0]["change_text"] == words
