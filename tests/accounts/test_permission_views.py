"""The permission matrix through the real pages: each role logged in for real (with TOTP)."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.entities.models import ReportEntity
from hotline.intake.models import Message, Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import staff_client

pytestmark = pytest.mark.django_db
CONTACT = "reach-me-here@example.org"
NARRATIVE = "Narrative for the permission pages"


@pytest.fixture
def report() -> Report:
    return report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            narrative=NARRATIVE,
            contact=CONTACT,
            consent_contact=True,
        ),
        evidence=[],
    ).report


def _detail(report: Report) -> str:
    return f"/staff/reports/{report.public_id}/"


def test_caseworker_reads_the_report_and_how_to_reach_the_reporter(report: Report) -> None:
    client, _ = staff_client("case", role="caseworker")
    page = client.get(_detail(report)).content.decode()
    assert NARRATIVE in page
    assert CONTACT in page
    assert client.post(_detail(report), {"body": "We can help."}).status_code == 302
    assert Message.objects.filter(report=report, author="staff").count() == 1
    assert client.get("/staff/entities/", {"q": "t.me/x"}).status_code == 403


def test_analyst_reads_the_report_without_the_contact_details(report: Report) -> None:
    client, _ = staff_client("an", role="analyst")
    page = client.get(_detail(report)).content.decode()
    assert NARRATIVE in page
    assert CONTACT not in page


def test_liaison_may_not_message_the_reporter_nor_edit_identifiers(report: Report) -> None:
    client, staff = staff_client("police", role="liaison")
    page = client.get(_detail(report)).content.decode()
    assert NARRATIVE in page
    assert CONTACT not in page
    assert client.post(_detail(report), {"body": "Hello"}).status_code == 403
    assert not Message.objects.filter(report=report, author="staff").exists()
    added = client.post(f"{_detail(report)}entities/", {"identifier": "t.me/someone_new"})
    assert added.status_code == 403
    assert not ReportEntity.objects.filter(origin="analyst").exists()
    refused = AuditEvent.objects.filter(action="staff.forbidden", actor=staff.user)
    assert refused.count() == 2


def test_administrator_sees_the_queue_but_reads_no_report(report: Report) -> None:
    client, _ = staff_client("admin", role="administrator")
    assert client.get("/staff/").status_code == 200
    assert client.get(_detail(report)).status_code == 403
