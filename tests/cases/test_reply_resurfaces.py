"""A reporter's reply brings a report back to the analysts' queue whatever its state (a
notice sent, a referral made), until a member of staff deals with it. Through the real reply
path: the public status page's reply form."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.cases.models import ReplyWaiting
from hotline.cases.services import report_state_change
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.triage.selectors import queue_reports, queue_row
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db
ACTION_PATHS = [
    ("in_review", "assessed", "notice_sent"),
    ("in_review", "assessed", "referred_police"),
    ("in_review", "assessed", "sent_to_partner"),
]


@pytest.fixture
def analyst() -> Staff:
    return make_staff("analyst")


def _acted_report(staff: Staff, path: tuple[str, ...]) -> tuple[Report, str]:
    submitted = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    )
    report = submitted.report
    for state in path:
        current = Report.objects.get(pk=report.pk).status
        report_state_change(
            actor=staff.user, report_id=report.pk, expected_state=current, to_state=state
        )
    return report, submitted.receipt_code


def _reply(code: str, text: str = "He sent the photos to my class today.") -> None:
    answer = Client().post("/status/reply/", {"code": code, "message": text})
    assert answer.status_code == 303


def _waiting_ids() -> set[int]:
    return set(queue_reports({}).values_list("pk", flat=True))


@pytest.mark.parametrize("path", ACTION_PATHS)
def test_a_reply_on_a_case_in_an_action_state_puts_it_back_in_the_default_queue(
    analyst: Staff, path: tuple[str, ...]
) -> None:
    report, code = _acted_report(analyst, path)
    assert report.pk not in _waiting_ids()

    _reply(code)

    report.refresh_from_db()
    assert report.status == path[-1]  # the notice or referral still stands
    assert report.pk in _waiting_ids()
    assert report.pk in set(queue_reports({"state": "replied"}).values_list("pk", flat=True))
    loaded = queue_reports({}).get(pk=report.pk)
    assert queue_row(loaded).reply.startswith("the reporter wrote again")
    audit = AuditEvent.objects.get(action="report.reply_waiting", target_id=str(report.public_id))
    assert audit.actor is None
    assert audit.details == {"state": path[-1]}
    assert "photos" not in str(audit.details)


def test_the_queue_page_shows_the_reply_and_the_button_deals_with_it(analyst: Staff) -> None:
    report, code = _acted_report(analyst, ACTION_PATHS[0])
    client = Client()
    log_in(client, analyst)
    _reply(code)
    queue = client.get("/staff/").content.decode()
    assert str(report.public_id) in queue
    assert "the reporter wrote again" in queue
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert 'id="case-reply-waiting"' in page

    done = client.post(f"/staff/cases/{report.public_id}/reply-handled/")
    assert done.status_code == 302
    assert report.pk not in _waiting_ids()
    assert AuditEvent.objects.filter(
        action="report.reply_handled", actor=analyst.user, details={"how": "marked"}
    ).exists()
    again = client.post(f"/staff/cases/{report.public_id}/reply-handled/")
    assert again.status_code == 409
    assert "No reply from the reporter is waiting" in again.content.decode()


def test_answering_the_reporter_deals_with_the_reply(analyst: Staff) -> None:
    report, code = _acted_report(analyst, ACTION_PATHS[1])
    client = Client()
    log_in(client, analyst)
    _reply(code)
    sent = client.post(f"/staff/reports/{report.public_id}/", {"body": "Thank you, we see it."})
    assert sent.status_code == 302
    assert not ReplyWaiting.objects.filter(report=report).exists()
    assert report.pk not in _waiting_ids()
    assert AuditEvent.objects.filter(
        action="report.reply_handled", details={"how": "answered"}
    ).exists()


def test_a_state_change_deals_with_the_reply(analyst: Staff) -> None:
    report, code = _acted_report(analyst, ACTION_PATHS[0])
    _reply(code)
    report_state_change(
        actor=analyst.user, report_id=report.pk, expected_state="notice_sent", to_state="closed"
    )
    assert not ReplyWaiting.objects.filter(report=report).exists()
    assert report.pk not in _waiting_ids()


def test_a_second_reply_keeps_the_first_time_and_audits_once(analyst: Staff) -> None:
    report, code = _acted_report(analyst, ACTION_PATHS[0])
    _reply(code, "first")
    since = ReplyWaiting.objects.get(report=report).since
    _reply(code, "second")
    assert ReplyWaiting.objects.get(report=report).since == since
    assert AuditEvent.objects.filter(action="report.reply_waiting").count() == 1


def test_a_reply_on_a_closed_case_reopens_it_and_marks_it(analyst: Staff) -> None:
    report, code = _acted_report(analyst, ("no_action",))
    _reply(code)
    report.refresh_from_db()
    assert report.status == "in_review"
    assert ReplyWaiting.objects.filter(report=report).exists()


def test_staff_without_access_to_the_narrative_cannot_mark_it_and_get_403(analyst: Staff) -> None:
    report, code = _acted_report(analyst, ACTION_PATHS[0])
    _reply(code)
    admin = make_staff("admin", role="administrator")
    client = Client()
    log_in(client, admin)
    refused = client.post(f"/staff/cases/{report.public_id}/reply-handled/")
    assert refused.status_code == 403
    assert ReplyWaiting.objects.filter(report=report).exists()


def test_marking_needs_post_and_a_real_report(analyst: Staff) -> None:
    client = Client()
    log_in(client, analyst)
    report, _ = _acted_report(analyst, ACTION_PATHS[0])
    assert client.get(f"/staff/cases/{report.public_id}/reply-handled/").status_code == 405
    assert (
        client.post("/staff/cases/00000000-0000-0000-0000-000000000000/reply-handled/").status_code
        == 404
    )
    assert client.post("/staff/cases/not-a-uuid/reply-handled/").status_code == 404
