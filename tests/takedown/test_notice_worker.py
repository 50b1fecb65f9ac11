"""A real `hotline worker` sends takedown notices to a real SMTP server on 127.0.0.1.

- Killed (SIGKILL of its whole process group) while the SMTP server holds the notice but
  before the worker could record it sent: the replacement worker does not send it again; the
  notice is "failed" with a reason saying it may have arrived (at most once).
- The SMTP server down: the notice stays queued and is retried with backoff; once the server
  is up it is sent, once.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from process_helpers import (
    Install,
    _install_template,
    free_port,
    group_alive,
    install,
    kill_group,
    log_of,
    wait_for,
)

__all__ = ["_install_template", "install"]

pytestmark = pytest.mark.slow

FAST = {
    "HOTLINE_TASK_TIMEOUT": "20",
    "HOTLINE_TASK_RETRY": "30",
    "HOTLINE_WORKER_PROCESSES": "1",
    "HOTLINE_WORKER_HEARTBEAT_SECONDS": "1",  # a killed cluster is stale after 3 s
    "HOTLINE_TASK_BACKOFF_SECONDS": "1",
    "HOTLINE_TASK_BACKOFF_MAX_SECONDS": "2",
}

SETUP = """
from hotline.accounts.services import staff_create
from hotline.cases.services import report_state_change
from hotline.entities.services import report_entity_add
from hotline.intake.services import ReportInput, report_submit
from hotline.takedown.selectors import notice_candidates
from hotline.takedown.services import notices_create
analyst = staff_create(username="analyst", password="a long enough passphrase 42")
report = report_submit(data=ReportInput(
    reporter_role="myself", categories=["sextortion"], narrative="Sokha asks for 4817 dollars",
    contact="reporter@example.org", language="km"), evidence=[]).report
report_entity_add(report=report, text="https://t.me/cambo_leaks_9932", actor=analyst)
for before, after in (("received", "in_review"), ("in_review", "assessed")):
    report_state_change(actor=analyst, report_id=report.pk, expected_state=before, to_state=after)
ids = [c.entity.pk for g in notice_candidates(actor=analyst, report=report) for c in g.candidates]
print(notices_create(actor=analyst, report_id=report.pk, entity_ids=ids).notices[0].pk)
"""

STATE = """
from hotline.takedown.models import Notice
n = Notice.objects.get(pk={pk})
print(n.state, n.attempts, "|", n.last_error)
"""


class KillingInbox:
    """Keeps each message; for the first one, kills the sending worker before answering 250.

    The server then holds the message (it would deliver it) while the worker never learns it
    was accepted: the case that must not turn into a second notice.
    """

    def __init__(self) -> None:
        self.mails: list[Any] = []
        self.kill_pgid = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        if self.kill_pgid:
            pgid, self.kill_pgid = self.kill_pgid, 0
            os.killpg(pgid, signal.SIGKILL)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[KillingInbox, int]]:
    inbox = KillingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _state(install: Install, pk: int) -> str:
    return install.shell(STATE.format(pk=pk)).splitlines()[-1]


def test_a_worker_killed_mid_send_does_not_send_the_notice_twice(
    install: Install, smtp: tuple[KillingInbox, int]
) -> None:
    inbox, port = smtp
    env = {**FAST, "HOTLINE_SMTP_HOST": "127.0.0.1", "HOTLINE_SMTP_PORT": str(port)}
    pk = int(install.shell(SETUP, **env).splitlines()[-1])
    first = install.start("worker", **env)
    inbox.kill_pgid = first.pid
    wait_for(lambda: inbox.mails, timeout=90, what="the notice at the SMTP server", alive=None)
    wait_for(lambda: not group_alive(first.pid), timeout=10, what="the worker to die")
    kill_group(first)
    assert _state(install, pk).startswith("queued 1")  # the claim is there, not "sent"

    second = install.start("worker", **env)
    wait_for(
        lambda: not _state(install, pk).startswith("queued"),
        timeout=90,
        what="the replacement worker to take the notice up",
        alive=second,
    )
    time.sleep(3)  # a second mail, if any, would come within the worker's polls
    state = _state(install, pk)
    assert state.startswith("failed 1"), state
    assert "may have received it" in state
    assert len(inbox.mails) == 1, log_of(second)
    mail = inbox.mails[0]
    assert mail["To"] == "stopCA@telegram.org"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "t.me/cambo_leaks_9932" in body
    for secret in ("Sokha", "4817", "reporter@example.org"):
        assert secret not in body


def test_smtp_down_keeps_the_notice_queued_and_it_is_sent_once_when_the_server_is_back(
    install: Install,
) -> None:
    port = free_port()
    env = {**FAST, "HOTLINE_SMTP_HOST": "127.0.0.1", "HOTLINE_SMTP_PORT": str(port)}
    pk = int(install.shell(SETUP, **env).splitlines()[-1])
    worker = install.start("worker", **env)
    wait_for(
        lambda: int(_state(install, pk).split()[1]) >= 2,
        timeout=90,
        what="two failed attempts",
        alive=worker,
    )
    assert _state(install, pk).startswith("queued")  # nothing marked sent that was not
    inbox = KillingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        wait_for(lambda: inbox.mails, timeout=90, what="the notice, retried", alive=worker)
        wait_for(
            lambda: _state(install, pk).startswith("sent"),
            timeout=30,
            what="the notice marked sent",
        )
        time.sleep(3)
        assert len(inbox.mails) == 1
    finally:
        controller.stop()
