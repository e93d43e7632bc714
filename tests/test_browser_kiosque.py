"""/kiosque in headless Chromium at 1920×1080: rotation pace, pause, recovery after a server restart,
axe-core, screenshots (test-artifacts/kiosque-*.png)."""
from __future__ import annotations

import re

import pytest

from .helpers import ROOT, LiveServer, axe_violations, wait_ready

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts"


@pytest.fixture
def kiosk_server(public_server):
    return public_server                      # the session's public instance (tests/conftest.py)


def kiosk_ready(page) -> None:
    """Dash rendered the page (wait_ready) and the kiosk engine has started on it."""
    wait_ready(page)
    page.wait_for_selector(".kiosque-slide:not([hidden])", timeout=20000)
    page.wait_for_function("() => window.kiosque && window.kiosque.state().version", timeout=20000)


def visible_slide(page) -> str:
    """The one slide actually displayed (laid out with a size), or None if not exactly one."""
    return page.evaluate("() => { const s = [...document.querySelectorAll('.kiosque-slide')]"
                         ".filter(e => e.offsetHeight > 0 && getComputedStyle(e).display !== 'none');"
                         " return s.length === 1 ? s[0].dataset.slide : null; }")


def settled(page) -> None:
    """No animation running (a slide's fade-in has ended)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


# Records in the page each slide shown and when (the page's clock, performance.now()), as it happens.
WATCH_SLIDES = """() => {
    window.__slides = [];
    const note = () => {
        const s = [...document.querySelectorAll('.kiosque-slide')].filter(e => !e.hidden).map(e => e.dataset.slide);
        const last = window.__slides[window.__slides.length - 1];
        if (s.length === 1 && (!last || last.slide !== s[0])) { window.__slides.push({slide: s[0], at: performance.now()}); }
    };
    note();
    new MutationObserver(note).observe(document.querySelector('.kiosque-slides'),
                                       {attributes: true, subtree: true, attributeFilter: ['hidden']});
}"""


def test_kiosk_rotates_at_the_configured_pace(kiosk_server, page):
    """The order of the slides, and never a change sooner than the configured 2 s (measured in the page as the
    slides change; a loaded machine can only make the changes later, and the wait gives up long before the
    default 12 s pace would have made them)."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.emulate_media(reduced_motion="reduce")     # axe must not catch a slide half faded in
    page.goto(kiosk_server.url + "/kiosque?diapos=plan,carte,trimestre&duree=2")
    kiosk_ready(page)
    assert visible_slide(page) == "plan"
    text = page.inner_text("#kiosque-root")
    assert re.search(r"Données au \d{1,2}(er)? \w+ \d{4}", text)
    assert "383" in text and "590" in text          # MSP and their target, from the store
    assert "démo" not in text.lower()
    page.evaluate(WATCH_SLIDES)
    page.wait_for_function("() => window.__slides.length >= 4", timeout=20000)
    shown = page.evaluate("() => window.__slides")
    assert [s["slide"] for s in shown[:4]] == ["plan", "carte", "trimestre", "plan"]
    gaps = [b["at"] - a["at"] for a, b in zip(shown[1:4], shown[2:4])]
    assert all(gap >= 1900 for gap in gaps), gaps       # ?duree=2: a change every 2 s, never sooner
    assert axe_violations(page) == []


