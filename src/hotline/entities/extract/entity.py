"""The result type of extraction: one identifier found at one place in a text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    """Kinds of identifier; the canonical value is unique within a kind."""

    URL = "url"
    HANDLE = "handle"
    PHONE = "phone"
    EMAIL = "email"
    BTC = "btc"
    ETH = "eth"
    TRON = "tron"
    PAYMENT_ACCOUNT = "payment_account"


class Flag(StrEnum):
    """Something an analyst should know about a found identifier."""

    # A labelled payment account whose digit count is not the provider's: an offender's typo or
    # an account format not known here. Still evidence, still links reports, but worth a look.
    UNUSUAL_LENGTH = "unusual_length"


@dataclass(frozen=True, slots=True)
class Entity:
    """An identifier found in a text.

    `start`/`end` index the ORIGINAL input (before digit, width and zero-width normalisation),
    so `text[start:end]` is what the reporter wrote. `value` is the canonical form: two mentions
    of the same account, link or wallet have equal (type, value). `flags` (see Flag) follow from
    the value alone, so every mention of one identifier carries the same flags.
    """

    type: EntityType
    value: str
    platform: str | None
    start: int
    end: int
    flags: tuple[str, ...] = ()

    def as_dict(self, source: str | None = None) -> dict[str, object]:
        """Return a JSON-ready dict; with `source`, include the original text of the span."""
        data: dict[str, object] = {
            "type": str(self.type),
            "value": self.value,
            "platform": self.platform,
            "start": self.start,
            "end": self.end,
            "flags": list(self.flags),
        }
        if source is not None:
            data["text"] = source[self.start : self.end]
        return data


def words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of a literal (for keyword tables)."""
    return frozenset(text.split())


# Khmer spellings typed differently but shown the same: "ុី" (u + ii) for "៊ី" (triisap + ii),
# and subscript "្ដ" (da) for "្ត" (ta) look identical in most fonts and both are typed.
_KHMER_LOOKALIKES = (("\u17ca\u17b8", "\u17bb\u17b8"), ("\u17d2\u178a", "\u17d2\u178f"))


def khmer_spellings(table: dict[str, str]) -> dict[str, str]:
    """Return a keyword table with each Khmer keyword's look-alike typings added."""
    out = dict(table)
    for keyword, meaning in table.items():
        variants = {keyword}
        for one, other in _KHMER_LOOKALIKES:
            variants |= {v.replace(one, other) for v in variants}
            variants |= {v.replace(other, one) for v in variants}
        for variant in variants:
            out.setdefault(variant, meaning)
    return out


def keyword_pattern(keywords: list[str]) -> str:
    """Return a regex alternation matching `keywords` (ASCII ones case-insensitively).

    Every branch starts with a literal character so the regex engine can skip ahead to candidate
    positions in C instead of trying the whole alternation at every position; callers check word
    boundaries themselves (see `is_word_start`).
    """
    branches: list[str] = []
    for keyword in sorted(keywords, key=len, reverse=True):
        escaped = re.escape(keyword[1:]).replace("\\ ", " ")
        if keyword.isascii() and keyword[0].isalpha():
            rest = "(?i:" + escaped + ")" if escaped else ""
            branches += [keyword[0].lower() + rest, keyword[0].upper() + rest]
        else:
            branches.append(re.escape(keyword))
    return "|".join(branches)


def is_word_start(text: str, start: int, end: int) -> bool:
    """Tell whether an ASCII keyword at text[start:end] stands alone (not inside a longer word)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    word_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
    return before not in word_chars and (after not in word_chars or not text[end - 1].isascii())
