"""Shared set-up of the notice tests: an assessed report with identifiers, staff, SMTP inbox."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.cases.services import report_state_change
from hotline.entities.services import report_entity_add
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from process_helpers import free_port

# What the reporter said and how to reach them: none of it may reach a platform or partner.
REPORTER_SECRETS = (
    "Sreymom Chan",
    "reporter.sreymom@example.org",
    "+855 12 345 678",
    "she met him at Phsar Thmei",
)
URL_UNKNOWN_HOST = "https://files.badhost.example/album/7731"
TELEGRAM_GROUP = "https://t.me/cambo_leaks_9932"
FACEBOOK_PAGE = "https://www.facebook.com/some.page.4471"

ROLES = ["analyst", "senior_analyst", "caseworker", "liaison", "administrator"]


def staff(username: str = "analyst", role: str = "analyst") -> User:
    return staff_create(username=username, password="a long enough passphrase 42", role=role)


def assessed_report(actor: User, identifiers: tuple[str, ...] = ()) -> Report:
    """A report moved to "assessed", with the reporter's details and these identifiers."""
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        narrative=f"My name is {REPORTER_SECRETS[0]} and {REPORTER_SECRETS[3]}.",
        contact=REPORTER_SECRETS[1],
        phones=[REPORTER_SECRETS[2]],
        consent_contact=True,
        language="km",
    )
    report = report_submit(data=data, evidence=[]).report
    for text in identifiers or (TELEGRAM_GROUP, FACEBOOK_PAGE, URL_UNKNOWN_HOST):
        report_entity_add(report=report, text=text, actor=actor)
    for before, after in (("received", "in_review"), ("in_review", "assessed")):
        report_state_change(actor=actor, report_id=report.pk, expected_state=before, to_state=after)
    report.refresh_from_db()
    return report


class Inbox:
    """An aiosmtpd handler that keeps what it receives; can refuse the next N messages."""

    def __init__(self) -> None:
        self.mails: list[Any] = []
        self.refuse = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse:
            self.refuse -= 1
            return "451 try again later"
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def smtp_settings(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(MAILERS=smtp_settings(port)):
            yield handler
    finally:
        controller.stop()
