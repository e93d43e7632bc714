"""Regenerate the PDF fonts in assets/fonts/ (DejaVu Sans 2.37, subset to French text).

Input: the DejaVu Sans TTF files (Debian package fonts-dejavu-core 2.37, or the upstream release
https://dejavu-fonts.github.io/). Output: small subsets committed in assets/fonts/ so that the PDF
never depends on the system's fonts. Uses fontTools (a dependency of fpdf2, already pinned).

    python scripts/subset_fonts.py /usr/share/fonts/truetype/dejavu
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

OUT = Path(__file__).resolve().parent.parent / "assets" / "fonts"
# Basic Latin, Latin-1, Latin Extended-A (œ, Œ…), general punctuation (’ – — … narrow NBSP), €, arrows, ≤ ≥ −, ▲▼●
UNICODES = "U+0020-007E,U+00A0-017F,U+2010-2027,U+202F,U+2030-2044,U+20AC,U+2190-2193,U+2212,U+2264,U+2265,U+25A0-25CF"


def main(src: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("DejaVuSans", "DejaVuSans-Bold"):
        subset.main([str(Path(src) / f"{name}.ttf"), f"--unicodes={UNICODES}", "--layout-features=*",
                     f"--output-file={OUT / (name + '-subset.ttf')}"])
        print(OUT / f"{name}-subset.ttf")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu")
