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


def _found(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(str(e.type), e.value, e.flags) for e in extract_entities(text)]


UNUSUAL = ("unusual_length",)


def test_labelled_numbers_of_an_unexpected_length_are_kept_as_flagged_accounts() -> None:
    # ABA numbers have 9 digits, ACLEDA 10 to 17, an MTCN 10: a typo or an unusual account is
    # still evidence that links reports, so the label keeps it, flagged for the analyst.
    assert _found("ABA account 037 519 6640") == [("payment_account", "aba:0375196640", UNUSUAL)]
    assert _found("ACLEDA 788 369 075") == [("payment_account", "acleda:788369075", UNUSUAL)]
    assert _found("Western Union MTCN 176 941 212") == [
        ("payment_account", "western_union:176941212", UNUSUAL)
    ]
    assert _found("សូមផ្ញើលុយតាម ABA ០៣៧ ៥១៩ ៦៦៤០ ណា") == [
        ("payment_account", "aba:0375196640", UNUSUAL)
    ]
    # A number of the expected length carries no flag.
    assert _found("ABA 000 123 456") == [("payment_account", "aba:000123456", ())]


def test_a_labelled_number_that_is_also_a_phone_keeps_its_label() -> None:
    assert _found("ACLEDA 098 059 400") == [
        ("payment_account", "acleda:098059400", UNUSUAL),
        ("phone", "+85598059400", ()),
    ]


def test_amounts_dates_and_short_numbers_after_a_label_are_not_accounts() -> None:
    for text in [
        "ABA 2024-03-12 he asked again",
        "sent to ABA 12.03.2024",
        "Wing 100.000 riel",
        "ABA 1 000 000 រៀល",
        "ACLEDA 500000 USD",
        "ABA $1500",
        "MTCN 12345",
        "ABA at 10 pm",
    ]:
        assert [f for f in _found(text) if f[0] == "payment_account"] == [], text


def test_email_addresses_written_in_words() -> None:
    # "at"/"dot" in words, after an e-mail word (English or Khmer) or in brackets.
    assert _pairs("his email is sokha99 at yahoo dot com") == [("email", "sokha99@yahoo.com")]
    assert _pairs("អ៊ីមែល៖ srey.pich88 at gmail dot com") == [("email", "srey.pich88@gmail.com")]
    assert _pairs("អ៊ីមែល scammer: bad_boy_kh (at) hotmail (dot) com") == [
        ("email", "bad_boy_kh@hotmail.com")
    ]
    assert _pairs("write to bad.guy [at] proton [dot] me now") == [("email", "bad.guy@proton.me")]
    # A literal dot in the domain: the address, not a stray link to gmail.com.
    assert _pairs("e-mail: Sok.Dara AT gmail.com") == [("email", "sok.dara@gmail.com")]
    # No e-mail word and no brackets, but a well-known mail provider.
    assert _pairs("he uses sokha_kh at gmail dot com") == [("email", "sokha_kh@gmail.com")]


def test_at_and_dot_in_words_are_not_an_address_without_a_cue() -> None:
    for text in [
        "look at google dot com for it",
        "we met at school dot com was his joke",
        "email me at 10 dot 30",
        "I was at home dot",
        "email: he is at school dot com",  # "is" is no address, nor "he"
    ]:
        assert [p for p in _pairs(text) if p[0] == "email"] == [], text


def test_a_gmail_label_with_a_user_name_is_that_gmail_address() -> None:
    assert _pairs("gmail របស់គាត់: rotha.kh77") == [("email", "rotha.kh77@gmail.com")]
    assert _pairs("his Gmail is SokDara99") == [("email", "sokdara99@gmail.com")]
    assert _pairs("gmail: rotha.kh77@gmail.com") == [("email", "rotha.kh77@gmail.com")]
    for text in [
        "Gmail: Sokdara Phan",  # a display name
        "gmail: dara",  # too short for a Gmail user name
        "ABA and gmail are banned",
        "gmail is blocked here",
        "gmail: sok_dara99",  # "_" is not allowed in Gmail user names
    ]:
        assert [p for p in _pairs(text) if p[0] == "email"] == [], text


def test_payment_labels_in_khmer_script_for_every_provider() -> None:
    assert _pairs("ទ្រូម៉ាន់នី ០៨១ ៤៤៦ ៩០២") == [
        ("payment_account", "truemoney:081446902"),
        ("phone", "+85581446902"),
    ]
    assert _pairs("ទ្រូម៉ានី 081446902") == [
        ("payment_account", "truemoney:081446902"),
        ("phone", "+85581446902"),
    ]
    # "ុី" typed for "៊ី" (they look the same in most fonts).
    assert _pairs("អេបុីអេ ០០០ ១២៣ ៤៥៦") == [("payment_account", "aba:000123456")]
    assert _pairs("អេសុីលីដា 0001-01-123456-1-2") == [("payment_account", "acleda:00010112345612")]
    assert _pairs("វេស្ទើន យូនៀន ១២៣ ៤៥៦ ៧៨៩០") == [("payment_account", "western_union:1234567890")]
    assert _pairs("វីង 012 345 678") == [
        ("payment_account", "wing:012345678"),
        ("phone", "+85512345678"),
    ]


def test_a_name_after_an_account_label_is_not_a_link() -> None:
    # "sokha.th" ends in a country domain but is a Line ID, not a website.
    assert _pairs("គាត់ឱ្យខ្ញុំ add Line ID: sokha.th") == []
    assert _pairs("username: dara.me password 1234") == []
    assert _pairs("ឈ្មោះគណនី៖ sokha.vn") == []
    assert _pairs("IG: sok.dara.vn") == [("handle", "https://www.instagram.com/sok.dara.vn")]
    # A link with a path, a scheme or www. stays a link whatever comes before it.
    assert _pairs("ID: example.com/profile/7") == [("url", "https://example.com/profile/7")]
    assert _pairs("user: https://sokha.th") == [("url", "https://sokha.th")]
    assert _pairs("Line ID: www.sokha.th") == [("url", "https://sokha.th")]
    # Without an account label a bare domain is still a link.
    assert _pairs("go to sokha.th tonight") == [("url", "https://sokha.th")]
