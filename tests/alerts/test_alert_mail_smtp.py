"""The alert e-mail reaches a real SMTP server on 127.0.0.1 once, with nothing of the report."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import override_settings

from hotline.alerts.models import Alert
from hotline.alerts.services import alert_mail_send
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from hotline.sitesettings.services import site_settings_update
from process_helpers import free_port
from staff_login import make_staff

pytestmark = pytest.mark.django_db

# Words of the report, none of which may reach the mail.
NARRATIVE = "Zanzibarquartz threatened my sister on Tuesday ខ្ញុំខ្លាចណាស់"
WORDS = ["Zanzibarquartz", "sister", "Tuesday", "ខ្លាច", "zanzi_handle", "sextortion"]


class Inbox:
    """An aiosmtpd handler that keeps what it receives; may refuse the first messages."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.refuse = 0

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope, message))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailers = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }
        with override_settings(MAILERS=mailers, HOTLINE_STAFF_URL="https://hotline.example"):
            yield handler
    finally:
        controller.stop()


def _urgent_report() -> Report:
    data = ReportInput(
        reporter_role="someone_i_know",
        categories=["sextortion"],
        narrative=NARRATIVE,
        usernames=["zanzi_handle"],
        in_danger=True,
    )
    report = report_submit(data=data, evidence=[]).report
    report_process(report.pk)
    return report


def _recipients(**fields: Any) -> None:
    admin = make_staff("admin", role="administrator", email="admin@hotline.example").user
    values: dict[str, Any] = {
        "name_en": "Safe Online",
        "name_km": "សុវត្ថិភាពអនឡាញ",
        "phone_numbers": [],
        "alert_emails": ["duty@hotline.example"],
        "alert_staff": [admin],
        "on_duty": [],
        **fields,
    }
    site_settings_update(actor=admin, **values)


def test_one_mail_without_report_content_reaches_the_smtp_server(inbox: Inbox) -> None:
    _recipients()
    report = _urgent_report()
    alert = Alert.objects.get(report=report)
    assert alert_mail_send(alert_id=alert.pk) == Alert.MailState.SENT
    assert alert_mail_send(alert_id=alert.pk) == Alert.MailState.SENT  # redelivered task
    assert len(inbox.messages) == 1
    envelope, message = inbox.messages[0]
    assert sorted(envelope.rcpt_tos) == ["admin@hotline.example", "duty@hotline.example"]
    assert "duty@hotline.example" not in str(message["To"])  # recipients are in Bcc only
    subject = str(message["Subject"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "a report needs attention now" in subject
    assert "A report needs attention now." in text
    assert "https://hotline.example/staff/" in text
    for word in [*WORDS, str(report.public_id), str(report.pk) + "/"]:
        assert word not in subject, word
        assert word not in text, word
    alert.refresh_from_db()
    assert alert.mail_sent_at is not None
    assert alert.mail_recipients == 2
    assert AuditEvent.objects.filter(action="alert.mail").count() == 1


def test_the_khmer_subject_arrives_intact(inbox: Inbox) -> None:
    _recipients()
    alert_mail_send(alert_id=Alert.objects.get(report=_urgent_report()).pk)
    _, message = inbox.messages[0]
    assert str(message["Subject"]) == (
        "Safe Online: a report needs attention now · របាយការណ៍មួយត្រូវការការយកចិត្តទុកដាក់ឥឡូវនេះ"
    )
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "សុវត្ថិភាពអនឡាញ: របាយការណ៍មួយត្រូវការការយកចិត្តទុកដាក់ឥឡូវនេះ។" in body.get_content()


def test_a_refused_send_is_retried_and_then_sent_once(inbox: Inbox) -> None:
    _recipients()
    alert = Alert.objects.get(report=_urgent_report())
    inbox.refuse = 1
    with pytest.raises(Exception, match="try again later"):
        alert_mail_send(alert_id=alert.pk)
    alert.refresh_from_db()
    assert alert.mail_state == Alert.MailState.PENDING  # not recorded as sent: sent again
    assert alert_mail_send(alert_id=alert.pk) == Alert.MailState.SENT
    assert alert_mail_send(alert_id=alert.pk) == Alert.MailState.SENT
    assert len(inbox.messages) == 1
