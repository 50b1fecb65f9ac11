"""Normalisation, spans into the original text, phones, handles and payment accounts."""

from __future__ import annotations

from hotline.entities.extract import extract_entities, normalize, normalize_text


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(str(e.type), e.value) for e in extract_entities(text)]


def test_normalisation_folds_digits_widths_and_invisible_characters() -> None:
    assert normalize_text("០១២ \uff13\uff14\uff15\u200b\uff16\u00a0\U0001d7d5") == "012 3456 7"
    assert normalize_text("\uff54\u3002\uff4d\uff45") == "t.me"


def test_span_map_points_into_the_original() -> None:
    original = "\u200b\u200bតេឡេក្រាម @bad\u200b_guy99 លេខ ០១២\u200c ៣៤៥ ៦៧៨!"
    entities = extract_entities(original)
    assert [(str(e.type), e.value, original[e.start : e.end]) for e in entities] == [
        ("handle", "https://t.me/bad_guy99", "@bad\u200b_guy99"),
        ("phone", "+85512345678", "០១២\u200c ៣៤៥ ៦៧៨"),
    ]
    norm = normalize(original)
    assert norm.original_end(len(norm.text)) == len(original)


def test_phone_numbers_in_many_formats() -> None:
    text = (
        "012 345 678 / 012-345-678 / 012.345.678 / +855 12 345 678 / (+855) 12345678 / "
        "85512345678 / ០១២៣៤៥៦៧៨ / +66 81 234 5678"
    )
    assert _pairs(text) == [("phone", "+85512345678")] * 7 + [("phone", "+66812345678")]


def test_numbers_that_are_not_phones() -> None:
    text = "amount 1234567890, year 2024, date 2024-03-15, 12/05/2024, $1,500, id 4829301756"
    assert _pairs(text) == []


def test_two_numbers_in_one_run_are_split() -> None:
    assert _pairs("call 012 345 678 097 765 4321") == [
        ("phone", "+85512345678"),
        ("phone", "+855977654321"),
    ]


def test_handles_take_their_platform_from_context() -> None:
    assert _pairs("IG @some.user and TikTok @other.user\nno platform named: @third_user") == [
        ("handle", "https://www.instagram.com/some.user"),
        ("handle", "https://www.tiktok.com/@other.user"),
        ("handle", "@third_user"),
    ]
    assert _pairs("my FB is sok.dara99 and telegram: sokdara_kh") == [
        ("handle", "https://www.facebook.com/sok.dara99"),
        ("handle", "https://t.me/sokdara_kh"),
    ]


def test_display_names_and_stopwords_are_not_handles() -> None:
    assert _pairs("his FB name is Sok Dara. Facebook is where he found me.") == []


def test_labelled_payment_accounts() -> None:
    assert _pairs(
        "Wing 012 345 678, ABA: 000 123 456, ACLEDA 0001-01-123456-1-2, MTCN 1234567890"
    ) == [
        ("payment_account", "wing:012345678"),
        ("phone", "+85512345678"),
        ("payment_account", "aba:000123456"),
        ("payment_account", "acleda:00010112345612"),
        ("payment_account", "western_union:1234567890"),
    ]
    # Without a label, a nine-digit number starting 000 is nothing.
    assert _pairs("000 123 456") == []
