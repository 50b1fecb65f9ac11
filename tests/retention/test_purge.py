"""The retention purge: what goes, what stays, who is spared, and that it is audited.

Real database, real encrypted files in the upload folder, the real audit chain.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.db import IntegrityError, transaction
from django.utils import timezone
from retention_support import NARRATIVE, at, files_of, full_report

from hotline.audit.models import AuditEvent
from hotline.intake.models import EvidenceFile, EvidenceHash, Message, Report
from hotline.intake.selectors import report_details
from hotline.intake.services import report_find_by_code
from hotline.retention.models import PurgedReport, RetentionRule
from hotline.retention.services import retention_purge
from hotline.tasks.services import PERIODIC

pytestmark = pytest.mark.django_db


def test_an_expired_closed_report_loses_its_personal_data_and_keeps_its_statistics() -> None:
    submitted = full_report(state="no_action", days_ago=91)
    report = submitted.report
    paths = files_of(report)
    assert len(paths) == 2
    before = Report.objects.get(pk=report.pk)

    run = retention_purge()

    assert run.purged == [report.pk]
    after = Report.objects.get(pk=report.pk)
    assert report_details(after) == {}
    assert NARRATIVE.encode() not in bytes(after.details_ciphertext)
    assert Message.objects.filter(report=report).count() == 0
    assert EvidenceFile.objects.filter(report=report).count() == 0
    assert EvidenceHash.objects.filter(report=report).count() == 0
    assert not any(p.exists() for p in paths)
    assert report_find_by_code(code_text=submitted.receipt_code) is None
    assert after.consent_contact is False
    for kept in (
        "created_at",
        "updated_at",
        "categories",
        "platforms",
        "status",
        "priority",
        "victim_age",
        "reporter_role",
        "language",
        "source",
    ):
        assert getattr(after, kept) == getattr(before, kept), kept
    purge = PurgedReport.objects.get(report=report)
    assert (purge.rule_state, purge.keep_days, purge.files_pending) == ("no_action", 90, [])


def test_every_purge_is_audited_with_ids_and_no_content() -> None:
    first = full_report(days_ago=91).report
    second = full_report(state="duplicate", days_ago=200).report
    retention_purge()
    per_report = AuditEvent.objects.filter(action="retention.report_purge")
    assert sorted(e.target_id for e in per_report) == sorted(
        [str(first.public_id), str(second.public_id)]
    )
    summary = AuditEvent.objects.get(action="retention.purge_run")
    assert summary.details["count"] == 2
    assert sorted(summary.details["report_ids"]) == sorted([first.pk, second.pk])
    text = str([e.details for e in AuditEvent.objects.all()])
    for content in (NARRATIVE, "sreymom", "He wrote again", "daughter.jpg"):
        assert content not in text


@pytest.mark.parametrize(
    "state", ["received", "in_review", "assessed", "notice_sent", "referred_police"]
)
def test_an_open_report_is_never_purged_however_old(state: str) -> None:
    report = full_report(state=state, days_ago=10_000).report
    assert retention_purge().purged == []
    assert report_details(Report.objects.get(pk=report.pk))["narrative"] == NARRATIVE


def test_each_rule_counts_its_own_days() -> None:
    fresh = full_report(state="no_action", days_ago=89).report
    actioned = full_report(state="closed", days_ago=4 * 365).report
    old_actioned = full_report(state="closed", days_ago=5 * 365 + 2).report
    assert retention_purge().purged == [old_actioned.pk]
    assert not PurgedReport.objects.filter(report__in=[fresh, actioned]).exists()


def test_a_longer_rule_for_one_category_wins_over_the_rule_for_any() -> None:
    RetentionRule.objects.create(
        state="no_action", category="sextortion", keep_days=400, updated_at=timezone.now()
    )
    sextortion = full_report(days_ago=100, categories=("sextortion",)).report
    both = full_report(days_ago=100, categories=("grooming", "sextortion")).report
    grooming = full_report(days_ago=100, categories=("grooming",)).report
    assert retention_purge().purged == [grooming.pk]
    assert retention_purge(now=at(301)).purged == sorted([sextortion.pk, both.pk])


def test_a_state_without_a_rule_is_kept() -> None:
    RetentionRule.objects.filter(state="duplicate").delete()
    report = full_report(state="duplicate", days_ago=10_000).report
    assert retention_purge().purged == []
    assert not PurgedReport.objects.filter(report=report).exists()


def test_a_reporter_who_wrote_recently_is_spared_until_the_grace_period_passes(
    settings: object,
) -> None:
    settings.HOTLINE_RETENTION_GRACE_DAYS = 30  # type: ignore[attr-defined]
    report = full_report(days_ago=200, reporter_wrote_days_ago=5).report
    assert retention_purge().purged == []
    assert retention_purge(now=at(24)).purged == []
    assert retention_purge(now=at(26)).purged == [report.pk]


def test_a_staff_message_alone_does_not_extend_the_grace() -> None:
    report = full_report(days_ago=200).report
    Message.objects.filter(report=report, author="staff").update(created_at=timezone.now())
    assert retention_purge().purged == [report.pk]


def test_running_twice_purges_once() -> None:
    report = full_report(days_ago=91).report
    assert retention_purge().purged == [report.pk]
    assert retention_purge().purged == []
    assert AuditEvent.objects.filter(action="retention.report_purge").count() == 1
    assert AuditEvent.objects.filter(action="retention.purge_run").count() == 1


def test_files_a_killed_run_left_are_removed_by_the_next_run() -> None:
    report = full_report(days_ago=91).report
    paths = files_of(report)
    names = [p.name for p in paths]
    retention_purge()
    # As if the process died after the purge committed and before the files went.
    for path in paths:
        path.write_bytes(b"left behind")
    PurgedReport.objects.filter(report=report).update(files_pending=names)
    run = retention_purge()
    assert run.purged == []
    assert run.files_finished == 1
    assert not any(p.exists() for p in paths)
    assert PurgedReport.objects.get(report=report).files_pending == []


def test_old_login_attempts_are_deleted_and_recent_ones_kept(settings: object) -> None:
    settings.HOTLINE_RETENTION_LOGIN_DAYS = 30  # type: ignore[attr-defined]
    old = AccessAttempt.objects.create(
        username="analyst", failures_since_start=3, get_data="", post_data=""
    )
    recent = AccessAttempt.objects.create(
        username="senior", failures_since_start=1, get_data="", post_data=""
    )
    log = AccessLog.objects.create(username="analyst")
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(days=31))
    AccessLog.objects.filter(pk=log.pk).update(attempt_time=timezone.now() - timedelta(days=40))
    run = retention_purge()
    assert run.login_rows == 2
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert AccessLog.objects.count() == 0
    assert AuditEvent.objects.get(action="retention.purge_run").details["login_rows"] == 2


def test_nothing_to_do_writes_no_audit_event() -> None:
    full_report(days_ago=10)
    assert retention_purge().purged == []
    assert not AuditEvent.objects.filter(action__startswith="retention.").exists()


@pytest.mark.parametrize(
    ("state", "keep_days"),
    [("received", 90), ("in_review", 90), ("no_action", 0), ("closed", 36_501)],
)
def test_the_database_refuses_a_rule_for_an_open_state_or_a_silly_length(
    state: str, keep_days: int
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionRule.objects.create(
            state=state, category="x", keep_days=keep_days, updated_at=timezone.now()
        )


def test_the_purge_is_a_periodic_job_of_the_workers() -> None:
    job = next(p for p in PERIODIC if p.name == "retention.purge")
    assert job.func_path == "hotline.retention.services.retention_purge_task"
    assert job.minutes <= 60


def test_the_shipped_rules() -> None:
    rules = {(r.state, r.category): r.keep_days for r in RetentionRule.objects.all()}
    assert rules == {
        ("no_action", ""): 90,
        ("out_of_scope", ""): 90,
        ("duplicate", ""): 90,
        ("closed", ""): 5 * 365 + 1,
    }


def test_a_purged_report_still_opens_on_the_staff_pages_without_its_content() -> None:
    from hotline.accounts.permissions import Role
    from staff_login import staff_client

    report = full_report(days_ago=91).report
    retention_purge()
    client, _staff = staff_client("senior1", role=Role.SENIOR_ANALYST)
    page = client.get(f"/staff/reports/{report.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert NARRATIVE not in html
    assert "sreymom" not in html
    assert client.get("/staff/").status_code == 200


def test_the_reporters_code_of_a_purged_report_opens_nothing() -> None:
    from django.test import Client

    submitted = full_report(days_ago=91)
    retention_purge()
    response = Client().post("/status/", {"code": submitted.receipt_code}, follow=True)
    assert response.status_code == 404
    assert NARRATIVE not in response.content.decode()
