"""The tokeniser: English words, Khmer trigrams, identifiers; the same for reports and queries."""

from __future__ import annotations

import pytest

from hotline.search.tokens import MAX_QUERY_CHARS, QueryError, document_terms, query_terms


def test_english_is_case_folded_unicode_normalised_and_stripped_of_punctuation() -> None:
    terms = document_terms(["He SENT the Photos!!! to \uff4d\uff59 Friend, CAFE\u0301"])
    assert {"w:sent", "w:photos", "w:friend", "w:caf\u00e9"} <= set(terms)
    assert not any(t in terms for t in ("w:the", "w:he", "w:my", "w:to", "w:!!!"))


def test_khmer_is_indexed_as_trigrams_whatever_surrounds_the_word() -> None:
    # "he asked for money" written without spaces, and once with a zero-width space inside.
    plain = document_terms(["គាត់សុំលុយខ្ញុំ"])
    with_zwsp = document_terms(["គាត់សុំ\u200bលុយខ្ញុំ"])
    assert set(plain) == set(with_zwsp)
    assert set(query_terms("លុយ")) <= set(plain)  # "money", three letters
    assert set(query_terms("សុំលុយ")) <= set(plain)


def test_khmer_digits_and_punctuation_separate_runs() -> None:
    terms = document_terms(["លុយ១២៣។ដុល្លារ"])
    assert "w:123" in terms  # Khmer digits folded to ASCII digits
    assert not any("។" in t for t in terms)


def test_identifiers_are_indexed_in_canonical_form_and_as_words() -> None:
    terms = document_terms(
        ["call me on 012 345 678 or see https://example.org/page and facebook.com/some.one"]
    )
    assert "e:phone:+85512345678" in terms
    assert any(t.startswith("e:url:") for t in terms)
    assert any(t.startswith("e:handle:") for t in terms)
    assert {"w:012", "w:345", "w:facebook"} <= set(terms)


def test_a_query_with_a_phone_number_looks_up_its_canonical_form_only() -> None:
    spaced = query_terms("012 345 678")
    joined = query_terms("+85512345678")
    assert spaced == joined
    assert all(t.startswith("e:phone:") for t in spaced)


@pytest.mark.parametrize(
    "query",
    ["", "!!!...???", "   ", "the a of", "\x01\x02\x7f", "ក", "a"],
)
def test_queries_with_nothing_to_search_are_refused_with_a_message(query: str) -> None:
    with pytest.raises(QueryError, match="Nothing to search for"):
        query_terms(query)


def test_an_oversize_query_is_refused_not_cut() -> None:
    with pytest.raises(QueryError, match=f"at most {MAX_QUERY_CHARS} characters"):
        query_terms("word " * 2000)


def test_a_query_of_too_many_words_is_refused() -> None:
    with pytest.raises(QueryError, match="Too many words"):
        query_terms(" ".join(f"w{i}" for i in range(45)))


def test_sql_looking_and_control_characters_are_only_words() -> None:
    assert query_terms("'; DROP TABLE intake_report; --\x00\x1b[31m") == [
        "w:drop",
        "w:table",
        "w:intake",
        "w:report",
        "w:31m",
    ]
