"""Build vendor/dsfr/ from the npm package @gouvfr/dsfr: the State design system, the subset the app uses.

    python scripts/vendor_dsfr.py [path/to/@gouvfr/dsfr]       (default: node_modules/@gouvfr/dsfr)

The app serves vendor/dsfr/ itself (dashboard/server.py, route /dsfr/…), so ``make run`` needs no Node.js;
this script is only run to update the DSFR (bump the version in package.json, ``npm ci``, run it, commit).

What is kept, to keep the first load small (the full dsfr.min.css is ≈ 95 kB compressed, the subset ≈ 45 kB):
- core (reset, typography, colours, grid, focus rings) and the components the pages use (COMPONENTS);
- the icon classes the pages use (ICONS) and the SVG files any kept rule points to;
- Marianne Regular and Bold in WOFF2 (every browser the app supports reads WOFF2; the WOFF fallbacks, the
  other weights and Spectral, unused, are dropped from the @font-face rules).
Relative URLs are rewritten for the flat layout ``dsfr.min.css``, ``fonts/``, ``icons/``.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "vendor" / "dsfr"
COMPONENTS = ["logo", "link", "button", "badge", "notice", "form", "input", "select", "search",
              "navigation", "header", "footer", "table", "card"]
ICONS = ["download-line", "search-line", "menu-fill", "close-line", "arrow-right-line", "map-pin-2-line",
         "printer-line", "information-line"]
_URL = re.compile(r"url\((?:\.\./)+(fonts|icons)/([^)]+)\)")


def _css(dist: Path, relative: str) -> str:
    return (dist / relative).read_text(encoding="utf-8").split("/*# sourceMappingURL")[0]


# Marianne Regular and Bold only (≈ 58 kB each, fetched on first use): the browser draws the 300/500 weights
# with the nearest face and italics by slanting, which keeps a first visit ≈ 230 kB lighter.
FONT_FACES = ("Marianne-Regular.woff2", "Marianne-Bold.woff2")


def _fonts(css: str) -> str:
    css = re.sub(r"@font-face\{[^}]*\}",
                 lambda m: m.group(0) if any(f in m.group(0) for f in FONT_FACES) else "", css)
    return re.sub(r',url\([^)]*\.woff\) format\("woff"\)', "", css)


def _icon_rules(dist: Path) -> str:
    icons = _css(dist, "utility/icons/icons.main.min.css")
    rules = []
    for name in ICONS:
        match = re.search(r"\.fr-icon-%s:after,\.fr-icon-%s:before\{[^}]*\}" % (name, name), icons)
        if not match:
            raise SystemExit(f"icône introuvable dans le DSFR : {name}")
        rules.append(match.group(0))
    return "".join(rules)


# French text only: Basic Latin, Latin-1 (accents, « »), Œ œ Ÿ, – — ‘ ’ “ ” …, the narrow no-break space, €, →, −,
# ≤ ≥ — a third of each Marianne file, which every page loads (the first-load budgets, bench/weight.py).
FONT_UNICODES = ("U+0020-007E,U+00A0-00FF,U+0152-0153,U+0178,U+2013-2014,U+2018-2019,U+201C-201D,U+2026,U+202F,"
                 "U+20AC,U+2192,U+2212,U+2264-2265")


def _subset_font(source: Path, target: Path) -> None:
    from fontTools import subset     # a dependency of fpdf2, already pinned

    subset.main([str(source), f"--unicodes={FONT_UNICODES}", "--layout-features=kern,liga", "--flavor=woff2",
                 f"--output-file={target}"])


def build(package: Path) -> Path:
    dist = package / "dist"
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    parts = [_fonts(_css(dist, "core/core.main.min.css"))]
    parts += [_css(dist, f"component/{name}/{name}.main.min.css") for name in COMPONENTS]
    parts.append(_icon_rules(dist))
    css = "".join(parts)
    if TARGET.exists():
        shutil.rmtree(TARGET)
    (TARGET / "fonts").mkdir(parents=True)
    for kind, name in sorted(set(_URL.findall(css))):
        source = dist / kind / name
        if kind == "fonts" and not name.endswith(".woff2"):
            continue
        (TARGET / kind / name).parent.mkdir(parents=True, exist_ok=True)
        if kind == "fonts":
            _subset_font(source, TARGET / kind / name)
        else:
            shutil.copyfile(source, TARGET / kind / name)
    css = _URL.sub(lambda m: f"url({m.group(1)}/{m.group(2)})", css)
    header = f"/*! DSFR v{version} (@gouvfr/dsfr), sous-ensemble : scripts/vendor_dsfr.py | Licence Etalab 2.0 */\n"
    (TARGET / "dsfr.min.css").write_text(header + css, encoding="utf-8")
    shutil.copyfile(package / "LICENSE.md", TARGET / "LICENSE.md")
    (TARGET / "VERSION").write_text(version + "\n", encoding="utf-8")
    return TARGET


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "node_modules" / "@gouvfr" / "dsfr"
    print(build(where))