def test_touch_pauses_the_rotation(kiosk_server, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(kiosk_server.url + "/kiosque?diapos=plan,carte&duree=2")
    kiosk_ready(page)
    page.mouse.click(960, 540)
    assert "En pause" in page.inner_text("#kiosque-pause")
    assert page.evaluate("() => window.kiosque.state().paused")
    assert page.inner_text("#kiosque-pause-status") == "Présentation en pause."     # announced once
    # the countdown counts down, each second (not a fixed « 60 secondes »)
    start = page.inner_text("#kiosque-pause")
    page.wait_for_function("(t) => document.getElementById('kiosque-pause').innerText !== t", arg=start, timeout=3000)
    seconds = [int(t.split("dans ")[1].split(" ")[0]) for t in (start, page.inner_text("#kiosque-pause"))]
    assert seconds[1] == seconds[0] - 1, seconds
    changes = page.evaluate("() => window.kiosque.changes()")
    # two turns of the rotation go by on the page's clock without a change
    page.wait_for_function("(t) => performance.now() > t", arg=page.evaluate("() => performance.now()") + 4500,
                           polling=250)
    assert page.evaluate("() => window.kiosque.changes()") == changes
    assert visible_slide(page) == "plan"
    page.keyboard.press("ArrowRight")                  # arrows move by hand (and keep the pause)
    assert visible_slide(page) == "carte"


def test_kiosk_recovers_after_a_server_restart(built_store, browser):
    """The server stops then starts again on the same port: the notice shows, then goes away, and the
    rotation never stopped — without any reload. While the server is away, Chromium logs each failed
    /healthz probe as a console error ("Failed to load resource: net::ERR_CONNECTION_REFUSED") even though
    the script catches it: those, and only those, are expected here."""
    server = LiveServer(data_dir=built_store, public=True)
    page = browser.tab(1920, 1080)
    page.emulate_media(reduced_motion="reduce")     # axe must not catch a slide half faded in
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append((m.text, m.location.get("url", ""))))
    try:
        page.goto(server.url + "/kiosque?diapos=plan,carte,trimestre&duree=2&sonde=2")
        kiosk_ready(page)
        page.evaluate("() => { window.__kiosqueLoaded = true; }")    # gone if the page reloads
        server.stop()
        page.wait_for_function("() => document.getElementById('kiosque-notice').textContent.includes('Connexion perdue')",
                               timeout=15000)
        page.screenshot(path=str(SHOTS / "kiosque-connexion-perdue.png"))
        changes = page.evaluate("() => window.kiosque.changes()")
        page.wait_for_function("(n) => window.kiosque.changes() > n", arg=changes, timeout=10000)  # goes on offline
        server.start()
        page.wait_for_function("() => document.getElementById('kiosque-notice').textContent === ''", timeout=20000)
        assert page.evaluate("() => window.__kiosqueLoaded === true")         # no reload happened
        changes = page.evaluate("() => window.kiosque.changes()")
        page.wait_for_function("(n) => window.kiosque.changes() > n", arg=changes, timeout=10000)
        assert not page.is_visible("#kiosque-notice")
        unexpected = [(t, u) for t, u in errors
                      if not (u.endswith("/healthz") and "net::ERR_CONNECTION_REFUSED" in t)]
        assert unexpected == []
        assert axe_violations(page) == []
    finally:
        browser.close_tab(page)
        server.stop()


def test_kiosk_reloads_when_a_new_version_is_published(built_store, browser, tmp_path):
    """Publishing a new store version (the pipeline switches CURRENT) reloads the kiosk by itself."""
    import shutil

    root = tmp_path / "store"
    shutil.copytree(built_store, root)
    current = (root / "CURRENT").read_text().strip()
    server = LiveServer(data_dir=root, public=True)
    page = browser.tab(1920, 1080)
    try:
        page.goto(server.url + "/kiosque?duree=2&sonde=2")
        kiosk_ready(page)
        page.evaluate("() => { window.__kiosqueLoaded = true; }")
        shutil.copytree(root / current, root / "v-suivante")
        (root / "CURRENT").write_text("v-suivante")
        page.wait_for_function("() => window.__kiosqueLoaded !== true", timeout=20000)
        kiosk_ready(page)
        assert page.evaluate("() => window.kiosque.state().version") == "v-suivante"
        assert page.console_errors == []
    finally:
        browser.close_tab(page)
        server.stop()


@pytest.mark.parametrize("slide", ["plan", "carte", "territoire", "trimestre", "source"])
def test_kiosk_slides_screenshots_and_accessibility(kiosk_server, page, slide):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(kiosk_server.url + f"/kiosque?diapos={slide}")
    kiosk_ready(page)
    assert visible_slide(page) == slide
    # nothing overflows the screen: a kiosk cannot scroll
    assert page.evaluate("() => document.querySelector('.kiosque-slides').scrollHeight "
                         "<= document.querySelector('.kiosque-slides').clientHeight + 2")
    settled(page)                                       # let the fade-in end
    page.screenshot(path=str(SHOTS / f"kiosque-{slide}.png"))
    assert axe_violations(page) == []


