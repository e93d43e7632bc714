"""Test helpers shared by every test module (``from .helpers import X`` / ``from tests.helpers import X``):
a live app in a subprocess, headless Chromium (Playwright) and axe-core here; the raw folder, the pipeline CLI
and copies of the shared store in :mod:`.pipeline`; the one polling helper (:func:`.wait.until`)."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from dash import html as dash_html

from layouts.static_html import ATTRIBUTES, VOID, StaticHtml

from .wait import until

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def walk(component):
    """A Dash component and every component below it (its children, depth first; lists walked through). A frozen
    subtree (:class:`layouts.static_html.StaticHtml`) is walked as the components its HTML was made of
    (:func:`thaw`), so that a test finds a table or a badge whether the page froze it or not."""
    if isinstance(component, (list, tuple)):
        for child in component:
            yield from walk(child)
        return
    if not hasattr(component, "to_plotly_json"):
        return
    yield component
    if isinstance(component, StaticHtml):
        yield from walk(thaw(component.html))
        return
    yield from walk(getattr(component, "children", None))


_HTML_CLASSES = {name.lower(): getattr(dash_html, name) for name in dir(dash_html)
                 if isinstance(getattr(dash_html, name), type) and hasattr(getattr(dash_html, name), "_type")}
_PROPS = {attribute: prop for prop, attribute in ATTRIBUTES.items()}     # class → className…: to_html's inverse


def thaw(markup: str) -> list:
    """HTML markup (a frozen subtree's) as the ``dash.html`` components it was made of."""
    root: list = []
    stack: list[tuple[type, dict, list]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            props = {}
            for name, value in attrs:
                if name == "style":
                    value = {re.sub("-([a-z])", lambda m: m.group(1).upper(), k.strip()): v.strip()
                             for k, v in (d.split(":", 1) for d in (value or "").split(";") if ":" in d)}
                props[_PROPS.get(name, name)] = True if value is None else value
            if tag in VOID:
                (stack[-1][2] if stack else root).append(_HTML_CLASSES[tag](**props))
            else:
                stack.append((_HTML_CLASSES[tag], props, []))

        def handle_endtag(self, tag):
            cls, props, children = stack.pop()
            made = cls(children=children[0] if len(children) == 1 else children or None, **props)
            (stack[-1][2] if stack else root).append(made)

        def handle_data(self, data):
            (stack[-1][2] if stack else root).append(data)

    parser = Parser(convert_charrefs=True)
    parser.feed(markup)
    parser.close()
    return root


def text_of(component) -> str:
    """Every string of a Dash component tree, joined by spaces (a frozen subtree's too: its HTML's text)."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, StaticHtml):
        return text_of(thaw(component.html))
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``python app.py`` on a free loopback port, with its own settings (environment variables)."""

    def __init__(self, data_dir: Path, public: bool = False, extra_env: dict | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ACCES_SOINS_DATA_DIR": str(data_dir), "ACCES_SOINS_PORT": str(self.port),
                    "ACCES_SOINS_HOST": "127.0.0.1", "ACCES_SOINS_PUBLIC": "1" if public else "0",
                    "ACCES_SOINS_CACHE_DIR": str(Path(data_dir).parent / f"cache-{self.port}"),
                    **(extra_env or {})}
        self.proc = None
        self.start()

    def start(self, timeout: float = 60) -> None:
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        self.log = open(ROOT / "test-artifacts" / f"server-{self.port}.log", "a")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        until(self._healthy, timeout, f"le serveur n'a pas démarré à temps, voir {self.log.name}", interval=0.1)

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"le serveur s'est arrêté (code {self.proc.returncode}), voir {self.log.name}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                return r.status == 200
        except Exception:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.log:
            self.log.close()


class Browser:
    def __init__(self):
        from playwright.sync_api import sync_playwright

        exe = shutil.which("chromium") or "/usr/bin/chromium"
        if not Path(exe).exists():
            raise RuntimeError("chromium introuvable : lancer « make test » (il installe chromium et chromium-driver)")
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        self._shared = None

    def new_page(self, width: int = 1366, height: int = 900):
        """A page in a browser context of its own: empty HTTP and code caches, no cookie — a first visit, as the
        benchmarks measure it (bench/weight.py, bench/map.py). Closed with ``page.context.close()``."""
        return self._watched(self._context(width, height).new_page())

    def tab(self, width: int = 1366, height: int = 900):
        """A new tab of the one context the tests share (:meth:`close_tab` closes it and drops the cookies, so
        that no test finds another's session): the scripts and styles every page loads come from that context's
        cache — a fresh context per test cost ≈ 1 s of CPU at each first page (plotly and Dash parsed and
        compiled again), two minutes of the suite."""
        if self._shared is None:
            self._shared = self._context(width, height)
        page = self._watched(self._shared.new_page())
        page.set_viewport_size({"width": width, "height": height})
        return page

    def close_tab(self, page) -> None:
        page.close()
        if page.context is self._shared:
            self._shared.clear_cookies()

    def _context(self, width: int, height: int):
        context = self._browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                            accept_downloads=True)

        # Tests never reach the internet: anything not on loopback is refused.
        def guard(route):
            url = route.request.url
            if url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")):
                return route.continue_()
            return route.abort()

        context.route("**/*", guard)
        return context

    @staticmethod
    def _watched(page):
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    def close(self):
        self._browser.close()
        self._pw.stop()


# Dash has drawn and no callback is queued, running or about to be fired (its renderer's redux store), nor any
# component loading — twice, two animation frames apart: the renderer sets its layout in the store before React
# has drawn it, and the callbacks of what it draws are queued only then (a single look could see the store ready
# and the page not yet drawn: a flake seen under load). No fixed delay.
SETTLED = """() => {
    const quiet = () => {
        const store = (window.dash_stores || [])[0];
        if (!store || document.querySelector('[data-dash-is-loading="true"], ._dash-loading')) { return false; }
        const state = store.getState();
        const queues = state.callbacks || {};
        if (!state.layout || Object.values(queues).some(q => Array.isArray(q) && q.length)) { return false; }
        if ((state.pendingCallbacks || []).length) { return false; }
        // Dash Pages: the page itself is drawn by a callback, fired once the shell is drawn
        const pages = state.paths && state.paths.strs && state.paths.strs._pages_content;
        const content = document.getElementById('_pages_content');
        return !(pages && !content) && !(content && !content.firstElementChild);
    };
    if (!quiet()) { return false; }
    return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(quiet()))));
}"""
NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def wait_ready(page) -> None:
    """Wait until Dash has rendered the page and no callback is pending."""
    page.wait_for_selector("#_pages_content, ._dash-app-content, #react-entry-point", state="attached")
    page.wait_for_function(SETTLED, timeout=20000)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; return the violations of the given impacts."""
    if not AXE.exists():
        raise RuntimeError("axe-core absent : lancer « make test » (npm ci)")
    # Evaluated through the DevTools protocol rather than added as a <script> tag: the app's
    # Content-Security-Policy (dashboard/security.py) rightly refuses injected inline scripts.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate("(src) => { (0, eval)(src); }", AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in result["violations"] if v["impact"] in impacts]


def focused(page) -> dict:
    """The focused element: its id (or tag and class), and the width of its focus ring in px — the outline of
    the element or of the Dash 4 container that draws it (dcc.Input's ring is on its wrapper)."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el || el === document.body) { return {id: '', ring: 0, inside: []}; }
        const ring = (e) => {
            const s = getComputedStyle(e);
            return s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth) || 0;
        };
        const box = el.closest('.dash-input-container');
        const cls = typeof el.className === 'string' ? el.className : (el.className.baseVal || '');
        return {id: el.id || (el.tagName.toLowerCase() + '.' + cls.split(' ')[0]),
                tag: el.tagName.toLowerCase(), ring: Math.max(ring(el), box ? ring(box) : 0),
                inside: [el.closest('#carte-table-section') ? 'table-section' : '',
                         el.closest('.leaflet-pane') ? 'map-shape' : ''].filter(Boolean)};
    }""")


def tab_through(page, presses: int) -> list[dict]:
    """Press Tab ``presses`` times from the top of the page; what got the focus each time."""
    # focusing <body> itself puts the sequential focus starting point back at the top (a blur would not)
    page.evaluate("""() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex');
                             window.scrollTo(0, 0); }""")
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(focused(page))
    return seen


def open_first_dropdown(page) -> bool:
    """Open the page's first dcc.Dropdown with the keyboard; False when the page has none."""
    if not page.locator("button.dash-dropdown").count():
        return False
    page.locator("button.dash-dropdown").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".dash-dropdown-content[data-state=open]")
    page.wait_for_function(NEXT_FRAMES)   # the accessibility shims run on the next animation frame
    return True


from .pipeline import RAW, cli, publish_copy, show  # noqa: E402,F401  (re-exported: one import for tests)
