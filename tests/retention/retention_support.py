"""Reports with everything a purge must remove: details, messages, evidence files, hashes."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from hotline.intake.models import EvidenceFile, EvidenceHash, Message, Report
from hotline.intake.services import ReportInput, SubmittedReport, message_add, report_submit
from hotline.vault import services as vault

NARRATIVE = "He threatens to send the video of my daughter Sreymom to her school."


def full_report(
    *,
    state: str = "no_action",
    days_ago: float = 100,
    categories: tuple[str, ...] = ("sextortion",),
    reporter_wrote_days_ago: float | None = None,
) -> SubmittedReport:
    """Store a report with contact, narrative, two messages, a file (working + original copy)
    and a device hash, in `state`, last changed `days_ago` days ago."""
    submitted = report_submit(
        data=ReportInput(
            reporter_role="my_child",
            victim_age="13_15",
            categories=list(categories),
            platforms=["telegram"],
            narrative=NARRATIVE,
            contact="sreymom.mother@example.org",
            consent_contact=True,
        ),
        evidence=[],
    )
    report = submitted.report
    message_add(report=report, author=Message.Author.STAFF, body="We are looking at it.")
    message_add(report=report, author=Message.Author.REPORTER, body="He wrote again today.")
    tag = secrets.token_hex(8)
    evidence = EvidenceFile(
        report=report,
        working_name=f"w-{tag}",
        original_name=f"o-{tag}",
        content_type="image/jpeg",
        size=10,
        md5="0" * 32,
        sha256="1" * 64,
        created_at=timezone.now(),
    )
    evidence.filename_ciphertext = vault.encrypt_text("daughter.jpg", context="test")
    vault.file_write_durably(data=b"working", name=evidence.working_name, context=evidence.context)
    vault.file_write_durably(data=b"original", name=f"o-{tag}", context=evidence.context)
    evidence.save()
    EvidenceHash.objects.create(
        report=report, kind="sha256", value="2" * 64, created_at=timezone.now()
    )
    when = timezone.now() - timedelta(days=days_ago)
    Report.objects.filter(pk=report.pk).update(status=state, updated_at=when)
    wrote = (
        timezone.now() - timedelta(days=reporter_wrote_days_ago)
        if reporter_wrote_days_ago is not None
        else when
    )
    Message.objects.filter(report=report).update(created_at=wrote)
    return submitted


def files_of(report: Report) -> list[Path]:
    """Return the paths of every encrypted file of `report` that is still on disk."""
    folder = Path(settings.UPLOAD_DIR)
    names = [
        name
        for f in EvidenceFile.objects.filter(report=report)
        for name in (f.working_name, f.original_name)
        if name
    ]
    return [folder / n for n in names if (folder / n).exists()]


def at(days_from_now: float) -> datetime:
    return timezone.now() + timedelta(days=days_from_now)
