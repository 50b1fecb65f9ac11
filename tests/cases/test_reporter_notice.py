"""A reporter who agreed to be contacted by e-mail hears that there is news, and nothing more.

A real SMTP server (aiosmtpd) on 127.0.0.1 receives what the task sends; the task runs as a
worker runs it (hotline.tasks.runner.execute, from the queued package).
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django_q.models import OrmQ

from hotline.cases.models import ReporterNotice
from hotline.cases.notify import TASK
from hotline.cases.services import report_state_change
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit, staff_message_send
from hotline.tasks.runner import execute
from staff_login import make_staff

pytestmark = pytest.mark.django_db

NARRATIVE = "Dara threatens to post my photos on Telegram unless I pay 4817 dollars"
KHMER_SUBJECT = "មានព័ត៌មានថ្មីអំពីរបាយការណ៍របស់អ្នក"


class Inbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.raw.append(envelope.content)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    settings.HOTLINE_PUBLIC_URL = "https://hotline.example.org"
    try:
        yield handler
    finally:
        controller.stop()


def run_queued_notices() -> int:
    """Run every queued notice task as a worker does; return how many ran."""
    ran = 0
    for row in OrmQ.objects.all():
        func_path, args, attempt, job_id = row.task["args"][:4]
        if func_path == TASK and attempt == 1:
            execute(func_path, list(args), attempt, job_id)
            ran += 1
    return ran


def _report(**changes: Any) -> tuple[Report, str]:
    values: dict[str, Any] = {
        "reporter_role": "myself",
        "categories": ["sextortion"],
        "narrative": NARRATIVE,
        "contact": "reporter@example.org",
        "consent_contact": True,
        "language": "km",
    }
    values.update(changes)
    submitted = report_submit(data=ReportInput(**values), evidence=[])
    return submitted.report, submitted.receipt_code


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return f"{mail['Subject']}\n{body.get_content()}"


def test_a_state_change_sends_one_khmer_mail_without_content_or_code(inbox: Inbox) -> None:
    analyst = make_staff("analyst").user
    report, code = _report()
    report_state_change(
        actor=analyst, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    assert run_queued_notices() == 1
    assert run_queued_notices() == 1  # the same task delivered again: nothing more is sent
    assert len(inbox.mails) == 1
    mail = inbox.mails[0]
    assert mail["To"] == "reporter@example.org"
    assert mail["Subject"] == KHMER_SUBJECT
    text = _text(mail)
    assert "https://hotline.example.org/" in text
    headers = "\n".join(f"{name}: {value}" for name, value in mail.items())
    for secret in (code, code.replace("-", ""), "Dara", "Telegram", "4817", "In assessment"):
        assert secret not in text, secret
        assert secret not in headers, secret
    assert len(inbox.raw) == 1
    assert ReporterNotice.objects.get().sent_at is not None


def test_a_staff_message_sends_one_mail_in_english_for_an_english_report(inbox: Inbox) -> None:
    analyst = make_staff("analyst").user
    report, code = _report(language="en")
    staff_message_send(actor=analyst, report=report, body="Please send us the link to the page.")
    run_queued_notices()
    run_queued_notices()
    assert len(inbox.mails) == 1
    text = _text(inbox.mails[0])
    assert inbox.mails[0]["Subject"] == "There is news about your report"
    assert "Please send us" not in text
    assert "link to the page" not in text
    assert code not in text


def test_each_event_sends_its_own_mail(inbox: Inbox) -> None:
    analyst = make_staff("analyst").user
    report, _ = _report()
    report_state_change(
        actor=analyst, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    staff_message_send(actor=analyst, report=report, body="Thank you.")
    run_queued_notices()
    assert len(inbox.mails) == 2


def test_without_consent_no_mail_is_queued_or_sent(inbox: Inbox) -> None:
    analyst = make_staff("analyst").user
    report, _ = _report(contact="", consent_contact=False)
    report_state_change(
        actor=analyst, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    staff_message_send(actor=analyst, report=report, body="Hello")
    assert not ReporterNotice.objects.exists()
    assert run_queued_notices() == 0
    assert inbox.mails == []


def test_a_contact_that_is_not_an_e_mail_address_gets_no_mail(inbox: Inbox) -> None:
    analyst = make_staff("analyst").user
    report, _ = _report(contact="012 345 678 (Telegram)")
    staff_message_send(actor=analyst, report=report, body="Hello")
    run_queued_notices()
    assert inbox.mails == []
    notice = ReporterNotice.objects.get()
    assert (notice.sent_at, notice.skipped) == (None, "no e-mail address")


def test_an_smtp_failure_keeps_the_notice_for_a_retry(settings: Any) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _free_port(), "timeout": 2},
        }
    }
    analyst = make_staff("analyst").user
    report, _ = _report()
    staff_message_send(actor=analyst, report=report, body="Hello")
    assert run_queued_notices() == 1
    notice = ReporterNotice.objects.get()
    assert notice.sent_at is None
    assert notice.skipped == ""
    attempts = [row.task["args"][2] for row in OrmQ.objects.all() if row.task["args"][0] == TASK]
    assert sorted(attempts) == [1, 2]  # the worker queued a second attempt, with backoff


def test_the_staff_page_message_sends_the_notice_too(inbox: Inbox) -> None:
    from staff_login import log_in

    staff = make_staff("analyst")
    client = Client()
    log_in(client, staff)
    report, _ = _report()
    client.post(f"/staff/reports/{report.public_id}/", {"body": "Hello from the page"})
    run_queued_notices()
    assert len(inbox.mails) == 1
