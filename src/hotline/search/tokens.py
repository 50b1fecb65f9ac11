"""Turn text into search terms, the same way for a report and for a query (pure Python).

A term is a short string with a prefix naming its kind:
- `w:<word>` a word of a space-separated script (English...): NFKC, case-folded, punctuation
  dropped, one-letter words and a few English stop words left out;
- `k:<three characters>` a character trigram of a run of Khmer letters. Khmer is written without
  spaces between words (a zero-width space now and then, not reliably), so words are not found
  by splitting; a dictionary segmenter would have to cut the query and the report the same way,
  and it does not when the context differs. Trigrams of the run (zero-width characters removed)
  match a Khmer word of three or more letters wherever it is written, whatever surrounds it;
- `e:<type>:<canonical value>` an identifier (link, handle, phone number, e-mail, wallet,
  payment account) in its canonical form (hotline.entities.extract), so "012 345 678" finds
  "+855 12 345 678".
See docs/decisions/search.md. Terms never leave the process in clear: hotline.search.keys
digests them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from hotline.entities.extract import extract_entities, normalize_text

# Khmer letters, vowel signs and marks (U+1780-U+17D3), and two signs after the punctuation
# (U+17DC, U+17DD). Khmer punctuation (khan and others, U+17D4-U+17DA) separates runs; Khmer
# digits are folded to ASCII digits before (normalize_text).
_KHMER = "\u1780-\u17d3\u17dc\u17dd"
_KHMER_RUN_RE = re.compile(f"[{_KHMER}]+")
_WORD_RE = re.compile(rf"[^\W_{_KHMER}]+")
_TRIGRAM = 3
# Longer words are cut to this length on both sides (a report's 5,000-letter "word" is noise).
MAX_WORD = 64
# A query's limits: beyond them the query is refused with a message, not cut silently.
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 40

# Words too frequent to narrow a search; kept short on purpose (a word left out of the index
# can never be found, so only the emptiest are here).
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "with",
        "you",
        "your",
    }
)


class QueryError(ValueError):
    """A search query that cannot be used; the message says why, in words for staff."""


def _clean(text: str) -> str:
    # normalize_text folds digits (Khmer, Arabic-Indic...), full widths and removes zero-width
    # characters, the same way entity extraction sees the text. Then compatibility forms,
    # case, and what remains of format characters (removed: a zero-width joiner inside a Khmer
    # word must not split it) and control characters (spaces: they separate).
    text = unicodedata.normalize("NFKC", normalize_text(text)).casefold()
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        out.append(" " if category[0] in "CZ" else char)
    return "".join(out)


def _khmer_terms(run: str) -> list[str]:
    if len(run) < _TRIGRAM:
        return []
    return ["k:" + run[i : i + _TRIGRAM] for i in range(len(run) - _TRIGRAM + 1)]


def _word_terms(text: str) -> list[str]:
    terms = []
    for word in _WORD_RE.findall(text):
        if len(word) < 2 or word in STOP_WORDS:
            continue
        terms.append("w:" + word[:MAX_WORD])
    return terms


def _text_terms(text: str) -> list[str]:
    clean = _clean(text)
    terms = _word_terms(_KHMER_RUN_RE.sub(" ", clean))
    for run in _KHMER_RUN_RE.findall(clean):
        terms.extend(_khmer_terms(run))
    return terms


def _entity_terms(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    found = extract_entities(text)
    return [f"e:{e.type}:{e.value}" for e in found], [(e.start, e.end) for e in found]


def document_terms(texts: Iterable[str]) -> set[str]:
    """Return the distinct terms of a report's texts.

    Identifiers are indexed twice: in canonical form, and as the words they are written with
    (so a part of a link or a number, "facebook" or "345", finds the report too).
    """
    terms: set[str] = set()
    for text in texts:
        if not text:
            continue
        terms.update(_text_terms(text))
        terms.update(_entity_terms(text)[0])
    return terms


def query_terms(text: str) -> list[str]:
    """Return a query's distinct terms, in order; raise QueryError if it cannot be searched.

    An identifier in the query is looked up only in its canonical form: the words it was
    written with ("012", "345") are taken out, so another spelling of it still matches.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"Search for at most {MAX_QUERY_CHARS} characters.")
    entity_terms, spans = _entity_terms(text)
    rest = list(text)
    for start, end in spans:
        rest[start:end] = " " * (end - start)
    terms = list(dict.fromkeys(entity_terms + _text_terms("".join(rest))))
    if not terms:
        raise QueryError(
            "Nothing to search for: give a word of two letters or more (a Khmer word of three "
            "letters or more), a phone number, a handle or a link. Very common words such as "
            "'the' are not searched."
        )
    if len(terms) > MAX_QUERY_TERMS:
        raise QueryError("Too many words: search for fewer at a time.")
    return terms
