"""Form errors on Khmer pages write their numbers in Khmer digits, including Django's own.

Django formats the numbers of its validation messages itself ("at most %(limit_value)d
characters"), in Latin digits. The public forms localise the numbers of every error they
add (hotline.intake.forms.FriendlyErrorsMixin.add_error, through the same digits_localize as
the templates' `digits` filter); English pages keep Latin digits.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from reporter_support import browser_post, good_report, receipt_code

from hotline.intake.forms import MAX_IDENTIFIER_CHARS, EscrowForm, ReplyForm, ReportForm

pytestmark = pytest.mark.django_db

LATIN_DIGIT = re.compile(r"[0-9]")
KHMER_DIGIT = re.compile(r"[\u17e0-\u17e9]")
ERROR_BOX = re.compile(r'<div class="error" role="alert"[^>]*>(.*?)</div>', re.S)


def _error_text(html: str) -> str:
    """Return the text of every error box on the page (what a reader sees, without tags)."""
    boxes = ERROR_BOX.findall(html)
    assert boxes, "no error shown"
    return " ".join(re.sub(r"<[^>]+>", " ", box) for box in boxes)


def _client(language: str) -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


MAX_TEXT = settings.HOTLINE_MAX_TEXT_CHARS
# Every length limit of the report form a reporter can run into (and the hidden token's).
REPORT_TOO_LONG: list[tuple[str, Any]] = [
    ("started", "x" * 201),
    ("amount", "x" * 101),
    ("contact", "x" * 301),
    ("narrative", "x" * (MAX_TEXT + 1)),
    ("links", "\n".join(f"https://example.org/{i}" for i in range(51))),
    ("usernames", "\n".join("@" + "u" * 499 for _ in range(51))),
    ("submission_token", "t" * 65),
]


def _report_errors(language: str, field: str, value: str) -> str:
    client = _client(language)
    data = good_report(client)
    data[field] = value
    response = browser_post(client, "/report/", data)
    assert response.redirect_chain == [("/report/", 303)], field
    return _error_text(response.content.decode())


def _escrow_errors(language: str, data: dict[str, str]) -> str:
    client = _client(language)
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    response = browser_post(client, "/escrow/", {"code": code} | data)
    assert response.redirect_chain == [("/escrow/", 303)]
    return _error_text(response.content.decode())


def _reply_errors(language: str) -> str:
    client = _client(language)
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    data = {"code": code, "message": "x" * (MAX_TEXT + 1)}
    response = browser_post(client, "/status/reply/", data)
    assert response.redirect_chain == [("/status/", 303)]
    return _error_text(response.content.decode())


@pytest.mark.parametrize(("field", "value"), REPORT_TOO_LONG, ids=[f for f, _ in REPORT_TOO_LONG])
def test_report_form_length_errors_on_a_khmer_page_use_khmer_digits(field: str, value: str) -> None:
    text = _report_errors("km", field, value)
    assert KHMER_DIGIT.search(text), text
    assert not LATIN_DIGIT.search(text), text


@pytest.mark.parametrize(("field", "value"), REPORT_TOO_LONG, ids=[f for f, _ in REPORT_TOO_LONG])
def test_report_form_length_errors_on_an_english_page_use_latin_digits(
    field: str, value: str
) -> None:
    text = _report_errors("en", field, value)
    assert LATIN_DIGIT.search(text), text
    assert not KHMER_DIGIT.search(text), text


@pytest.mark.parametrize(
    "data",
    [
        {"identifier": "x" * (MAX_IDENTIFIER_CHARS + 1)},
        {"identifier": "t.me/someone_kh", "code": "A" * 81},
    ],
    ids=["identifier", "code"],
)
def test_escrow_form_length_errors_on_a_khmer_page_use_khmer_digits(data: dict[str, str]) -> None:
    text = _escrow_errors("km", data)
    assert KHMER_DIGIT.search(text), text
    assert not LATIN_DIGIT.search(text), text


def test_reply_form_length_error_on_a_khmer_page_uses_khmer_digits() -> None:
    text = _reply_errors("km")
    assert KHMER_DIGIT.search(text), text
    assert not LATIN_DIGIT.search(text), text


class _Numbers(ReplyForm):
    """A public form with Django's own number validators, as any new field might bring."""

    count = forms.IntegerField(min_value=3, max_value=250, required=False)
    word = forms.CharField(min_length=12, required=False)


@pytest.mark.parametrize(
    ("data", "english"),
    [
        ({"count": "1"}, "greater than or equal to 3"),
        ({"count": "999"}, "less than or equal to 250"),
        ({"word": "short"}, "at least 12 characters (it has 5)"),
    ],
)
def test_djangos_own_number_messages_get_khmer_digits_on_khmer_pages(
    data: dict[str, str], english: str
) -> None:
    base = {"code": "2345-6789-ABCD-EFGH-J", "message": "hello"}
    with translation.override("en"):
        form = _Numbers(base | data)
        assert not form.is_valid()
        assert english in " ".join(str(e) for e in form.errors[next(iter(data))])
    with translation.override("km"):
        form = _Numbers(base | data)
        assert not form.is_valid()
        text = " ".join(str(e) for e in form.errors[next(iter(data))])
    assert KHMER_DIGIT.search(text), text
    assert not LATIN_DIGIT.search(text), text


def test_a_number_typed_by_the_reporter_is_never_rewritten() -> None:
    with translation.override("km"):
        form = EscrowForm({"code": "1234", "identifier": "x"})
        form.add_error(
            "identifier",
            ValidationError("%(value)s: %(limit)d", params={"value": "ABA 123", "limit": 5}),
        )
        assert "ABA 123: ៥" in form.errors["identifier"]


def test_the_report_form_still_counts_its_own_limits() -> None:
    # The mixin must not break the plural choice of English messages.
    with translation.override("en"):
        form = ReportForm({"started": "x" * 201})
        form.is_valid()
        assert "at most 200 characters" in str(form.errors["started"])
