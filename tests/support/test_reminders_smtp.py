"""Follow-up reminders reach a real SMTP server on 127.0.0.1 once, with nothing of the case:
the periodic task run twice queues one mail, the mail task run twice sends one, an SMTP
refusal leaves it pending for the retry."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from victim_support import NARRATIVE, Inbox, help_report, make_user

from hotline.support import services, tasks
from hotline.support.models import FollowUp, SupportCase

pytestmark = pytest.mark.django_db


def _due_follow_up(*, email_address: str = "carla@hotline.example", days: int = 0) -> FollowUp:
    caseworker = make_user("caseworker", f"cw{FollowUp.objects.count()}", email_address)
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    services.support_case_assign(actor=caseworker, case=case, assignee=caseworker)
    services.note_add(actor=caseworker, case=case, body="Marigoldsecret said she is afraid")
    return services.follow_up_add(
        actor=caseworker, case=case, due_on=timezone.localdate() + timedelta(days=days)
    )


def _queued_reminders() -> int:
    return sum(1 for task in OrmQ.objects.all() if services.REMINDER_TASK in str(task.task))


def test_a_due_follow_up_is_reminded_once_by_mail_without_content(inbox: Inbox) -> None:
    follow_up = _due_follow_up()
    assert tasks.reminders_raise() == 1
    assert tasks.reminders_raise() == 0  # the periodic task ran again: nothing more queued
    assert _queued_reminders() == 1
    tasks.reminder_mail_send(follow_up.pk)
    tasks.reminder_mail_send(follow_up.pk)  # redelivered after success: nothing sent
    (message,) = inbox.messages
    assert message["To"] == "carla@hotline.example"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(message["Subject"]) + body.get_content()
    assert "follow-up" in text
    assert "https://hotline.example/staff/support/" in text
    case = SupportCase.objects.get(pk=follow_up.case_id)
    for secret in (
        "Marigoldsecret",
        "afraid",
        "Quillfeather",
        NARRATIVE[:10],
        str(case.public_id),
        str(case.report.public_id),
    ):
        assert secret not in text
    follow_up.refresh_from_db()
    assert follow_up.reminder_state == "sent"
    assert follow_up.reminded_at is not None


def test_a_follow_up_not_yet_due_or_done_is_not_reminded(inbox: Inbox) -> None:
    later = _due_follow_up(days=2)
    done = _due_follow_up()
    services.follow_up_done(actor=done.set_by, case=done.case, follow_up_id=str(done.public_id))
    assert tasks.reminders_raise() == 0
    later.refresh_from_db()
    assert later.reminder_state == "waiting"
    assert services.reminders_raise(today=timezone.localdate() + timedelta(days=2)) == 1


def test_smtp_refusing_leaves_the_reminder_pending_for_the_retry(inbox: Inbox) -> None:
    follow_up = _due_follow_up()
    services.reminders_raise()
    inbox.refuse = 1
    with pytest.raises(smtplib.SMTPException):
        services.reminder_mail_send(follow_up_id=follow_up.pk)
    follow_up.refresh_from_db()
    assert follow_up.reminder_state == "pending"
    assert inbox.messages == []
    assert services.reminder_mail_send(follow_up_id=follow_up.pk) == "sent"
    assert len(inbox.messages) == 1


def test_no_address_means_an_in_page_reminder_only(inbox: Inbox) -> None:
    follow_up = _due_follow_up(email_address="")
    services.reminders_raise()
    assert services.reminder_mail_send(follow_up_id=follow_up.pk) == "no_address"
    assert inbox.messages == []


def test_the_periodic_job_is_installed() -> None:
    from hotline.tasks.services import PERIODIC

    assert any(job.func_path == "hotline.support.tasks.reminders_raise" for job in PERIODIC)
