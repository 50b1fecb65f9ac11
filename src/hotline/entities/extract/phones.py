"""Find phone numbers: a linear candidate scan, then `phonenumbers` decides.

A candidate is a run of digit groups joined by single separators. Only runs written the way people
write phone numbers count: an international "+" or "00", a national trunk "0", or the Cambodian
country code 855. A run may hold several numbers ("012 345 678 / 097 765 4321"), so groups are
split greedily into the longest prefixes that parse as valid numbers. A random ten-digit number is
not a phone number unless it parses as a valid one for its region.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers

# Groups of digits joined by one separator (space, dot, hyphen, slash-free); "(0)" and "(012)"
# allowed. Possessive everywhere: no backtracking, linear time.
PHONE_RUN_RE = re.compile(
    r"[+(0-9](?<![A-Za-z0-9_+\-.@#].)(?:(?<=[0-9])[0-9]*+|[0-9]++)\)?+"
    r"(?:(?:[ ]?\(|\) ?+|[ .\-])?+[0-9]++\)?+)*+"
)
_GROUP_RE = re.compile(r"\+?\(?[0-9]+\)?")

MIN_DIGITS = 8
MAX_DIGITS = 15


@lru_cache(maxsize=65536)
def parse_phone(candidate: str, region: str) -> str | None:
    """Return the E.164 form of a candidate when it is a valid number, else None."""
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _digits(text: str) -> str:
    return "".join(char for char in text if "0" <= char <= "9")


def phone_from_text(candidate: str, region: str) -> str | None:
    """Return E.164 for a candidate written as a phone number would be, else None."""
    stripped = candidate.strip()
    digits = _digits(stripped)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    if stripped.startswith("+") or digits.startswith("00"):
        international = "+" + (digits[2:] if not stripped.startswith("+") else digits)
        return parse_phone(international, region)
    if digits.startswith("855") and len(digits) >= 11:
        return parse_phone("+" + digits, region)
    if digits.startswith("0"):
        return parse_phone(digits, region)
    return None


def iter_phones(text: str, region: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, E.164) for every valid phone number in normalised text."""
    for run in PHONE_RUN_RE.finditer(text):
        if run.end() - run.start() < MIN_DIGITS:
            continue
        groups = [
            (m.start() + run.start(), m.end() + run.start())
            for m in _GROUP_RE.finditer(run.group())
        ]
        yield from _split_run(text, groups, region)


def _split_run(
    text: str, groups: list[tuple[int, int]], region: str
) -> Iterator[tuple[int, int, str]]:
    index = 0
    while index < len(groups):
        best: tuple[int, str] | None = None
        digits = 0
        # Try the longest prefix of groups first, bounded by the longest possible number.
        ends = []
        for last in range(index, len(groups)):
            digits += sum(1 for c in text[groups[last][0] : groups[last][1]] if c.isdigit())
            if digits > MAX_DIGITS:
                break
            if digits >= MIN_DIGITS:
                ends.append(last)
        for last in reversed(ends):
            start, end = groups[index][0], groups[last][1]
            value = phone_from_text(text[start:end], region)
            if value is not None:
                best = (last, value)
                break
        if best is None:
            index += 1
            continue
        last, value = best
        start, end = groups[index][0], groups[last][1]
        if text[start] == "(" and ")" not in text[start:end]:
            start += 1
        if text[end - 1] == ")" and "(" not in text[start:end]:
            end -= 1
        yield start, end, value
        index = last + 1
