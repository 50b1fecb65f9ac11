"""Fixtures of the support tests: reports that asked for help, a support service, staff of
every role, a real SMTP server on 127.0.0.1, and the process fixtures for real workers."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import override_settings

from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.directory.models import SupportService
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from process_helpers import _install_template, free_port, install

__all__ = ["_install_template", "install"]

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


@pytest.fixture
def caseworker(db: None) -> User:
    return make_user("caseworker", "carla", "carla@hotline.example")


@pytest.fixture
def service(db: None) -> SupportService:
    return SupportService.objects.create(
        name_en="Kind Counselling",
        name_km="ការប្រឹក្សាដោយចិត្តល្អ",
        kind="counselling",
        phone="023 999 111",
        hours="8:00-17:00",
    )


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


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    mailers = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        with override_settings(MAILERS=mailers, HOTLINE_STAFF_URL="https://hotline.example"):
            yield handler
    finally:
        controller.stop()
