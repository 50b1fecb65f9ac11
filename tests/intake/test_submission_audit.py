"""Every submission gets exactly one audit event, appended by the workers, not by the request.

The event is appended when a worker queues the report's processing
(reports_pipeline_dispatch), in the same transaction as the mark that says it was queued. A
public submission never takes the audit chain's lock: when it did, every report's request
queued behind the others' commits (docs/decisions/intake-hot-path.md).
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection

from hotline.audit.models import AuditEvent
from hotline.audit.services import audit_verify
from hotline.intake.models import Report
from hotline.intake.services import (
    ReportInput,
    report_add_information,
    report_submit,
    reports_pipeline_dispatch,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(narrative: str = "someone threatens me") -> Report:
    data = ReportInput(reporter_role="victim", categories=["sextortion"], narrative=narrative)
    return report_submit(data=data, evidence=[]).report


def _submit_events(report: Report) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="intake.submit", target_type="report", target_id=str(report.public_id)
        )
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time anyway: there is no row lock to wait behind",
)
def test_a_public_submission_does_not_wait_for_the_audit_chains_lock() -> None:
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=False,
    )
    try:
        # Another transaction (a staff action, a worker's batch) holds the chain's head.
        other.execute("SELECT 1 FROM audit_audithead WHERE id = 1 FOR UPDATE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            report = _submit()
        except OperationalError as exc:  # pragma: no cover - the defect this test guards
            pytest.fail(f"the submission waited for the audit chain's lock: {exc}")
        assert Report.objects.filter(pk=report.pk).exists()
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")


def test_each_submission_gets_one_event_when_a_worker_queues_it() -> None:
    first, second = _submit(), _submit()
    assert _submit_events(first) == []

    assert reports_pipeline_dispatch() == 2

    for report in (first, second):
        (event,) = _submit_events(report)
        assert (event.actor_label, event.details) == ("system", {"source": "web", "files": 0})
    assert audit_verify().ok


def test_a_report_queued_again_after_a_reply_gets_no_second_submission_event() -> None:
    report = _submit()
    reports_pipeline_dispatch()
    report.refresh_from_db()

    report_add_information(report=report, text="one more thing", evidence=[], hashes=[])
    assert Report.objects.get(pk=report.pk).pipeline_queued is False
    assert reports_pipeline_dispatch() == 1

    assert len(_submit_events(report)) == 1


def test_the_events_of_a_batch_chain_in_report_order_and_verify() -> None:
    reports = [_submit() for _ in range(5)]

    reports_pipeline_dispatch()

    ids = list(
        AuditEvent.objects.filter(action="intake.submit", target_type="report")
        .order_by("pk")
        .values_list("target_id", flat=True)
    )
    assert ids == [str(report.public_id) for report in reports]
    check = audit_verify()
    assert check.ok, check.reason