def test_internal_kiosk_marks_demo_values(live_server, built_store, page):
    """The plan's figures are all real now (the medical assistants are the baromètre's IND-679): no banner. The demo
    values left (old département splits) show only without an age limit, marked « démo », with the banner."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_server.url + "/kiosque?diapos=plan")
    kiosk_ready(page)
    assert "démonstration" not in page.inner_text("#kiosque-root")
    assert page.inner_text("#kiosque-freshness").startswith("Données les plus récentes : ")
    server = LiveServer(data_dir=built_store, extra_env={"ACCES_SOINS_KIOSK_MAX_AGE_QUARTERS": "0"})
    try:
        page.goto(server.url + "/kiosque?diapos=territoire")
        kiosk_ready(page)
        text = page.inner_text("#kiosque-root")
        assert "démonstration" in text and page.locator(".kiosque-slide .badge-demo").count() >= 1
        settled(page)
        page.screenshot(path=str(SHOTS / "kiosque-interne-plan.png"))
        assert axe_violations(page) == []
    finally:
        server.stop()


# ---- every slide dates its own figures; portrait screens; type for 3 m ------------------------------------

SLIDE_DATE = """() => {
  const slide = [...document.querySelectorAll('.kiosque-slide')].find(e => e.offsetHeight > 0);
  const scope = slide.querySelector('.kiosque-spot:not([hidden])') || slide;    // a département at a time
  const date = scope.querySelector('.kiosque-slide-date');
  return {date: date ? date.textContent : null,
          periods: [...scope.querySelectorAll('[data-period]')].map(e => e.dataset.period)};
}"""


@pytest.mark.parametrize("slide", ["plan", "carte", "territoire", "trimestre"])
def test_each_slide_says_the_date_of_its_own_figures(kiosk_server, page, slide):
    """The date on a slide is the date of the figures it shows (their quarter's end; a span when they differ),
    not the newest date of the whole store (the SAS figures of T3 2024, shown on no slide)."""
    from dashboard import fmt

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(kiosk_server.url + f"/kiosque?diapos={slide}")
    kiosk_ready(page)
    shown = page.evaluate(SLIDE_DATE)
    quarters = sorted(set(shown["periods"]))
    assert quarters, shown
    expected = (f"Données au {fmt.quarter_end(quarters[0])}" if len(quarters) == 1 else
                f"Données du {fmt.quarter_end(quarters[0])} au {fmt.quarter_end(quarters[-1])}")
    assert shown["date"] == expected
    assert "2024Q3" not in quarters and "30 septembre 2024" not in page.inner_text(".kiosque-slide:not([hidden])")
    # figures more than three years older than the newest (2017–2018) are left out by default
    assert all(q >= "2021Q3" for q in quarters), quarters


INK = """() => {
  // the extent of what is drawn (text and pictures) in the visible slide, against the slide's box
  const slide = [...document.querySelectorAll('.kiosque-slide')].find(e => e.offsetHeight > 0);
  const box = slide.getBoundingClientRect();
  let top = Infinity, bottom = -Infinity;
  const walk = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (!n.textContent.trim()) continue;
    const range = document.createRange(); range.selectNodeContents(n);
    for (const r of range.getClientRects()) { if (r.height) { top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom); } }
  }
  for (const img of slide.querySelectorAll('img')) {
    const r = img.getBoundingClientRect(); if (r.height) { top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom); }
  }
  const area = document.querySelector('.kiosque-slides');
  return {share: (bottom - box.top) / box.height, overflow: area.scrollHeight > area.clientHeight + 2};
}"""

SIZES = """() => {
  // the smallest font size of any text in the slides and in the footer (hidden slides included)
  const smallest = (root) => {
    let min = Infinity;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.textContent.trim()) min = Math.min(min, parseFloat(getComputedStyle(n.parentElement).fontSize));
    }
    return min;
  };
  return {slides: smallest(document.querySelector('.kiosque-slides')),
          footer: smallest(document.querySelector('.kiosque-footer'))};
}"""


@pytest.mark.parametrize("width,height", [(1920, 1080), (1080, 1920)])
def test_kiosk_type_is_readable_at_three_metres(kiosk_server, page, width, height):
    """docs/kiosque.md: at 1080p, every text of a slide ≥ 32 px, the footer ≥ 24 px, in both orientations."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(kiosk_server.url + "/kiosque")
    kiosk_ready(page)
    sizes = page.evaluate(SIZES)
    assert sizes["slides"] >= 32 and sizes["footer"] >= 24, sizes


@pytest.mark.parametrize("slide", ["plan", "carte", "territoire", "trimestre", "source"])
def test_portrait_screen_uses_its_full_height(kiosk_server, page, slide):
    """On a 1080×1920 screen the content spreads over the slide's height (it filled the top third) and
    nothing overflows; screenshots in test-artifacts/kiosque-portrait-*.png."""
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.emulate_media(reduced_motion="reduce")
    page.goto(kiosk_server.url + f"/kiosque?diapos={slide}")
    kiosk_ready(page)
    ink = page.evaluate(INK)
    assert ink["share"] >= 0.75 and not ink["overflow"], ink
    page.screenshot(path=str(SHOTS / f"kiosque-portrait-{slide}.png"))


def test_the_public_kiosk_shows_no_internal_reference(kiosk_server, page):
    """Every slide's text, as the public screen holds it: no « doc. 004 » of the team's documents (issue 22,
    point 7), and only the figures recent enough (the sources slide names the sources without their numbers)."""
    import re

    page.goto(kiosk_server.url + "/kiosque?diapos=plan,carte,territoire,trimestre,source")
    kiosk_ready(page)
    text = page.evaluate("() => [...document.querySelectorAll('.kiosque-slide')].map(s => s.textContent).join(' ')")
    assert "ARS Auvergne-Rhône-Alpes" in text or "Baromètre" in text          # the sources are named
    assert not re.search(r"\bdoc\.\s*\d", text), re.search(r".{60}\bdoc\.\s*\d+", text)
