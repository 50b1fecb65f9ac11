"""Identifiers that need their context: labelled payment accounts and platform handles.

"Wing 012 345 678", "ABA: 000 123 456", "MTCN 1234567890" are accounts only because of the label;
"@name" belongs to Telegram only when the text says Telegram nearby; "my FB is john.doe" is a
handle only after an explicit cue ("is", ":", "=", Khmer "៖"/"គឺ"). Labels are literal
alternations and every gap is possessive, so each scan is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hotline.entities.extract.entity import (
    EntityType,
    Flag,
    is_word_start,
    keyword_pattern,
    khmer_spellings,
    words,
)
from hotline.entities.extract.platforms import HANDLE_CANONICALISERS

# --- payment accounts -----------------------------------------------------------------------

_PAYMENT_LABELS: dict[str, str] = khmer_spellings(
    {
        "wing": "wing",
        "វីង": "wing",
        "aba": "aba",
        "អេប៊ីអេ": "aba",
        "acleda": "acleda",
        "អេស៊ីលីដា": "acleda",
        "អាស៊ីលីដា": "acleda",
        "western union": "western_union",
        "western_union": "western_union",
        "westernunion": "western_union",
        "វេស្ទើនយូនៀន": "western_union",
        "mtcn": "western_union",
        "វេស្ទើន យូនៀន": "western_union",
        "truemoney": "truemoney",
        "true money": "truemoney",
        "ទ្រូម៉ាន់នី": "truemoney",
        "ទ្រូម៉ានី": "truemoney",
        "ទ្រូ ម៉ាន់នី": "truemoney",
    }
)
# Digits an account number of each provider has (separators ignored).
_PAYMENT_DIGITS: dict[str, tuple[int, int]] = {
    "wing": (8, 10),
    "aba": (9, 9),
    "acleda": (10, 17),
    "western_union": (10, 10),
    "truemoney": (8, 10),
}
PAYMENT_LABEL_RE = re.compile(keyword_pattern(list(_PAYMENT_LABELS)))
# After the label: up to 40 characters on the same line, then a number written in groups.
_ACCOUNT_NUMBER_RE = re.compile(r"[0-9]++(?:[ \-.]?+[0-9]++)*+")
_WINDOW = 40


# A labelled number of another digit count is still kept (flagged "unusual length"): a typo of
# the offender's or an account format not listed above still links reports. Below 7 digits it is
# more likely an amount, a time or a PIN; above 20, something else altogether.
UNUSUAL_MIN_DIGITS = 7
UNUSUAL_MAX_DIGITS = 20
_DATE_RE = re.compile(
    r"[0-9]{4}[\-.][0-9]{1,2}[\-.][0-9]{1,2}|[0-9]{1,2}[\-.][0-9]{1,2}[\-.][0-9]{2,4}"
)
# A currency right after the number makes it an amount ("Wing 100 000 riel", "ABA 500000 USD").
_CURRENCY_AFTER_RE = re.compile(
    r"[ \t]?+(?:\$|៛|រៀល|ដុល្លារ|បាត|(?i:riels?|usd|khr|thb|dollars?|baht|bath|k)(?![A-Za-z]))"
)


@dataclass(frozen=True, slots=True)
class Account:
    """A labelled payment account found in text."""

    start: int
    end: int
    provider: str
    number: str
    unusual: bool = False  # digit count outside the provider's (see UNUSUAL_MIN_DIGITS)


def iter_payment_accounts(text: str) -> Iterator[Account]:
    """Yield labelled payment accounts (provider, digits) with their spans.

    A number of the provider's digit count is preferred (up to two numbers after the label are
    tried); failing that, the first number that is no date, amount or short number is kept as
    an account of unusual length.
    """
    for label in PAYMENT_LABEL_RE.finditer(text):
        if not is_word_start(text, label.start(), label.end()):
            continue
        provider = _PAYMENT_LABELS[label.group().lower()]
        low, high = _PAYMENT_DIGITS[provider]
        window_end = min(len(text), label.end() + _WINDOW)
        newline = text.find("\n", label.end(), window_end)
        if newline != -1:
            window_end = newline
        position = label.end()
        tries = 0
        unusual: Account | None = None
        found = False
        while position < window_end and tries < 2:
            match = _ACCOUNT_NUMBER_RE.search(text, position, window_end + 20)
            if match is None or match.start() >= window_end:
                break
            tries += 1
            before = text[match.start() - 1] if match.start() else " "
            end = _longest_fitting_prefix(text, match.start(), match.end(), low, high)
            after = text[end] if end < len(text) else " "
            # Khmer letters may touch the number (no spaces between Khmer words); Latin ones
            # mean it is part of some other token.
            if end and before not in _ASCII_WORD and after not in _ASCII_WORD:
                digits = "".join(c for c in text[match.start() : end] if c.isdigit())
                yield Account(match.start(), end, provider, digits)
                found = True
                break
            if unusual is None:
                unusual = _unusual_account(text, match.start(), match.end(), provider)
            position = match.end()
        if not found and unusual is not None:
            yield unusual


def entity_flags(kind: str, value: str) -> tuple[str, ...]:
    """Return the flags (Flag values) of a canonical identifier; they follow from it alone."""
    if kind != EntityType.PAYMENT_ACCOUNT:
        return ()
    provider, _, number = value.partition(":")
    digits = _PAYMENT_DIGITS.get(provider)
    if digits is None or digits[0] <= len(number) <= digits[1]:
        return ()
    return (Flag.UNUSUAL_LENGTH.value,)


def _unusual_account(text: str, start: int, end: int, provider: str) -> Account | None:
    """Return the number at text[start:end] as an account of unusual length, if it may be one."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before in _ASCII_WORD or before == "$" or after in _ASCII_WORD:
        return None
    number = text[start:end]
    digits = "".join(c for c in number if c.isdigit())
    if not UNUSUAL_MIN_DIGITS <= len(digits) <= UNUSUAL_MAX_DIGITS:
        return None
    if _DATE_RE.fullmatch(number) or _CURRENCY_AFTER_RE.match(text, end):
        return None
    groups = _DIGIT_RUN_RE.findall(number)
    if len(groups) > 1 and all(group == "000" for group in groups[1:]):
        return None  # a round amount written in thousands: "1 000 000", "100.000"
    return Account(start, end, provider, digits, unusual=True)


