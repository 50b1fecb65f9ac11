"""A real `hotline worker` sends the "there is news" e-mail once, to a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from process_helpers import Install, free_port, kill_group, wait_for

pytestmark = pytest.mark.slow

SETUP = """
from hotline.accounts.services import staff_create
from hotline.cases.services import report_state_change
from hotline.intake.services import ReportInput, report_submit
analyst = staff_create(username="analyst", password="a long enough passphrase 42")
submitted = report_submit(data=ReportInput(
    reporter_role="myself", categories=["sextortion"], narrative="Sokha asks for 4817 dollars",
    contact="reporter@example.org", consent_contact=True, language="km"), evidence=[])
report_state_change(actor=analyst, report_id=submitted.report.pk, expected_state="received",
                    to_state="in_review")
print(submitted.receipt_code)
"""


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_the_worker_sends_one_mail_per_event_even_after_a_restart(
    install: Install, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    env = {"HOTLINE_SMTP_HOST": "127.0.0.1", "HOTLINE_SMTP_PORT": str(port)}
    code = install.shell(SETUP, **env).splitlines()[-1]
    worker = install.start("worker", **env)
    wait_for(lambda: inbox.mails, timeout=90, what="the notice e-mail", alive=worker)
    time.sleep(3)  # a second mail, if any, would come within the worker's polls
    kill_group(worker)
    again = install.start("worker", **env)
    time.sleep(5)
    assert again.poll() is None
    assert len(inbox.mails) == 1
    mail = inbox.mails[0]
    assert mail["Subject"] == "មានព័ត៌មានថ្មីអំពីរបាយការណ៍របស់អ្នក"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    for secret in (code, code.replace("-", ""), "Sokha", "4817"):
        assert secret not in body
        assert secret not in str(mail["Subject"])
