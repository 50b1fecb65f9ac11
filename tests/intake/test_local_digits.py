"""Khmer pages write numbers and dates in Khmer, English pages in Latin digits and words.

What is typed or dialled exactly as shown stays Latin on every page: receipt codes, phone
numbers (tel: links) and hashes (docs/decisions/i18n.md, "Digits and dates").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.db import OperationalError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from reporter_support import good_report, receipt_code

from hotline.core.views import service_unavailable_for
from hotline.intake.models import Report
from hotline.intake.services import message_add

pytestmark = pytest.mark.django_db

LATIN_DIGIT = re.compile(r"[0-9]")
KHMER_DIGIT = re.compile(r"[\u17e0-\u17e9]")
# A receipt code shown as an example of what to type ("For example: 7KQ4-M2XD-…"): always Latin.
RECEIPT_CODE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}-[0-9A-Z]\b")
KHMER_MONTHS = (
    "មករា",
    "កុម្ភៈ",
    "មីនា",
    "មេសា",
    "ឧសភា",
    "មិថុនា",
    "កក្កដា",
    "សីហា",
    "កញ្ញា",
    "តុលា",
    "វិច្ឆិកា",
    "ធ្នូ",
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
NOT_SHOWN = {"script", "style", "template"}
# Attributes a person reads (or hears from a screen reader); values typed by the reporter and
# hidden fields are theirs or the machine's, not the page's prose.
READ_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt"}


class ProseText(HTMLParser):
    """Collect the text a reader sees, outside the elements whose digits must stay Latin."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is it exempt (with its content)?
        self.text: list[str] = []

    @staticmethod
    def exempt(tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in NOT_SHOWN or tag in {"code", "kbd", "samp"}:
            return True
        if tag == "a" and (attrs.get("href") or "").startswith("tel:"):
            return True
        # Words people wrote (messages) are shown as written, in whatever digits they used.
        if "message-body" in (attrs.get("class") or "").split():
            return True
        # The receipt code's box: Latin letters and digits in any language.
        return attrs.get("translate") == "no"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        inside_exempt = any(self.stack)
        if not inside_exempt:
            self.text.extend(v or "" for k, v in attrs if k in READ_ATTRIBUTES)
        if tag not in VOID:
            self.stack.append(inside_exempt or self.exempt(tag, named))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.text.append(data)


def prose(html: str) -> str:
    parser = ProseText()
    parser.feed(html)
    return RECEIPT_CODE.sub("", " ".join(parser.text))


def _client(language: str) -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def public_pages(language: str) -> Iterator[tuple[str, str]]:
    """Yield (name, HTML) of every public page and state, as a reporter reaches them."""
    client = _client(language)
    for path in ["/", "/danger/", "/report/", "/status/", "/escrow/", "/help/"]:
        yield path, client.get(path).content.decode()
    for slug in ["extortion", "parents", "evidence"]:
        yield f"/help/{slug}/", client.get(f"/help/{slug}/").content.decode()
    yield "404", client.get("/no-such-page/").content.decode()
    yield (
        "report with errors",
        client.post(
            "/report/", good_report(client, in_danger="yes", narrative="", money="x")
        ).content.decode(),
    )
    receipt = client.post("/report/", good_report(client, in_danger="yes")).content.decode()
    code = receipt_code(receipt)
    assert code
    yield "receipt", receipt
    yield "wrong code", client.post("/status/", {"code": "AAAA-AAAA-AAAA-AAAA-A"}).content.decode()
    report = Report.objects.order_by("-pk").first()
    assert report is not None
    message_add(report=report, author="staff", body="Thank you. We asked the platform on 3 March.")
    yield "status", client.post("/status/", {"code": code}).content.decode()
    reply = client.post("/status/reply/", {"code": code, "message": "Thanks"}, follow=True)
    yield "reply sent", reply.content.decode()
    yield "escrow", client.post("/escrow/", {"code": code, "start": "1"}).content.decode()
    yield (
        "escrow done",
        client.post("/escrow/", {"code": code, "identifier": "t.me/someone_else"}).content.decode(),
    )
    csrf = Client(enforce_csrf_checks=True)
    csrf.cookies.load(client.cookies)
    yield "csrf failure", csrf.post("/status/", {"code": code}).content.decode()
    request = RequestFactory().get("/", headers={"accept-language": language})
    unavailable = service_unavailable_for(request, OperationalError("gone"))
    assert unavailable is not None
    yield "unavailable", unavailable.content.decode()


def too_many_pages(language: str, settings: object) -> Iterator[tuple[str, str]]:
    """Yield the "please wait" pages: this client's budget, then everyone's, spent."""
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0  # type: ignore[attr-defined]
    client = _client(language)
    yield "too many", client.post("/report/", good_report(client, solve=False)).content.decode()


@pytest.mark.parametrize("language", ["km", "en"])
def test_every_public_page_writes_digits_in_its_language(language: str, settings: object) -> None:
    pages = [*public_pages(language), *too_many_pages(language, settings)]
    assert len(pages) >= 20
    for name, html in pages:
        assert f'<html lang="{language}">' in html, name
        text = prose(html)
        if language == "km":
            found = list(LATIN_DIGIT.finditer(text))
            context = [text[max(0, m.start() - 30) : m.end() + 30] for m in found]
            assert not found, f"{name}: Latin digits in Khmer prose: {context[:5]}"
        else:
            assert not KHMER_DIGIT.search(text), f"{name}: Khmer digits on an English page"


@pytest.mark.parametrize("language", ["km", "en"])
def test_the_status_page_dates_its_messages_in_the_reporters_language(language: str) -> None:
    client = _client(language)
    code = receipt_code(client.post("/report/", good_report(client)).content.decode())
    report = Report.objects.get()
    message_add(report=report, author="staff", body="We are looking at your report.")
    page = client.post("/status/", {"code": code}).content.decode()
    today = timezone.localtime()
    with translation.override(language):
        month = str(today.strftime("%B")) if language == "en" else KHMER_MONTHS[today.month - 1]
    assert page.count(month) >= 2, "the day received and the message's date"
    if language == "km":
        assert "ឆ្នាំ" + str(today.year).translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")) in page
    else:
        assert f"{today.day} {month} {today.year}" in page


def test_khmer_dates_use_khmer_month_names_and_digits() -> None:
    template = Template("{% load local_numbers %}{{ day|local_date }}|{{ at|local_datetime }}")
    context = Context(
        {
            "day": datetime.date(2026, 3, 7),
            "at": datetime.datetime(2026, 12, 31, 17, 5, tzinfo=datetime.UTC),
        }
    )
    with translation.override("km"):
        # 17:05 UTC is 00:05 the next day in Phnom Penh.
        assert template.render(context) == "៧ ខែមីនា ឆ្នាំ២០២៦|១ ខែមករា ឆ្នាំ២០២៧ ០០:០៥"
    with translation.override("en"):
        assert template.render(context) == "7 March 2026|1 January 2027, 00:05"


def test_a_saved_receipt_file_dates_the_report_in_khmer() -> None:
    client = Client()
    code = receipt_code(client.post("/report/", good_report(client)).content.decode())
    saved = client.post("/receipt/file/", {"code": code}).content.decode()
    assert code in saved
    assert any(f"ខែ{month}" in saved for month in KHMER_MONTHS)
    assert not LATIN_DIGIT.search(saved.replace(code, "").split("http")[0])