_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DIGIT_RUN_RE = re.compile(r"[0-9]++")


def _longest_fitting_prefix(text: str, start: int, end: int, low: int, high: int) -> int:
    """Return the end of the longest run of digit groups with low..high digits, or 0."""
    count = 0
    best = 0
    for group in _DIGIT_RUN_RE.finditer(text, start, end):
        count += group.end() - group.start()
        if count > high:
            break
        if count >= low:
            best = group.end()
    return best


# --- handles ----------------------------------------------------------------------------------

_PLATFORM_WORDS: dict[str, str] = khmer_spellings({
    "telegram": "telegram", "tg": "telegram", "tele": "telegram", "telegr": "telegram",
    "តេឡេក្រាម": "telegram", "តេលេក្រាម": "telegram", "ថេឡេក្រាម": "telegram", "តេលេ": "telegram",
    "facebook": "facebook", "fb": "facebook", "messenger": "facebook",
    "ហ្វេសប៊ុក": "facebook", "ហ្វេសបុក": "facebook", "ហ្វេស": "facebook",
    "instagram": "instagram", "insta": "instagram", "ig": "instagram",
    "អ៊ីនស្តាក្រាម": "instagram", "អ៊ីនស្ដាក្រាម": "instagram",
    "tiktok": "tiktok", "tik tok": "tiktok", "ធីកតុក": "tiktok", "តិកតុក": "tiktok",
    "twitter": "twitter",
})  # fmt: skip
_WORDS_ALT = keyword_pattern(list(_PLATFORM_WORDS))
PLATFORM_WORD_RE = re.compile(_WORDS_ALT)

# "@" first: the engine jumps from "@" to "@"; the character before is checked by a lookbehind.
AT_HANDLE_RE = re.compile(r"@(?<![A-Za-z0-9_.@/\\]@)[A-Za-z0-9_][A-Za-z0-9_.]*+")

# "Telegram: name", "my FB is john.doe", "IG account = name", "តេឡេក្រាម៖ name".
_NOUNS = r"(?:account|acc|page|profile|name|username|user|id|handle|channel|group|link|ឈ្មោះ|គណនី)"
LABELLED_HANDLE_RE = re.compile(
    "(?:"
    + _WORDS_ALT
    + ")"
    + r"(?:[ \t]++(?i:"
    + _NOUNS
    + r"))?+"
    + r"(?:[ \t]*+(?::|=|៖|គឺ)|[ \t]++(?:[\-\u2013]|(?i:is))(?=[ \t]))[ \t]*+@?+"
    + r"([A-Za-z0-9_][A-Za-z0-9_.]*+)"
)

_STOPWORDS = words(
    """the a an he she him her his my me i you your we our they them it its this that there here
    and or but not no yes is are was were be been very also just only same still now then when
    where what who why how account profile page group channel link name username user id
    deleted blocked private fake real new old closed gone unknown"""
)

_CONTEXT_BEFORE = 60
_CONTEXT_AFTER = 30


@dataclass(frozen=True, slots=True)
class Handle:
    """A handle found in text, with its platform when the context names one."""

    start: int
    end: int
    value: str
    platform: str | None


