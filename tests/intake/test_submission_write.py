"""A report sent alone (no files, no fingerprints) is one INSERT in its own transaction.

SQLite has one writer at a time: a writer holds the lock from its first write to its commit.
Written as BEGIN IMMEDIATE, INSERT ... RETURNING, COMMIT, the lock was held across the thread's
returns to the interpreter, each waiting for the GIL behind the other requests' work, and the
public form ran at 0.73 of the same-stack ceiling under load (benchmarks/intake.py). One
autocommit statement is as atomic and as durable, and holds the lock for that statement only.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from django.db import IntegrityError, connection

from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db(transaction=True)


def _alone() -> ReportInput:
    return ReportInput(
        reporter_role="victim", categories=["sextortion"], narrative="someone threatens me"
    )


def test_a_report_alone_is_one_statement_outside_any_transaction() -> None:
    seen: list[tuple[str, bool]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        submitted = report_submit(data=_alone(), evidence=[], submission_token="t" * 32)

    assert [sql.split()[0].upper() for sql, _ in seen] == ["INSERT"]
    assert seen[0][1] is False, "the INSERT ran inside an explicit transaction"
    assert Report.objects.filter(pk=submitted.report.pk).exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock and its trace")
def test_sqlite_sees_no_begin_commit_or_returning_for_a_report_alone() -> None:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    statements: list[str] = []
    raw.set_trace_callback(statements.append)
    try:
        submitted = report_submit(data=_alone(), evidence=[])
    finally:
        raw.set_trace_callback(None)

    assert len(statements) == 1, statements
    assert statements[0].startswith("INSERT INTO")
    assert "RETURNING" not in statements[0].upper()
    # The id came back without RETURNING, and it is the stored row's.
    assert Report.objects.get(pk=submitted.report.pk).public_id == submitted.report.public_id


def test_a_report_with_fingerprints_commits_with_them_or_not_at_all() -> None:
    data = _alone()
    data.hashes = [("pdq", "f" * 64, 100)]
    submitted = report_submit(data=data, evidence=[])
    stored = Report.objects.get(pk=submitted.report.pk)
    assert list(stored.hashes.values_list("kind", "value")) == [("pdq", "f" * 64)]

    # A fingerprint the database refuses (an MD5 must be 32 hex digits) takes its report with it.
    before = Report.objects.count()
    refused = _alone()
    refused.hashes = [("md5", "e" * 64, None)]
    with pytest.raises(IntegrityError):
        report_submit(data=refused, evidence=[])
    assert Report.objects.count() == before
