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


def run_until_change(page, limit_ms: int, step_ms: int = 50) -> int:
    """Advance the page's (fake) clock by ``step_ms`` until the visible slide changes; the ms it took."""
    start, spent = visible_slide(page), 0
    while visible_slide(page) == start:
        assert spent < limit_ms, f"toujours la diapositive « {start} » après {spent} ms"
        page.clock.run_for(step_ms)
        spent += step_ms
    return spent


def test_kiosk_rotates_at_the_configured_pace(kiosk_server, page):
    """The pace is read on the page's own clock (Playwright's fake timers), never on the wall clock."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.emulate_media(reduced_motion="reduce")     # axe must not catch a slide half faded in
    page.clock.install()
    page.goto(kiosk_server.url + "/kiosque?diapos=plan,carte,trimestre&duree=2")
    kiosk_ready(page)
    assert visible_slide(page) == "plan"
    text = page.inner_text("#kiosque-root")
    assert re.search(r"Données au \d{1,2}(er)? \w+ \d{4}", text)
    assert "383" in text and "590" in text          # MSP and their target, from the store
    assert "démo" not in text.lower()
    page.clock.pause_at(page.evaluate("() => Date.now()") + 10)
    run_until_change(page, 2100)                        # the first change, whenever the page started
    seen, gaps = [visible_slide(page)], []
    for _ in range(2):
        gaps.append(run_until_change(page, 2100))
        seen.append(visible_slide(page))
    assert ["plan", *seen] == ["plan", "carte", "trimestre", "plan"]
    assert all(1950 <= gap <= 2050 for gap in gaps), gaps   # one change every 2 s (?duree=2), ± one step
    assert axe_violations(page) == []


def test_touch_pauses_the_rotation(kiosk_server, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.clock.install()
    page.goto(kiosk_server.url + "/kiosque?diapos=plan,carte&duree=2")
    kiosk_ready(page)
    page.clock.pause_at(page.evaluate("() => Date.now()") + 10)
    page.mouse.click(960, 540)
    assert "En pause" in page.inner_text("#kiosque-pause")
    page.clock.run_for(4500)                            # two turns and more on the page's clock
    assert visible_slide(page) == "plan"
    page.keyboard.press("ArrowRight")                  # arrows move by hand (and keep the pause)
    assert visible_slide(page) == "carte"


def test_kiosk_recovers_after_a_server_restart(built_store, browser):
    """The server stops then starts again on the same port: the notice shows, then goes away, and the
    rotation never stopped — without any reload. While the server is away, Chromium logs each failed
    /healthz probe as a console error ("Failed to load resource: net::ERR_CONNECTION_REFUSED") even though
    the script catches it: those, and only those, are expected here."""
    server = LiveServer(data_dir=built_store, public=True)
    page = browser.new_page(1920, 1080)
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
        page.context.close()
        server.stop()


def test_kiosk_reloads_when_a_new_version_is_published(built_store, browser, tmp_path):
    """Publishing a new store version (the pipeline switches CURRENT) reloads the kiosk by itself."""
    import shutil

    root = tmp_path / "store"
    shutil.copytree(built_store, root)
    current = (root / "CURRENT").read_text().strip()
    server = LiveServer(data_dir=root, public=True)
    page = browser.new_page(1920, 1080)
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
        page.context.close()
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


def test_internal_kiosk_marks_demo_values(live_server, page):
    """An internal kiosk shows recent demo values (medical assistants, T4 2023) marked « démo », with the banner.
    (The map no longer picks an indicator whose latest values are 2018 demo values: too old for the screen.)"""
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_server.url + "/kiosque?diapos=plan")
    kiosk_ready(page)
    text = page.inner_text("#kiosque-root")
    assert "démonstration" in text and page.locator(".kiosque-slide .badge-demo").count() >= 1
    settled(page)
    page.screenshot(path=str(SHOTS / "kiosque-interne-plan.png"))
    assert axe_violations(page) == []


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