def _platform_near(text: str, start: int, end: int) -> str | None:
    """Return the platform named closest to a handle on the same line, if any."""
    line_start = text.rfind("\n", max(0, start - _CONTEXT_BEFORE), start) + 1
    low = max(line_start, start - _CONTEXT_BEFORE)
    best: tuple[int, str] | None = None
    for word in PLATFORM_WORD_RE.finditer(text, low, start):
        if is_word_start(text, *word.span()):
            best = (start - word.end(), _PLATFORM_WORDS[word.group().lower()])
    high = min(len(text), end + _CONTEXT_AFTER)
    newline = text.find("\n", end, high)
    for word in PLATFORM_WORD_RE.finditer(text, end, newline if newline != -1 else high):
        if is_word_start(text, *word.span()):
            if best is None or word.start() - end < best[0]:
                best = (word.start() - end, _PLATFORM_WORDS[word.group().lower()])
            break
    return best[1] if best else None


def canonical_handle(name: str, platform: str | None) -> tuple[str, str | None]:
    """Return (canonical value, platform) for a handle; unknown platforms keep "@name"."""
    if platform is not None:
        canonicaliser = HANDLE_CANONICALISERS.get(platform)
        value = canonicaliser(name) if canonicaliser else None
        if value is not None:
            return value, platform
    return "@" + name.lower(), None


def _looks_like_display_name(text: str, start: int, end: int, name: str) -> bool:
    """Tell "FB: Sok Dara" (a display name) from "FB: sokdara99" (a username)."""
    if not name[:1].isupper() or (not name[1:].islower() and not name[1:].isalpha()):
        return False
    rest = text[end : end + 3]
    return len(rest) >= 2 and rest[0] == " " and rest[1].isupper()


def iter_labelled_handles(text: str) -> Iterator[Handle]:
    """Yield handles introduced by a platform word and a cue ("my FB is john.doe")."""
    for match in LABELLED_HANDLE_RE.finditer(text):
        start, end = match.span(1)
        name = match.group(1).rstrip(".")
        end = start + len(name)
        if len(name) < 3 or name.lower() in _STOPWORDS:
            continue
        if _looks_like_display_name(text, start, end, name):
            continue
        word = PLATFORM_WORD_RE.match(text, match.start())
        if word is None or not is_word_start(text, *word.span()):
            continue
        platform = _PLATFORM_WORDS[word.group().lower()]
        value, resolved = canonical_handle(name, platform)
        if resolved is None:
            continue  # the cue named a platform but this is not a valid account name there
        yield Handle(start - (1 if text[start - 1] == "@" else 0), end, value, resolved)


def iter_at_handles(text: str) -> Iterator[Handle]:
    """Yield "@name" handles; the platform comes from nearby words."""
    for match in AT_HANDLE_RE.finditer(text):
        name = match.group()[1:].rstrip(".")
        if len(name) < 3 or not any(c.isalpha() for c in name):
            continue
        end = match.start() + 1 + len(name)
        platform = _platform_near(text, match.start(), end)
        value, resolved = canonical_handle(name, platform)
        yield Handle(match.start(), end, value, resolved)


# --- account names that look like domains -------------------------------------------------------

# "add Line ID: sokha.th", "username: dara.me", "IG: sok.dara.vn": a dotted name right after an
# account label is that account's name, even when its last part is a top-level domain. Messaging
# apps without a canonical form here are labels too (their IDs often contain dots).
_ACCOUNT_LABELS = [
    *_PLATFORM_WORDS,
    *words(
        """line viber wechat zalo signal skype snapchat discord kakaotalk imo whatsapp username
        user login account acc handle"""
    ),
    "user name", "user id", "ឈ្មោះ", "គណនី", "ឈ្មោះគណនី",
]  # fmt: skip
# A label and a cue, or "ID" with or without one, then nothing but spaces up to the name.
_ACCOUNT_LABEL_BEFORE_RE = re.compile(
    "(?:("
    + keyword_pattern(_ACCOUNT_LABELS)
    + r")[ \t]*+(?:[:=៖]|គឺ|[ \t](?i:is))|((?i:id))(?:[ \t]*+(?:[:=៖]|គឺ))?+)[ \t]*+\Z"
)
_LABEL_WINDOW = 40


def follows_account_label(text: str, start: int, end: int) -> bool:
    """Tell whether a scheme-less domain at text[start:end] is an account name after a label.

    Only a bare name: a link with a path, a query or "www." stays a link whatever precedes it.
    """
    name = text[start:end]
    if any(c in name for c in "/?#:") or name[:4].lower() == "www.":
        return False
    low = max(0, start - _LABEL_WINDOW)
    low = text.rfind("\n", low, start) + 1 or low
    for match in _ACCOUNT_LABEL_BEFORE_RE.finditer(text, low, start):
        group = 1 if match.group(1) is not None else 2
        if is_word_start(text, match.start(group), match.end(group)):
            return True
    return False
