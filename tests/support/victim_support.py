"""Helpers of the support tests: reports that asked for help, staff of every role, and an
SMTP inbox handler (a module of its own: `conftest` names collide across test folders)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session

from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit

ROLES = ["analyst", "senior_analyst", "caseworker", "liaison", "administrator"]
NARRATIVE = "Quillfeather frightened my cousin at the market ខ្ញុំខ្លាចណាស់"


def make_user(role: str, name: str = "", email_address: str = "") -> User:
    user = staff_create(username=name or role, password="a long enough passphrase 42", role=role)  # type: ignore[arg-type]
    if email_address:
        User.objects.filter(pk=user.pk).update(email=email_address)
        user.refresh_from_db()
    return user


def help_report(
    *,
    help_wanted: tuple[str, ...] = ("counsellor",),
    contact: str = "012 345 678",
    consent: bool = True,
) -> Report:
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        narrative=NARRATIVE,
        help_wanted=list(help_wanted),
        contact=contact,
        consent_contact=consent,
    )
    return report_submit(data=data, evidence=[]).report


class Inbox:
    """An aiosmtpd handler that keeps what it receives; may refuse the first messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"
