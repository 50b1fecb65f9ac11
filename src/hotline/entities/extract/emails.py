"""E-mail addresses: written normally, written in words, or named by a Gmail label.

"bad.actor@example.org" is found by its "@". Reporters also copy addresses the way offenders
write them to dodge filters — "sokha99 at yahoo dot com", "bad_boy_kh (at) hotmail (dot) com" —
and name Gmail accounts by their user name ("gmail របស់គាត់: rotha.kh77"). Those are addresses
too, but "at" and "dot" are ordinary words, so a written-out address needs a sign that an address
is meant: an e-mail word just before it, brackets around "at"/"dot", or a well-known mail
provider as its domain. Every pattern is bounded or possessive and anchored on a literal, so
each scan is linear (see docs/decisions/entities-extraction.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hotline.entities.extract.entity import (
    is_word_start,
    keyword_pattern,
    khmer_spellings,
    words,
)

_EMAIL_LOCAL_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
_EMAIL_DOMAIN_RE = re.compile(r"[A-Za-z0-9\-]++(?:\.[A-Za-z0-9\-]++)++")
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9%+\-_]+(?:\.[A-Za-z0-9%+\-_]+)*")
_EMAIL_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")


def email_canonical(candidate: str) -> str | None:
    """Return the lower-case address when it is a plausible e-mail address."""
    local, _, domain = candidate.rpartition("@")
    domain = domain.rstrip(".-")
    labels = domain.split(".")
    if not _EMAIL_LOCAL_RE.fullmatch(local) or len(local) > 64 or len(labels) < 2:
        return None
    if not all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels):
        return None
    if not labels[-1].isalpha() or len(labels[-1]) < 2:
        return None
    return (local + "@" + domain).lower()


def iter_emails(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, address) of e-mail addresses, anchored on each "@"."""
    at = text.find("@")
    while at != -1:
        start = at
        # The local part is at most 64 characters; a longer run cannot be an address.
        while start > 0 and at - start <= 64 and text[start - 1] in _EMAIL_LOCAL_CHARS:
            start -= 1
        domain = _EMAIL_DOMAIN_RE.match(text, at + 1)
        if start < at and at - start <= 64 and domain is not None:
            value = email_canonical(text[start : domain.end()])
            if value is not None:
                end = start + len(value)
                yield start, end, value
                at = text.find("@", end)
                continue
        at = text.find("@", at + 1)


# --- written in words -----------------------------------------------------------------------

_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
# "(at)", "[at]", "{ at }" or " at " between spaces; anchored on the bracket or the space.
_AT_WORD_RE = re.compile(
    _OPEN + r"[ \t]{0,2}+[aA][tT][ \t]{0,2}+" + _CLOSE + r"|[ \t][aA][tT][ \t]"
)
_DOT_WORD = (
    r"(?:[ \t]{0,3}+" + _OPEN + r"[ \t]{0,2}+(?i:dot)[ \t]{0,2}+" + _CLOSE + r"[ \t]{0,3}+"
    r"|[ \t]{1,3}+(?i:dot)[ \t]{1,3}+|\.)"
)
_DOT_WORD_RE = re.compile(_DOT_WORD)
_OPEN_RE = re.compile(_OPEN)
_LABEL = r"[A-Za-z0-9][A-Za-z0-9\-]{0,62}+"
_WORDED_DOMAIN_RE = re.compile(_LABEL + "(?:" + _DOT_WORD + _LABEL + "){1,4}+")
_SPACES_RE = re.compile(r"[ \t]{0,3}+")

_EMAIL_WORDS = khmer_spellings(
    {word: "email" for word in ("email", "e-mail", "mail", "gmail", "អ៊ីមែល", "អ៊ីម៉ែល")}
)
_EMAIL_WORD_RE = re.compile(keyword_pattern(list(_EMAIL_WORDS)))
_CUE_WINDOW = 40
# Providers whose name makes "x at gmail dot com" an address even without an e-mail word.
_MAIL_PROVIDERS = words(
    """gmail googlemail yahoo ymail hotmail outlook live msn icloud proton protonmail aol gmx
    yandex zoho mail"""
)
# Words that stand before "at" in ordinary sentences ("he is at school dot com").
_NOT_LOCAL = words(
    """the a an he she him her his my me i you your we our they them it its this that there here
    is are was were be been am look looked meet met stay stayed arrive arrived home work school
    and or but not email mail"""
)


