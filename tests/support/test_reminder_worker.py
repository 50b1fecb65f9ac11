"""A real worker sends a due follow-up's reminder once, even when killed mid-send, and its
periodic job running again queues nothing more; its pipeline opens a support case once."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from process_helpers import Install, free_port, group_alive, kill_group, log_of, wait_for
from smtp_stubs import StallingInbox

pytestmark = pytest.mark.slow

WORKER = {
    "HOTLINE_TASK_TIMEOUT": "60",
    "HOTLINE_TASK_RETRY": "300",  # the lease: the kill must be noticed by the heartbeat instead
    "HOTLINE_WORKER_HEARTBEAT_SECONDS": "1",
    "HOTLINE_WORKER_PROCESSES": "1",
}
SET_UP = """
from django.utils import timezone
from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.intake.services import ReportInput, report_submit
from hotline.support import services
cw = staff_create(username="carla", password="a long enough passphrase 42", role="caseworker")
User.objects.filter(pk=cw.pk).update(email="carla@hotline.example")
cw.refresh_from_db()
report = report_submit(data=ReportInput(reporter_role="myself", categories=["sextortion"],
    narrative="Marigoldsecret", help_wanted=["counsellor"], contact="012", consent_contact=True),
    evidence=[]).report
case = services.support_case_open(actor=cw, report=report)
services.support_case_assign(actor=cw, case=case, assignee=cw)
services.follow_up_add(actor=cw, case=case, due_on=timezone.localdate())
report_submit(data=ReportInput(reporter_role="myself", categories=["sextortion"],
    help_wanted=["legal"]), evidence=[])
"""


def _state(install: Install) -> str:
    return install.shell(
        "from hotline.support.models import FollowUp\n"
        "print(list(FollowUp.objects.values_list('reminder_state', flat=True)))"
    )


def test_a_worker_killed_mid_send_leaves_the_reminder_to_its_successor_which_sends_it_once(
    install: Install,
) -> None:
    inbox = StallingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {"HOTLINE_SMTP_HOST": "127.0.0.1", "HOTLINE_SMTP_PORT": str(port)}
    try:
        install.shell(SET_UP)
        doomed = install.start("worker", **WORKER, **smtp)
        wait_for(
            inbox.first_arrived.is_set, timeout=90, what="the reminder to be sent", alive=doomed
        )
        kill_group(doomed)  # mid-send: the message is on the wire, not acknowledged
        wait_for(lambda: not group_alive(doomed.pid), timeout=10, what="the worker to die")
        inbox.release.set()
        assert _state(install) == "['pending']"

        successor = install.start("worker", **WORKER, **smtp)
        wait_for(lambda: inbox.messages, timeout=90, what="the reminder again", alive=successor)
        wait_for(lambda: _state(install) == "['sent']", timeout=30, what="the reminder recorded")
        # The periodic job runs again (as at every worker start): nothing more is queued.
        install.shell("from hotline.support.tasks import reminders_raise; print(reminders_raise())")
        wait_for(
            lambda: (
                "ready=0, taken=0"
                in install.shell(
                    "from hotline.tasks.selectors import queue_status; print(queue_status())"
                )
            ),
            timeout=30,
            what="the queue to empty",
        )
        # The worker's pipeline opened the case of the report that asked for legal help, once.
        assert (
            install.shell(
                "from hotline.support.models import SupportCase\n"
                "print(SupportCase.objects.filter(opened_by__isnull=True).count())"
            )
            == "1"
        )
        (message,) = inbox.messages
        assert message["To"] == "carla@hotline.example"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        assert "Marigoldsecret" not in str(message["Subject"]) + body.get_content()
        assert "Traceback" not in log_of(successor)
    finally:
        inbox.release.set()
        controller.stop()
