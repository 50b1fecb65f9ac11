"""Bidirectional controls in reporter text are shown as visible markers on every staff page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from hotline.core.templatetags.reporter_text import reporter_text
from hotline.entities.models import ReportEntity
from hotline.entities.tasks import report_extract
from hotline.intake.models import Message
from hotline.intake.services import ReportInput, message_add, report_submit
from staff_login import staff_client

pytestmark = pytest.mark.django_db
RLO, LRI, PDI, RLM, ALM = "\u202e", "\u2066", "\u2069", "\u200f", "\u061c"
RAW_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def staff() -> Client:
    # A senior analyst: the only role that sees every field, the contact details included.
    return staff_client("analyst", role="senior_analyst")[0]


def test_filter_escapes_isolates_and_marks_every_bidi_control() -> None:
    shown = reporter_text(f"<b>photo{RLO}gpj.exe{LRI}x{PDI}{RLM}{ALM}\u202a\u200e")
    assert shown == (
        "<bdi>&lt;b&gt;photo\u27e6U+202E\u27e7gpj.exe\u27e6U+2066\u27e7x\u27e6U+2069\u27e7"
        "\u27e6U+200F\u27e7\u27e6U+061C\u27e7\u27e6U+202A\u27e7\u27e6U+200E\u27e7</bdi>"
    )
    assert reporter_text(None) == "<bdi></bdi>"


def test_every_staff_page_shows_reporter_bidi_controls_as_markers(staff: Client) -> None:
    report = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            narrative=f"He sent invoice{RLO}fdp.exe and t.me/bad{RLO}user_kh\nsecond line",
            links=[f"https://example.org/{RLO}gpj.exe"],
            usernames=[f"@bad{LRI}user{PDI}"],
            phones=[f"012{RLM}345678"],
            payment_accounts=[f"ABA 000{ALM}123456"],
            started=f"last{RLO}week",
            amount=f"100{RLO}$",
            contact=f"me{RLO}@example.org",
            consent_contact=True,
        ),
        evidence=[],
    ).report
    message_add(report=report, author=Message.Author.REPORTER, body=f"reply{RLO}txt.exe")
    report_extract(report.pk)
    staff.post(
        reverse("staff:report_entity_new", args=[report.public_id]),
        {"identifier": f"t.me/added{RLO}byanalyst"},
    )
    entity_ids = set(ReportEntity.objects.filter(report=report).values_list("entity_id", flat=True))
    assert entity_ids
    pages = {
        "report list": reverse("staff:report_list"),
        "report": reverse("staff:report_detail", args=[report.public_id]),
        "search": reverse("entities:search") + f"?q=t.me/bad{RLO}user_kh",
        "escrows": reverse("entities:escrows"),
        **{f"cluster {pk}": reverse("entities:cluster", args=[pk]) for pk in entity_ids},
    }
    for name, url in pages.items():
        response = staff.get(url, follow=True)  # a search that finds goes to the cluster
        assert response.status_code == 200, name
        html = response.content.decode()
        # The search box gives back what the analyst typed, as typed.
        html = re.sub(r'(<input id="q" name="q" value=")[^"]*"', r"\1", html)
        assert not RAW_BIDI.search(html), f"raw bidi control on {name}"

    detail = staff.get(pages["report"]).content.decode()
    for shown in (
        "invoice\u27e6U+202E\u27e7fdp.exe",  # narrative
        "https://example.org/\u27e6U+202E\u27e7gpj.exe",  # link
        "@bad\u27e6U+2066\u27e7user\u27e6U+2069\u27e7",  # username
        "012\u27e6U+200F\u27e7345678",  # phone
        "ABA 000\u27e6U+061C\u27e7123456",  # payment account
        "last\u27e6U+202E\u27e7week",  # started
        "100\u27e6U+202E\u27e7$",  # amount
        "me\u27e6U+202E\u27e7@example.org",  # contact
        "reply\u27e6U+202E\u27e7txt.exe",  # message
    ):
        assert f"{shown}" in detail, shown
    assert "<bdi>" in detail
