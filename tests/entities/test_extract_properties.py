"""Bad input: arbitrary Unicode, huge lines, catastrophic-backtracking bait.

Time limits here are far above normal run times (milliseconds); they exist to catch super-linear
behaviour, which turns these inputs into minutes or hours, not to measure speed.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.entities.extract import EntityType, extract_entities, normalize, normalize_text

# Text that looks like reports: Khmer, Latin, digits, separators and the characters that matter.
REPORTISH = st.lists(
    st.one_of(
        st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
        st.sampled_from(list(" .:/@+-_()#?=&%!\n\t,")),
        st.sampled_from(list("០១២៣៤៥៦៧៨៩កខគឃងាិីុូេែៃោៅំះ៖។")),
        st.sampled_from(["\u200b", "\u200c", "\u00a0", "\uff54", "\u3002", "\U0001d42d", "\u0435"]),
        st.sampled_from(
            [
                "https://",
                "t.me/",
                "wa.me/",
                "+855",
                "012",
                "@",
                "www.",
                "0x",
                "bc1",
                "T",
                ".com",
                "Wing ",
                "Telegram ",
                "fb is ",
                "joinchat/",
                "mega.nz/file/",
                "?utm_source=x",
            ]
        ),
    ),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_any_unicode_never_crashes_and_spans_are_valid(text: str) -> None:
    for entity in extract_entities(text):
        assert 0 <= entity.start < entity.end <= len(text)
        assert isinstance(entity.type, EntityType)


@settings(max_examples=400, deadline=None)
@given(REPORTISH)
def test_report_like_text_spans_and_reextraction(text: str) -> None:
    entities = extract_entities(text)
    for entity in entities:
        assert 0 <= entity.start < entity.end <= len(text)
        # A canonical value, extracted again on its own, gives itself.
        again = {(e.type, e.value) for e in extract_entities(entity.value)}
        assert (entity.type, entity.value) in again, (entity, again)
        # So does the original span cut out of the text (context-labelled kinds need their label).
        if entity.type not in (EntityType.HANDLE, EntityType.PAYMENT_ACCOUNT):
            alone = {(e.type, e.value) for e in extract_entities(text[entity.start : entity.end])}
            assert (entity.type, entity.value) in alone, (entity, alone)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1000))
def test_normalisation_is_idempotent_and_maps_back(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    norm = normalize(text)
    for index in range(len(norm.text)):
        start = norm.original_start(index)
        assert 0 <= start < len(text)
    assert norm.original_end(len(norm.text)) <= len(text)


def test_one_megabyte_of_random_unicode_is_fast() -> None:
    import random

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(rng.choice(alphabet) for _ in range(400_000))
    assert len(text.encode()) > 1_000_000
    started = time.process_time()
    extract_entities(text)
    assert time.process_time() - started < 20


@pytest.mark.parametrize(
    "bait",
    [
        "a" * 100_000,  # one long word: no token-start rescans
        "a." * 50_000,  # endless dotted host
        "a@" * 50_000,  # endless e-mail candidates
        "@" + "a" * 100_000,  # endless handle
        "0" * 100_000,  # endless digit run
        "0 " * 50_000,  # endless phone groups
        "01 " * 33_000,
        "+855 (" * 16_000,
        "https://" + "a" * 100_000,  # endless URL
        "https://t.me/" + "/" * 100_000,
        "http://" * 14_000,
        "1" * 100_000,  # endless base58 candidate
        "0x" + "a" * 100_000,
        "bc1" + "q" * 100_000,
        "Wing " * 20_000,  # label with no number
        "ABA 2024-03-12 " * 7_000,  # labels whose numbers are tried as unusual accounts
        "ACLEDA 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 " * 2_000,
        "Telegram: " * 10_000,
        "fb is " * 16_000,
        "\u200b" * 100_000,  # everything deleted by normalisation
        "០" * 100_000,
        "t.me/a " * 14_000,  # many entities
        "Line ID: a.th " * 7_000,  # bare domains after account labels
        "ID ID ID ID a.com " * 5_000,
        "google.com/url?q=https://t.me/abc_def&" * 2_500,  # scheme-less redirect wrappers
        "email abc at def dot " * 5_000,  # addresses written in words
        "(at)" * 25_000,
        "a (at) b (dot) c (dot) d (dot) e (dot) " * 2_500,
        "gmail: " * 14_000,
        "gmail របស់គាត់: abcdef." * 4_500,
    ],
)
def test_hundred_thousand_character_lines_stay_linear(bait: str) -> None:
    # CPU time of this process, so a loaded machine does not fail it; quadratic or exponential
    # backtracking on 100,000 characters would take minutes to hours, not seconds.
    started = time.process_time()
    extract_entities(bait)
    assert time.process_time() - started < 20, "super-linear behaviour"


def test_doubling_the_input_roughly_doubles_the_time() -> None:
    unit = "Telegram @abc_def12 012 345 678 https://t.me/x_y_z1 a.b.c 0x12 bc1q Wing 1 @@ "

    def run(copies: int) -> float:
        text = unit * copies
        started = time.process_time()
        extract_entities(text)
        return time.process_time() - started

    run(200)
    small = min(run(2_000) for _ in range(3))
    large = min(run(8_000) for _ in range(3))
    # Linear: about 4x. Quadratic would be about 16x.
    assert large < small * 9
