"""The committee on « Suivi du plan » in headless Chromium: the alerts section, and the pack button (background
job) downloading the PPTX and the PDF; axe-core clean."""
from __future__ import annotations

import pytest

from .helpers import NEXT_FRAMES, axe_violations, wait_ready
from .helpers.wait import until

pytestmark = pytest.mark.browser


def test_alerts_section_and_pack_downloads(live_server, page):
    page.goto(live_server.url + "/?trimestre=2023Q4")
    wait_ready(page)
    alerts = page.inner_text("#plan-alerts-section")
    assert alerts.startswith("Alertes") and "En retard" in alerts and "MSP en fonctionnement" in alerts
    assert "avancement annuel" in page.inner_text("#plan-card-msp_count")
    assert axe_violations(page) == []

    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.click("#plan-pack")
    page.locator("#plan-pack-status", has_text="prêt").wait_for(timeout=90000)

    def both_downloaded() -> bool:
        page.wait_for_function(NEXT_FRAMES)          # a call into Playwright delivers the download events
        return len(downloads) >= 2
    until(both_downloaded, 30, "les deux fichiers du dossier ne sont pas téléchargés")
    assert sorted(d.suggested_filename for d in downloads) == ["dossier-seance-R84-2023Q4.pdf",
                                                               "dossier-seance-R84-2023Q4.pptx"]
    for download in downloads:
        with open(download.path(), "rb") as fh:
            head = fh.read(5)
        assert head[:2] == b"PK" if download.suggested_filename.endswith(".pptx") else head == b"%PDF-"
    assert axe_violations(page) == []
