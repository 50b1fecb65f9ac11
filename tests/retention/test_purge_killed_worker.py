"""A real worker SIGKILLed in the middle of a retention purge leaves nothing half-purged.

`hotline worker` runs the purge task against a throwaway install (SQLite, or PostgreSQL when
the suite runs on it) full of expired reports with encrypted files; the worker's process group
is killed once some reports are purged and others are not. Every report is then either
untouched or purged (its files, if any are left, listed for the next run); a second run
finishes the work, and each report was purged, and audited, exactly once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from process_helpers import Install, kill_group

pytestmark = pytest.mark.slow

REPORTS = 300
SUPPORT = str(Path(__file__).resolve().parent)
SLOW_TASKS = {"HOTLINE_TASK_TIMEOUT": "300", "HOTLINE_WORKER_PROCESSES": "1"}

STATE = """
import json
from pathlib import Path
from django.conf import settings
from hotline.audit.models import AuditEvent
from hotline.intake.models import EvidenceFile, Message, Report
from hotline.intake.selectors import report_details
from hotline.retention.models import PurgedReport
rows = []
for report in Report.objects.order_by("pk"):
    purge = PurgedReport.objects.filter(report=report).first()
    rows.append({
        "purged": purge is not None,
        "pending": list(purge.files_pending) if purge else [],
        "messages": Message.objects.filter(report=report).count(),
        "files": EvidenceFile.objects.filter(report=report).count(),
        "details": sorted(report_details(report)),
        "receipt": report.receipt_digest is not None,
    })
on_disk = sorted(p.name for p in Path(settings.UPLOAD_DIR).iterdir() if p.is_file())
audits = AuditEvent.objects.filter(action="retention.report_purge").count()
print(json.dumps({"rows": rows, "on_disk": on_disk, "audits": audits}))
"""


def _state(install: Install) -> dict[str, object]:
    return json.loads(install.shell(STATE).splitlines()[-1])


def test_a_worker_killed_mid_purge_leaves_each_report_whole_or_purged(install: Install) -> None:
    install.shell(
        "from retention_support import full_report\n"
        f"for _ in range({REPORTS}): full_report(state='no_action', days_ago=120)",
        PYTHONPATH=SUPPORT,
    )
    worker = install.start("worker", **SLOW_TASKS)
    install.shell(
        "from hotline.tasks.queue import enqueue\n"
        "enqueue('hotline.retention.services.retention_purge_task')"
    )
    # Wait in one process (a poll costs milliseconds there) until the purge is under way.
    install.shell(
        "import time\n"
        "from hotline.retention.models import PurgedReport\n"
        "deadline = time.monotonic() + 180\n"
        "while PurgedReport.objects.count() < 5 and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
    )
    kill_group(worker)

    state = _state(install)
    rows = state["rows"]
    assert isinstance(rows, list)
    purged = [r for r in rows if r["purged"]]
    assert 5 <= len(purged) < REPORTS, "the kill must land in the middle of the purge"
    on_disk = set(state["on_disk"])  # type: ignore[arg-type]
    for row in rows:
        if row["purged"]:
            assert (row["messages"], row["files"], row["details"], row["receipt"]) == (
                0,
                0,
                [],
                False,
            )
        else:
            assert row["messages"] == 2
            assert row["files"] == 1
            assert "narrative" in row["details"]
            assert row["receipt"] is True
    pending = {name for row in rows for name in row["pending"]}
    # Files still on disk belong to untouched reports, or are listed to be removed.
    untouched_files = 2 * (REPORTS - len(purged))
    assert len(on_disk - pending) == untouched_files
    assert state["audits"] == len(purged)

    finished = install.run("retention", "purge")
    assert finished.returncode == 0, finished.stderr
    state = _state(install)
    rows = state["rows"]
    assert isinstance(rows, list)
    assert all(r["purged"] and r["pending"] == [] and r["messages"] == 0 for r in rows)
    assert state["on_disk"] == []
    assert state["audits"] == REPORTS  # each report purged and audited once
    again = install.run("retention", "purge")
    assert "purged 0 reports" in again.stdout
