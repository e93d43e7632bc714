"""The committee on « Suivi du plan » in headless Chromium: the alerts section, and the pack button (background
job) downloading the PPTX and the PDF; axe-core clean."""
from __future__ import annotations

import pytest

from .helpers import axe_violations, wait_ready

pytestmark = pytest.mark.browser


def test_alerts_section_and_pack_downloads(live_server, page):
    page.goto(live_server.url + "/?trimestre=2023Q4")
    wait_ready(page)
    alerts = page.inner_text("#plan-alerts-section")
    assert alerts.startswith("Alertes") and "En retard" in alerts and "MSP en fonctionnement" in alerts
    assert "avancement annuel" in page.inner_text("#plan-card-msp_count")
    assert axe_violations(page) == []

    names = []
    with page.expect_download(timeout=90000) as first:
        with page.expect_download(timeout=90000) as second:
            page.click("#plan-pack")
    for info in (first, second):
        download = info.value
        names.append(download.suggested_filename)
        with open(download.path(), "rb") as fh:
            head = fh.read(5)
        assert head[:2] == b"PK" if download.suggested_filename.endswith(".pptx") else head == b"%PDF-"
    assert sorted(names) == ["dossier-seance-R84-2023Q4.pdf", "dossier-seance-R84-2023Q4.pptx"]
    page.wait_for_function("document.querySelector('#plan-pack-status').innerText.includes('prêt')")
    assert axe_violations(page) == []
