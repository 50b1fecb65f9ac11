"""A real worker SIGKILLed in the middle of a re-check run: what was recorded is whole, the
task runs again, every target is removed exactly once and nothing is half-written.

The hosts (a real HTTP server in this process) answer 404 slowly to targets whose previous
check, an hour ago, was already "gone": each check removes its target. The worker's process
group is killed once some removals are recorded and others are not.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from net_stubs import answer, http_server
from process_helpers import Install, _install_template, install, kill_group  # noqa: F401

pytestmark = pytest.mark.slow

TARGETS = 120
SUPPORT = str(Path(__file__).resolve().parent)
WORKER_ENV = {
    "HOTLINE_TASK_TIMEOUT": "300",
    "HOTLINE_WORKER_PROCESSES": "1",
    "HOTLINE_FETCH_ALLOWED_TEST_NETWORKS": "127.0.0.1/32",
    "HOTLINE_TAKEDOWN_CHECK_CONCURRENCY": "4",
}

SETUP = """
from datetime import timedelta
from django.utils import timezone
from recheck_support import earlier_check, noticed_report, target_for
report = noticed_report()
now = timezone.now()
for i in range({count}):
    target = target_for(report, "http://127.0.0.1:{port}/k/%d" % i,
                        noticed_at=now - timedelta(hours=30), due_at=now - timedelta(minutes=1))
    earlier_check(target, outcome="gone", at=now - timedelta(hours=1), status=404)
"""

STATE = """
import json
from hotline.audit.models import AuditEvent
from hotline.takedown.models import LivenessCheck, Target
rows = []
for t in Target.objects.order_by("pk"):
    rows.append({
        "state": t.state,
        "removed_at_is_first_gone": t.removed_at == t.checks.order_by("at", "id").first().at,
        "checks": t.checks.count(),
        "removals": AuditEvent.objects.filter(
            action="takedown.target_removed", target_id=str(t.public_id)).count(),
    })
print(json.dumps({
    "rows": rows,
    "content_removed": AuditEvent.objects.filter(action="takedown.report_content_removed").count(),
}))
"""

ENQUEUE = (
    "from hotline.tasks.queue import enqueue\n"
    "enqueue('hotline.takedown.rechecks.takedown_recheck_task')"
)


def _state(install: Install) -> dict[str, object]:  # noqa: F811
    return json.loads(install.shell(STATE).splitlines()[-1])


def _slow_gone(conn, head):  # type: ignore[no-untyped-def]
    time.sleep(0.25)
    answer(404)(conn, head)


def test_a_worker_killed_mid_recheck_leaves_each_target_whole_and_removes_once(
    install: Install,  # noqa: F811
) -> None:
    with http_server(_slow_gone) as (port, _seen):
        install.shell(SETUP.format(count=TARGETS, port=port), PYTHONPATH=SUPPORT)
        worker = install.start("worker", **WORKER_ENV)
        install.shell(ENQUEUE)
        install.shell(
            "import time\n"
            "from hotline.takedown.models import Target\n"
            "deadline = time.monotonic() + 180\n"
            "while Target.objects.filter(state='removed').count() < 5 "
            "and time.monotonic() < deadline:\n"
            "    time.sleep(0.02)\n"
        )
        kill_group(worker)

        state = _state(install)
        rows = state["rows"]
        assert isinstance(rows, list)
        removed = [r for r in rows if r["state"] == "removed"]
        assert 5 <= len(removed) < TARGETS, "the kill must land in the middle of the run"
        for row in rows:
            if row["state"] == "removed":
                # Recorded whole: the check that removed it, the time, one audit event.
                assert (row["checks"], row["removals"]) == (2, 1)
                assert row["removed_at_is_first_gone"]
            else:
                assert (row["checks"], row["removals"]) == (1, 0)

        # The task runs again (a new worker); every target ends removed, each exactly once.
        again = install.start("worker", **WORKER_ENV)
        install.shell(ENQUEUE)
        install.shell(
            "import time\n"
            "from hotline.takedown.models import Target\n"
            "deadline = time.monotonic() + 180\n"
            "while Target.objects.exclude(state='removed').exists() "
            "and time.monotonic() < deadline:\n"
            "    time.sleep(0.05)\n"
        )
        time.sleep(2)  # let a redelivered or scheduled second run finish too
        kill_group(again)
    state = _state(install)
    rows = state["rows"]
    assert isinstance(rows, list)
    assert all(r["state"] == "removed" for r in rows)
    assert all(r["removals"] == 1 and r["removed_at_is_first_gone"] for r in rows)
    assert state["content_removed"] == 1
    done = install.run("takedown-recheck", **WORKER_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("checked 0 ")
