"""The public path: form → stored encrypted report → receipt code → status page → reply."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from reporter_support import assert_nothing_saved

from hotline.intake.models import Message, Report
from hotline.intake.receipts import ALPHABET, CODE_LENGTH
from hotline.intake.selectors import report_details
from hotline.intake.services import message_add

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r'<p class="receipt" id="receipt-code">([^<]+)</p>')


def _token(client: Client) -> str:
    page = client.get("/report/").content.decode()
    match = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def submit(client: Client, **extra: object) -> tuple[int, str]:
    data: dict[str, object] = {
        "submission_token": _token(client),
        "in_danger": "no",
        "reporter_role": "myself",
        "categories": ["sextortion"],
        "platforms": ["facebook"],
        "narrative": "Someone recorded our call and asks for money.",
        "phones": "012 345 678",
        "money": "demanded",
    }
    data.update(extra)
    response = client.post("/report/", data)
    match = CODE_RE.search(response.content.decode())
    return response.status_code, match.group(1) if match else ""


def test_report_is_stored_encrypted_and_code_opens_status_page() -> None:
    client = Client()
    status, code = submit(client)
    assert status == 200
    assert len(code.replace("-", "")) == CODE_LENGTH
    assert all(ch in ALPHABET for ch in code.replace("-", ""))
    report = Report.objects.get()
    assert b"recorded our call" not in bytes(report.details_ciphertext)
    assert report_details(report)["narrative"] == "Someone recorded our call and asks for money."
    assert report.receipt_digest is not None
    assert code.encode() not in bytes(report.receipt_digest)

    message_add(report=report, author=Message.Author.STAFF, body="We are looking at it.")
    page = client.post("/status/", {"code": code.lower().replace("-", " ")})
    assert page.status_code == 200
    assert "We are looking at it." in page.content.decode()

    reply = client.post("/status/reply/", {"code": code, "message": "Here is more."})
    assert reply.status_code == 200
    assert report.messages.filter(author="reporter").count() == 1


def test_unknown_and_malformed_codes_get_the_same_answer() -> None:
    client = Client()
    submit(client)
    wrong = client.post("/status/", {"code": "2222-2222-2222-2222-2"})
    malformed = client.post("/status/", {"code": "<script>"})
    assert wrong.status_code == malformed.status_code == 404
    assert len(wrong.content) == len(malformed.content)


def test_double_submit_creates_one_report_and_shows_the_same_code() -> None:
    client = Client()
    token = _token(client)
    first = submit(client, submission_token=token)
    second = submit(client, submission_token=token)
    assert Report.objects.count() == 1
    assert first[1] == second[1] != ""


def test_invalid_form_saves_nothing_and_answers_in_khmer() -> None:
    client = Client()  # no language chosen: Khmer is the default
    response = client.post(
        "/report/", {"submission_token": _token(client), "narrative": "x" * 1_000_000}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="km">' in html
    boxes = re.findall(r'<div class="error" role="alert"[^>]*>(.*?)</div>', html, re.S)
    errors = " ".join(re.sub(r"<[^>]+>", " ", box) for box in boxes)
    # The summary, the missing answers and the too-long narrative, each in its Khmer wording.
    for khmer, english in [
        (
            "សូមពិនិត្យចម្លើយដែលមានសញ្ញាខាងក្រោម។ មិនទាន់មានអ្វីត្រូវបានរក្សាទុកនៅឡើយទេ។",
            "Please check the answers marked below.",
        ),
        ("សូមឆ្លើយសំណួរនេះ។", "Please answer this question."),
        ("វែងពេក៖ សូមសរសេរមិនឱ្យលើសពី ២០០០០ តួអក្សរ។", "This is too long"),
    ]:
        assert khmer in errors, khmer
        assert english not in html, english
    # Every letter in the error boxes is Khmer script (U+1780-U+17FF): no English left over.
    letters = [char for char in errors if char.isalpha()]
    assert letters
    assert all("\u1780" <= char <= "\u17ff" for char in letters), errors
    assert_nothing_saved()


def test_each_receipt_page_carries_its_own_code_and_a_working_form_token() -> None:
    """The receipt page is pre-rendered per language: codes, tokens and language must not leak."""
    pages: list[tuple[str, str, str]] = []
    for language in ("en", "km", "en"):
        client = Client(enforce_csrf_checks=True)
        client.cookies["hotline_lang"] = language
        form_page = client.get("/report/").content.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page)
        assert csrf
        submission = re.search(r'name="submission_token" value="([^"]+)"', form_page)
        assert submission
        response = client.post(
            "/report/",
            {
                "csrfmiddlewaretoken": csrf.group(1),
                "submission_token": submission.group(1),
                "reporter_role": "myself",
                "categories": ["sextortion"],
                "narrative": f"Report in {language}.",
            },
        )
        html = response.content.decode()
        assert response.status_code == 200
        code = CODE_RE.search(html)
        assert code
        # The escrow button posts the code with the token this page carries.
        escrow_token = re.search(
            r'action="/escrow/"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">'
            r'<input type="hidden" name="code" value="([^"]+)">',
            html,
        )
        assert escrow_token, html
        assert escrow_token.group(2) == code.group(1)
        opened = client.post(
            "/escrow/",
            {"csrfmiddlewaretoken": escrow_token.group(1), "code": code.group(1), "start": "1"},
        )
        assert opened.status_code == 200
        assert code.group(1) in opened.content.decode()
        pages.append((language, code.group(1), html))
    (_, first_code, first), (_, second_code, second), (_, third_code, third) = pages
    assert len({first_code, second_code, third_code}) == 3
    assert first_code not in third
    assert third_code not in first
    assert "Thank you. Your report was received." in first
    assert "Thank you" not in second
    assert 'lang="km"' in second
    assert 'lang="en"' in third
    assert "RECEIPTCODESLOT" not in first + second + third
    assert "CSRFTOKENSLOT" not in first + second + third


def test_receipt_codes_use_every_symbol_evenly_at_every_position() -> None:
    """Codes are drawn as one number and written in base 30: no position may be skewed."""
    from collections import Counter

    from hotline.intake.receipts import code_generate

    codes = [code_generate().replace("-", "") for _ in range(6000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == CODE_LENGTH for code in codes)
    for position in range(CODE_LENGTH):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set(ALPHABET)
        expected = len(codes) / len(ALPHABET)
        chi_square = sum((counts[s] - expected) ** 2 / expected for s in ALPHABET)
        # 29 degrees of freedom: above 70 happens by chance about once in 30,000 tests.
        assert chi_square < 70, (position, chi_square)
