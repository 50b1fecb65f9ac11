"""The Khmer web font we serve: declared local() first, for Khmer only, and covering Khmer."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path

from django.conf import settings
from fontTools.ttLib import TTFont

STATIC = Path(settings.BASE_DIR) / "static/core"
ROOT = Path(settings.BASE_DIR).parents[1]


def font_face() -> str:
    css = (STATIC / "site.css").read_text()
    faces = re.findall(r"@font-face\s*\{(.*?)\}", css, flags=re.S)
    assert len(faces) == 1, faces
    return faces[0]


def subset_script_ranges() -> list[tuple[int, int]]:
    spec = importlib.util.spec_from_file_location("khmer_font", ROOT / "scripts/khmer_font.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.RANGES)


def test_font_face_lists_local_fonts_before_our_file() -> None:
    src = re.search(r"src:\s*(.*?);", font_face(), flags=re.S)
    assert src
    sources = [part.strip() for part in re.split(r",\s*(?=local|url)", src.group(1))]
    kinds = [part.split("(")[0] for part in sources]
    assert kinds[-1] == "url", sources
    assert set(kinds[:-1]) == {"local"}, sources
    assert sources[-1] == 'url("fonts/noto-sans-khmer.woff2") format("woff2")'
    assert 'local("NotoSansKhmer-Regular")' in sources
    assert "font-display: swap" in font_face()


def test_font_face_covers_exactly_the_ranges_the_font_was_subset_to() -> None:
    declared = re.search(r"unicode-range:\s*([^;]+);", font_face())
    assert declared
    ranges = []
    for item in declared.group(1).split(","):
        low, _, high = item.strip().removeprefix("U+").partition("-")
        ranges.append((int(low, 16), int(high or low, 16)))
    assert ranges == subset_script_ranges()


def test_served_font_has_every_khmer_character_and_those_of_the_translations() -> None:
    cmap = set(TTFont(STATIC / "fonts/noto-sans-khmer.woff2").getBestCmap())
    assigned = {
        code
        for low, high in subset_script_ranges()
        for code in range(low, high + 1)
        if unicodedata.category(chr(code)) != "Cn"
    }
    catalog = (Path(settings.BASE_DIR) / "locale/km/LC_MESSAGES/django.po").read_text()
    used = {ord(char) for char in catalog if 0x1780 <= ord(char) <= 0x19FF}
    assert used, "the Khmer catalog has no Khmer text"
    assert used <= cmap
    assert assigned - cmap == set(), sorted(map(hex, assigned - cmap))


def test_font_licence_sits_beside_the_font() -> None:
    licence = (STATIC / "fonts/OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Noto Sans Khmer" in licence
