"""Retention: change the rules, purge expired personal data, forget old login attempts.

A purge deletes what could identify or hurt a reporter or a victim and keeps the anonymous
statistics fields of the report row (dates, source, language, role, age range, categories,
platforms, payment methods, money, in danger, help wanted, state, priority): see
docs/decisions/retention.md. Each report is purged in its own transaction with its audit event;
encrypted files are removed from disk after that commits, from a list kept in the same
transaction, so a run killed at any point leaves each report either untouched or purged with
its files still listed, and the next run finishes it. Running it twice purges nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.models import EvidenceFile, EvidenceHash, Message, ReplyOnce, Report
from hotline.retention.models import PurgedReport, RetentionRule
from hotline.retention.selectors import Applied, purges_unfinished, reports_expired
from hotline.vault import services as vault

log = logging.getLogger(__name__)

BATCH = 200  # reports looked at per query; each is purged in its own transaction


class RuleError(ValueError):
    """A rule change that cannot be made (the message is shown to the administrator)."""


@transaction.atomic
def rule_set(*, user: User, state: str, category: str, keep_days: int) -> RetentionRule:
    """Create or change the rule for (state, category); audited."""
    require(user, Action.MANAGE_SETTINGS)
    rule, created = RetentionRule.objects.select_for_update().get_or_create(
        state=state,
        category=category,
        defaults={"keep_days": keep_days, "updated_at": timezone.now(), "updated_by": user},
    )
    before = None if created else rule.keep_days
    if not created:
        rule.keep_days = keep_days
        rule.updated_at = timezone.now()
        rule.updated_by = user
        rule.save(update_fields=["keep_days", "updated_at", "updated_by"])
    audit_record(
        actor=user,
        action="retention.rule_set",
        target_type="retention_rule",
        target_id=rule.pk,
        details={"state": state, "category": category, "keep_days": keep_days, "before": before},
    )
    return rule


@transaction.atomic
def rule_delete(*, user: User, rule_id: int) -> None:
    """Delete a rule (reports it covered are then kept); audited."""
    require(user, Action.MANAGE_SETTINGS)
    rule = RetentionRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise RuleError("This rule no longer exists.")
    details = {"state": rule.state, "category": rule.category, "keep_days": rule.keep_days}
    rule.delete()
    audit_record(
        actor=user,
        action="retention.rule_delete",
        target_type="retention_rule",
        target_id=rule_id,
        details=details,
    )


def _other_apps_purge(report: Report) -> list[str]:
    """Delete what other capabilities keep about `report` that is personal (see the doc).

    Return the names of the encrypted files to remove after commit (staff attachments).
    Every model pointing at a report must be here or in hotline.retention.coverage.KEPT
    (tests/retention/test_purge_other_apps.py).
    """
    from hotline.cases.models import CaseAttachment, CaseEvent, CaseNote, ReporterNotice
    from hotline.entities.models import EscrowedIdentifier, ReportCluster, ReportEntity
    from hotline.hashing.models import ReportMatch, VictimSubmission, VideoHashing
    from hotline.search.models import SearchTerm
    from hotline.support.models import SupportCase
    from hotline.takedown.models import Notice
    from hotline.viewing.models import EvidenceReveal

    # Who the offender is, as this reporter named them: links to entities, escrowed digests,
    # and the cluster label those links made.
    ReportEntity.objects.filter(report=report).delete()
    EscrowedIdentifier.objects.filter(report=report).delete()
    ReportCluster.objects.filter(report=report).delete()
    # Matches and victim submissions are derived from this report's evidence hashes.
    ReportMatch.objects.filter(report=report).delete()
    VictimSubmission.objects.filter(report=report).delete()
    # The workflow history stays (statistics); analysts' notes may repeat the reporter.
    CaseEvent.objects.filter(report=report, note_ciphertext__isnull=False).update(
        note_ciphertext=None
    )
    # Staff notes and files may repeat the reporter, the victim, the police.
    CaseNote.objects.filter(report=report).delete()
    attachments = CaseAttachment.objects.filter(report=report)
    names = list(attachments.values_list("stored_name", flat=True))
    attachments.delete()
    # A notice row says the reporter left an e-mail address and when they were written to.
    ReporterNotice.objects.filter(report=report).delete()
    # The victim support case and all it holds (consent, referrals, follow-ups, encrypted
    # notes: rows pointing at the case go with it).
    SupportCase.objects.filter(report=report).delete()
    # Keyed digests of the report's words: kept, a purged word could still be matched.
    # SearchIndexed stays: the index now holds this report's (empty) text.
    SearchTerm.objects.filter(report=report).delete()
    # Who revealed which picture of it (the audit chain keeps the events, without content),
    # and how its videos were hashed: deleted with the evidence rows anyway, said here.
    EvidenceReveal.objects.filter(evidence__report=report).delete()
    VideoHashing.objects.filter(evidence__report=report).delete()
    # Notices stay as the record of what the hotline asked of whom and when (scorecards); their
    # text names the reported addresses and the answer may quote them: both emptied.
    for notice in Notice.objects.filter(report=report).only("pk", "public_id"):
        Notice.objects.filter(pk=notice.pk).update(
            body_ciphertext=vault.encrypt_text("", context=notice.body_context),
            answer_ciphertext=None,
        )
    return names


def report_purge(*, report_id: int, applied: Applied, now: datetime) -> bool:
    """Delete one expired report's personal data; return False if it was no longer due.

    The report is locked and checked again inside the transaction (a reporter may have written,
    an analyst reopened it, another run purged it). Files are listed in the purge row and
    removed from disk after commit.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or PurgedReport.objects.filter(report_id=report_id).exists():
            return False
        if report.status != applied.state:
            return False
        if report.updated_at > now - timedelta(days=applied.keep_days):
            return False
        grace_start = now - timedelta(days=settings.HOTLINE_RETENTION_GRACE_DAYS)
        if Message.objects.filter(
            report=report, author=Message.Author.REPORTER, created_at__gt=grace_start
        ).exists():
            return False
        files = list(EvidenceFile.objects.filter(report=report))
        names = [f.working_name for f in files] + [
            f.original_name for f in files if f.original_name
        ]
        names += _other_apps_purge(report)
        EvidenceFile.objects.filter(report=report).delete()
        EvidenceHash.objects.filter(report=report).delete()
        Message.objects.filter(report=report).delete()
        ReplyOnce.objects.filter(report=report).delete()
        # The details (narrative, contact, links, names...) become an empty record, still
        # readable by every page that decrypts it; the receipt code no longer opens anything.
        Report.objects.filter(pk=report.pk).update(
            details_ciphertext=vault.encrypt_json({}, context=report.details_context),
            replay_ciphertext=None,
            receipt_digest=None,
            # The pepper version of a digest that is gone: back to the default, as for
            # partner reports, so that no purged row counts as a user of an old pepper.
            receipt_digest_version=1,
            submission_digest=None,
            partner_reference="",
            priority_reasons=[],
            consent_contact=False,
            keep_original_for_police=False,
        )
        PurgedReport.objects.create(
            report=report,
            purged_at=now,
            rule_state=applied.state,
            rule_category=applied.category,
            keep_days=applied.keep_days,
            files_pending=names,
        )
        audit_record(
            actor=None,
            action="retention.report_purge",
            target_type="report",
            target_id=str(report.public_id),
            details={
                "report_id": report.pk,
                "state": applied.state,
                "category": applied.category,
                "keep_days": applied.keep_days,
                "files": len(files),
            },
        )
    _files_remove(report_id)
    return True


