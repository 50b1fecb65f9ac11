"""A real worker turns a report in danger into one alert e-mail, even when killed mid-send."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from process_helpers import Install, free_port, group_alive, kill_group, log_of, wait_for
from smtp_stubs import StallingInbox

pytestmark = pytest.mark.slow

NARRATIVE = "Quokkaverde took my photos and waits outside ខ្ញុំខ្លាចណាស់"
WORKER = {
    "HOTLINE_TASK_TIMEOUT": "60",
    "HOTLINE_TASK_RETRY": "300",  # the lease: the kill must be noticed by the heartbeat instead
    "HOTLINE_WORKER_HEARTBEAT_SECONDS": "1",
    "HOTLINE_WORKER_PROCESSES": "1",
}


def _alert_state(install: Install) -> str:
    return install.shell(
        "from hotline.alerts.models import Alert\n"
        "print(list(Alert.objects.values_list('mail_state', flat=True)))"
    )


def test_a_worker_killed_mid_send_leaves_the_mail_to_its_successor_which_sends_it_once(
    install: Install,
) -> None:
    inbox = StallingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {"HOTLINE_SMTP_HOST": "127.0.0.1", "HOTLINE_SMTP_PORT": str(port)}
    try:
        install.shell(
            "from hotline.sitesettings.models import SiteSettings\n"
            "SiteSettings.objects.create(pk=1, alert_emails=['duty@hotline.example'])\n"
            "from hotline.intake.services import ReportInput, report_submit\n"
            "report_submit(data=ReportInput(reporter_role='myself', categories=['sextortion'],"
            f" narrative={NARRATIVE!r}, in_danger=True), evidence=[])"
        )
        doomed = install.start("worker", **WORKER, **smtp)
        wait_for(
            inbox.first_arrived.is_set, timeout=90, what="the alert mail to be sent", alive=doomed
        )
        kill_group(doomed)  # mid-send: the message is on the wire, not acknowledged
        wait_for(lambda: not group_alive(doomed.pid), timeout=10, what="the worker to die")
        inbox.release.set()
        assert _alert_state(install) == "['pending']"

        successor = install.start("worker", **WORKER, **smtp)
        wait_for(
            lambda: inbox.messages, timeout=90, what="the mail to be sent again", alive=successor
        )
        wait_for(lambda: _alert_state(install) == "['sent']", timeout=30, what="the mail recorded")
        # Recorded as sent: the successor's next polls send nothing more.
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
        (message,) = inbox.messages
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        text = str(message["Subject"]) + body.get_content()
        assert "A report needs attention now." in text
        for word in ("Quokkaverde", "photos", "outside", "ខ្លាច"):
            assert word not in text
        assert "Traceback" not in log_of(successor)
    finally:
        inbox.release.set()
        controller.stop()
