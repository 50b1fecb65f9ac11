"""A reporter who writes on a closed report puts it back in the analysts' queue (audited)."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.cases.models import CaseEvent
from hotline.cases.services import report_state_change
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_add_information, report_submit
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst() -> Staff:
    return make_staff("analyst")


def _report() -> tuple[Report, str]:
    submitted = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    )
    return submitted.report, submitted.receipt_code


def _move(staff: Staff, report: Report, *states: str) -> None:
    for state in states:
        current = Report.objects.get(pk=report.pk).status
        report_state_change(
            actor=staff.user, report_id=report.pk, expected_state=current, to_state=state
        )


@pytest.mark.parametrize(
    "path",
    [
        ("no_action",),
        ("out_of_scope",),
        ("duplicate",),
        ("in_review", "assessed", "notice_sent", "closed"),
    ],
)
def test_a_reply_on_a_closed_report_reopens_it_in_assessment(
    analyst: Staff, path: tuple[str, ...]
) -> None:
    report, code = _report()
    _move(analyst, report, *path)
    reply = Client().post("/status/reply/", {"code": code, "message": "It is back."})
    assert reply.status_code == 303
    report.refresh_from_db()
    assert report.status == "in_review"
    event = CaseEvent.objects.filter(report=report).last()
    assert event is not None
    assert (event.actor, event.from_state, event.to_state) == (None, path[-1], "in_review")
    audit = AuditEvent.objects.get(action="report.reopen_by_reply")
    assert audit.actor is None
    assert audit.details == {"from": path[-1], "to": "in_review"}
    assert "It is back" not in str(audit.details)


def test_the_reopened_report_is_in_the_default_queue_with_its_history(analyst: Staff) -> None:
    report, code = _report()
    _move(analyst, report, "no_action")
    client = Client()
    log_in(client, analyst)
    assert str(report.public_id) not in client.get("/staff/").content.decode()
    Client().post("/status/reply/", {"code": code, "message": "Please look again."})
    assert str(report.public_id) in client.get("/staff/").content.decode()
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert "the reporter&#x27;s reply · Closed: not actionable → In assessment" in page


@pytest.mark.parametrize(
    "path",
    [(), ("in_review",), ("in_review", "assessed"), ("in_review", "assessed", "notice_sent")],
)
def test_a_reply_on_an_open_or_action_report_leaves_its_state(
    analyst: Staff, path: tuple[str, ...]
) -> None:
    report, _ = _report()
    _move(analyst, report, *path)
    before = CaseEvent.objects.count()
    report_add_information(report=report, text="More", evidence=[], hashes=[])
    report.refresh_from_db()
    assert report.status == (path[-1] if path else "received")
    assert CaseEvent.objects.count() == before
    assert not AuditEvent.objects.filter(action="report.reopen_by_reply").exists()


def test_a_resent_reply_reopens_once(analyst: Staff) -> None:
    report, _ = _report()
    _move(analyst, report, "duplicate")
    for _ in range(2):
        report_add_information(report=report, text="More", evidence=[], hashes=[], once_token="t1")
    assert AuditEvent.objects.filter(action="report.reopen_by_reply").count() == 1
    assert report.messages.count() == 1