def _files_remove(report_id: int) -> None:
    """Remove a purged report's listed files from disk, then clear the list (idempotent)."""
    purge = PurgedReport.objects.filter(report_id=report_id).first()
    if purge is None or not purge.files_pending:
        return
    for name in purge.files_pending:
        vault.file_delete(name=str(name))
    PurgedReport.objects.filter(report_id=report_id).update(files_pending=[])


@dataclass
class PurgeRun:
    """What one run did (the task's result, and the summary audit event)."""

    purged: list[int] = field(default_factory=list)
    files_finished: int = 0
    login_rows: int = 0


def retention_purge(*, now: datetime | None = None, limit: int = 10_000) -> PurgeRun:
    """Purge every expired report (up to `limit`), finish killed runs, forget old logins.

    The periodic task (hotline.tasks.services.PERIODIC); safe to run twice or concurrently.
    """
    now = now or timezone.now()
    run = PurgeRun()
    for purge in purges_unfinished():
        _files_remove(purge.report_id)
        run.files_finished += 1
    while len(run.purged) < limit:
        batch = reports_expired(now=now, limit=min(BATCH, limit - len(run.purged)))
        progressed = False
        for report, applied in batch:
            if report_purge(report_id=report.pk, applied=applied, now=now):
                run.purged.append(report.pk)
                progressed = True
        if not batch or not progressed:
            break
    run.login_rows = login_attempts_purge(now=now)
    if run.purged or run.files_finished or run.login_rows:
        audit_record(
            actor=None,
            action="retention.purge_run",
            details={
                "count": len(run.purged),
                "report_ids": run.purged,
                "files_finished": run.files_finished,
                "login_rows": run.login_rows,
            },
        )
    log.info("retention purge: %d reports, %d login rows", len(run.purged), run.login_rows)
    return run


def login_attempts_purge(*, now: datetime) -> int:
    """Delete django-axes rows older than HOTLINE_RETENTION_LOGIN_DAYS; return how many.

    Lockouts last minutes (HOTLINE_STAFF_LOCKOUT_MINUTES), so an old row decides nothing; it
    only keeps account names and times of failed logins.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = now - timedelta(days=settings.HOTLINE_RETENTION_LOGIN_DAYS)
    total = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        deleted, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
        total += deleted
    return total


def retention_purge_task() -> int:
    """Run retention_purge as the periodic job; return how many reports were purged."""
    return len(retention_purge().purged)
