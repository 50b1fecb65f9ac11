"""Make the Khmer web font OpenHotline serves: Noto Sans Khmer subset to Khmer, as WOFF2.

Usage (dev extra installed; fontTools and brotli are tools of this script only, not of
OpenHotline at run time):

    apt-get download fonts-noto-core && dpkg-deb -x fonts-noto-core_*.deb /tmp/noto
    .venv/bin/python scripts/khmer_font.py \
        /tmp/noto/usr/share/fonts/truetype/noto/NotoSansKhmer-Regular.ttf

It keeps the whole Khmer and Khmer Symbols blocks (a reporter types any Khmer word, not only
those of our pages), the zero-width characters Khmer text uses, the dotted circle a shaper
shows under a lone vowel sign, and every OpenType layout feature (Khmer needs its reordering and
stacking rules); it stops if a character of the Khmer translations is missing. The result, and the
font's licence beside it, are committed in src/hotline/static/core/fonts/; site.css declares
it with the same Unicode ranges (docs/decisions/khmer-font.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src/hotline/static/core/fonts/noto-sans-khmer.woff2"
CATALOG = ROOT / "src/hotline/locale/km/LC_MESSAGES/django.po"
# Kept in step with the unicode-range of the @font-face rule in static/core/site.css.
RANGES = [(0x1780, 0x17FF), (0x19E0, 0x19FF), (0x200B, 0x200D), (0x25CC, 0x25CC)]
# Also kept, though browsers never take them from this face (site.css's unicode-range leaves
# them out): the space and no-break space. PDFs (hotline.core.pdf, WeasyPrint) draw the spaces
# between Khmer words with the Khmer run's font; without them every space was the empty glyph.
SPACES = [(0x20, 0x20), (0xA0, 0xA0)]


def in_ranges(codepoint: int) -> bool:
    """Return whether the face declared in site.css is used for this character."""
    return any(low <= codepoint <= high for low, high in RANGES)


def catalog_characters() -> set[int]:
    """Return the characters of the Khmer translations that the face is declared for."""
    return {ord(char) for char in CATALOG.read_text() if in_ranges(ord(char))}


def main(source: str) -> None:
    codepoints = {cp for low, high in RANGES + SPACES for cp in range(low, high + 1)}
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # phones scale outlines themselves; hints only add bytes
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    missing = catalog_characters() - set(font.getBestCmap())
    if missing:
        sys.exit(f"{source} lacks characters of the translations: {sorted(map(hex, missing))}")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(OUTPUT), options)
    sys.stdout.write(f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size} bytes\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
