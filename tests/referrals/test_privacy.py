"""Nothing that identifies the reporter leaves in a package: every byte of every file (and the
PDF's drawn text) is searched for the receipt code, contact details, e-mail, phone, escrowed
handle and uploaded file names of a reporter who put them everywhere they could."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from referral_support import (
    CONTACT,
    IDENTITY,
    KHMER_WORDS,
    case_full_of_identity,
    entries,
    every_text,
    pdf_text,
    produce,
    staff,
)

from hotline.referrals.content import REMOVED

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "km"])
def test_no_receipt_code_nor_reporter_identity_in_any_byte(language: str) -> None:
    case = case_full_of_identity()
    data = produce(case.report, language=language).data
    text = every_text(data)
    folded = text.casefold()

    # The search can find things: the offender's handle and the reporter's words are there.
    assert "offender_channel_x" in text
    assert "He wrote to me on Telegram" in pdf_text(entries(data)["report.pdf"])
    for value in [case.receipt, case.receipt.replace("-", ""), *IDENTITY]:
        assert value.casefold() not in folded, value
    assert REMOVED in json.loads(entries(data)["report.json"])["report"]["narrative"]


def test_report_json_says_why_no_identity_and_holds_no_contact_key() -> None:
    content = json.loads(entries(produce(case_full_of_identity().report).data)["report.json"])

    assert content["reporter"]["identity_included"] is False
    assert "consent" in content["reporter"]["why"]
    assert "contact" not in content["report"]
    assert all(i["field"] != "contact" for i in content["identifiers"])


def test_the_reporters_words_stay_in_their_language_and_khmer_is_drawn_in_khmer() -> None:
    data = produce(case_full_of_identity().report, language="km").data
    pdf = entries(data)["report.pdf"]
    document = pikepdf.open(io.BytesIO(pdf))
    fonts = {
        str(font.BaseFont).split("+", 1)[-1]
        for page in document.pages
        for font in page.Resources.Font.values()
    }
    content = json.loads(entries(data)["report.json"])

    assert "Hotline-Khmer" in fonts
    assert KHMER_WORDS in content["report"]["narrative"]
    assert content["language"] == "km"
    # Khmer labels, not the English ones.
    assert "Police referral" not in pdf_text(pdf)


def test_english_labels_when_the_liaison_picks_english() -> None:
    text = pdf_text(entries(produce(case_full_of_identity().report).data)["report.pdf"])

    assert "Police referral" in text
    assert "Chain of custody" in text


def _police_consent(report, *, share: bool) -> None:  # type: ignore[no-untyped-def]
    from hotline.support import services as support

    caseworker = staff("caseworker", "carla")
    case = support.support_case_for_report(report_id=report.pk) or support.support_case_open(
        actor=caseworker, report=report
    )
    support.consent_record(
        actor=caseworker,
        case=case,
        contact_by="phone",
        share_with_police=share,
        share_with_service=None,
    )


@pytest.mark.parametrize("language", ["en", "km"])
def test_with_the_victims_consent_to_tell_police_the_contact_details_go_in(
    language: str,
) -> None:
    case = case_full_of_identity()
    _police_consent(case.report, share=True)

    data = produce(case.report, language=language).data
    content = json.loads(entries(data)["report.json"])

    assert content["reporter"]["identity_included"] is True
    assert content["reporter"]["contact"].startswith(CONTACT)
    assert content["reporter"]["consent"]["recorded_by"] == "carla"
    assert "sokha.reporter@example.org" in pdf_text(entries(data)["report.pdf"])
    # Never the receipt code, consent or not.
    assert case.receipt.casefold() not in every_text(data).casefold()


def test_a_consent_withdrawn_later_keeps_the_identity_out() -> None:
    case = case_full_of_identity()
    _police_consent(case.report, share=True)
    _police_consent(case.report, share=False)

    text = every_text(produce(case.report).data).casefold()

    for value in IDENTITY:
        assert value.casefold() not in text, value