def _email_word_before(text: str, start: int) -> bool:
    """Tell whether an e-mail word stands shortly before `start` on the same line."""
    low = max(0, start - _CUE_WINDOW)
    low = text.rfind("\n", low, start) + 1 or low
    return any(
        is_word_start(text, *word.span()) for word in _EMAIL_WORD_RE.finditer(text, low, start)
    )


def iter_worded_emails(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, address) of addresses written with "at"/"dot" in words."""
    for at in _AT_WORD_RE.finditer(text):
        bracketed = text[at.start()] != " " and text[at.start()] != "\t"
        # The local part: up to 64 address characters before the separator (and its spaces).
        end_local = at.start()
        while end_local > 0 and at.start() - end_local < 3 and text[end_local - 1] in " \t":
            end_local -= 1
        start = end_local
        while start > 0 and end_local - start <= 64 and text[start - 1] in _EMAIL_LOCAL_CHARS:
            start -= 1
        local = text[start:end_local].strip(".")
        if len(local) < 3 or local.lower() in _NOT_LOCAL or end_local - start > 64:
            continue
        if start and (text[start - 1].isalnum() or text[start - 1] in "@/"):
            continue  # part of a longer token
        spaces = _SPACES_RE.match(text, at.end())
        domain = _WORDED_DOMAIN_RE.match(text, spaces.end() if spaces else at.end())
        if domain is None:
            continue
        labels = _DOT_WORD_RE.split(domain.group())
        value = email_canonical(local + "@" + ".".join(labels))
        if value is None:
            continue
        written = bracketed or _OPEN_RE.search(domain.group()) is not None
        if not (written or labels[0].lower() in _MAIL_PROVIDERS or _email_word_before(text, start)):
            continue
        yield start + (text[start:end_local].find(local)), domain.end(), value


# --- "gmail: name" ---------------------------------------------------------------------------

# "gmail: name", "Gmail account = name", "gmail របស់គាត់: name" ("his gmail"), "gmail is name".
_GMAIL_LABEL_RE = re.compile(
    "(?:"
    + keyword_pattern(["gmail"])
    + r")(?:[ \t]*+(?:របស់[\u1780-\u17d3]{0,12}+|(?i:account|address|acc|id)))?+"
    + r"(?:[ \t]*+([:=៖])|[ \t]*+គឺ|[ \t]++(?i:is)(?=[ \t]))[ \t]*+"
    + r"([A-Za-z0-9][A-Za-z0-9.]{0,40}+)"
)


def iter_gmail_labelled(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, address) of Gmail user names given after a "gmail" label.

    A Gmail user name is 6 to 30 letters, digits and dots; after a word cue ("is", "គឺ") it must
    hold a digit or a dot too, so "gmail is blocked" is no address.
    """
    for match in _GMAIL_LABEL_RE.finditer(text):
        if not is_word_start(text, match.start(), match.start() + 5):
            continue
        start = match.start(2)
        name = match.group(2).rstrip(".")
        end = start + len(name)
        after = text[end] if end < len(text) else " "
        if after in "@_-+" or ".." in name or not 6 <= len(name) <= 30:
            continue
        if name.lower() in _NOT_LOCAL:
            continue
        if match.group(1) is None and not any(c.isdigit() or c == "." for c in name):
            continue
        display = name[:1].isupper() and name[1:].islower()
        if display and text[end : end + 1] == " " and text[end + 1 : end + 2].isupper():
            continue  # a display name: "Gmail: Sokdara Phan"
        yield start, end, name.lower() + "@gmail.com"
