"""Fold the ways people (and evasive offenders) write the same characters into one form.

Khmer and other script digits become ASCII digits, full-width and "mathematical" letters become
ASCII, odd spaces become spaces and zero-width/bidi characters disappear. Every change is one
character to one character or a deletion, so a position in the normalised text maps back to the
original with a short list of deletion points (bisect), not a per-character array.

Homoglyphs from other scripts (Cyrillic U+0430 for Latin "a") are NOT folded: a lookalike
domain is a different domain, and IDNA turns it into its own punycode name.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

# Characters removed outright: zero-width spaces/joiners, word joiner, BOM, soft hyphen, bidi
# controls. Chat apps and evasive posters insert them inside links to dodge filters.
_DELETED = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff"
)

# Blocks scanned for characters whose compatibility form (NFKC) is exactly one ASCII character:
# Latin-1 (no-break space), general punctuation (odd spaces), letterlike symbols, enclosed
# alphanumerics, CJK symbols (ideographic space), full-width forms, mathematical alphanumerics.
_NFKC_BLOCKS = (
    (0x00A0, 0x00FF),
    (0x2000, 0x206F),
    (0x2100, 0x214F),
    (0x2460, 0x24FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
    (0x1D400, 0x1D7FF),
    (0x1F100, 0x1F1FF),
)

# Script digits seen in the region's text (Khmer first; Thai, Lao, Myanmar, Arabic-Indic and
# Devanagari for pasted text). Only these, not every Unicode Nd digit, to keep the table small.
_DIGIT_ZEROS = (0x17E0, 0x0E50, 0x0ED0, 0x1040, 0x0660, 0x06F0, 0x0966)

# Ideographic full stops used as dots in "t。me/..." evasion.
_EXTRA = {0x3002: ".", 0xFF61: ".", 0xFE52: "."}


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in _NFKC_BLOCKS:
        for code in range(lo, hi + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded.isascii() and folded.isprintable():
                table[code] = folded
    for zero in _DIGIT_ZEROS:
        for digit in range(10):
            table[zero + digit] = str(digit)
    table.update({code: value for code, value in _EXTRA.items()})
    for char in _DELETED:
        table[ord(char)] = None
    return table


_TABLE = _build_table()
_DELETED_RE = re.compile("[" + re.escape(_DELETED) + "]")


def _char_class(codes: list[int]) -> str:
    """Return a regex character class for code points, merged into ranges."""
    parts: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code == previous + 1:
            previous = code
            continue
        parts.append(
            re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous > start else "")
        )
        start = previous = code
    return "[" + "".join(parts) + "]"


# Runs of characters the table may change: most text (Khmer words included) has none, so a C-level
# scan finds the few runs and only they are translated. Astral characters get a separate, coarse
# class (two ranges): a class mixing them with the BMP ones is several times slower to scan.
_CHANGED_RE = re.compile(_char_class([code for code in sorted(_TABLE) if code < 0x10000]) + "+")
_ASTRAL_RE = re.compile("[\U0001d400-\U0001d7ff\U0001f100-\U0001f1ff]+")


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and the map back to the original.

    `_shifts[j]` is the normalised position just after the j-th deletion; the original position of
    normalised index n is n plus the number of deletions whose shift point is <= n.
    """

    text: str
    original_length: int
    _shifts: list[int] = field(default_factory=list)

    def original_start(self, index: int) -> int:
        """Map a normalised start index to the original text."""
        return index + bisect.bisect_right(self._shifts, index)

    def original_end(self, index: int) -> int:
        """Map a normalised (exclusive) end index to the original text."""
        if index <= 0:
            return 0
        return self.original_start(index - 1) + 1


def _translate_run(match: re.Match[str]) -> str:
    return match.group().translate(_TABLE)


def normalize(text: str) -> Normalized:
    """Return `text` with digits, widths and invisible characters folded, plus a span map."""
    if text.isascii():
        return Normalized(text, len(text))
    folded = _ASTRAL_RE.sub(_translate_run, _CHANGED_RE.sub(_translate_run, text))
    if len(folded) == len(text):
        return Normalized(folded, len(text))
    shifts = [match.start() - j for j, match in enumerate(_DELETED_RE.finditer(text))]
    return Normalized(folded, len(text), shifts)


def normalize_text(text: str) -> str:
    """Return only the normalised text (idempotent: normalising twice changes nothing more)."""
    return normalize(text).text
