"""Reads of reports: decrypted details and messages (callers check permission), the status page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hotline.intake.choices import CaseState
from hotline.intake.models import Message, Report
from hotline.intake.reporter_status import reporter_wording
from hotline.support.reporter import SupportWords, reporter_support_words
from hotline.vault import services as vault

# States whose reporter wording gives way to "removed" once every takedown target is gone
# (hotline.takedown.rechecks); earlier states never have confirmed removals.
_REMOVAL_SHOWN_IN = frozenset(
    {CaseState.NOTICE_SENT, CaseState.REFERRED_POLICE, CaseState.SENT_TO_PARTNER, CaseState.CLOSED}
)


@dataclass(frozen=True)
class StatusMessage:
    from_hotline: bool
    body: str
    at: datetime


@dataclass(frozen=True)
class StatusView:
    created_at: datetime
    status_text: str  # what has happened, in the reporter's words (never internal detail)
    status_meaning: str
    status_next: str  # what happens next
    # While nobody has started on the report: when we aim to have, and whether that is past.
    expect_by: datetime | None
    late: bool
    messages: list[StatusMessage]
    files: int
    # What we say about the help they asked for (hotline.support.reporter; None: nothing).
    support: SupportWords | None = None


def status_view_data(report: Report) -> StatusView:
    """Return what a reporter may see of their own report (decrypted messages, plain status)."""
    messages = [
        StatusMessage(
            from_hotline=m.author == Message.Author.STAFF, body=message_body(m), at=m.created_at
        )
        for m in report.messages.select_related("report").order_by("created_at", "id")
    ]
    wording = reporter_wording(report.status)
    if report.status in _REMOVAL_SHOWN_IN:
        from hotline.intake.reporter_status import CONTENT_REMOVED
        from hotline.takedown.removal import report_content_removed

        if report_content_removed(report):
            wording = CONTENT_REMOVED
    expect_by = None
    if report.status == CaseState.RECEIVED:
        expect_by = report.created_at + timedelta(hours=settings.HOTLINE_TRIAGE_DEADLINE_HOURS)
    return StatusView(
        created_at=report.created_at,
        status_text=str(wording.title),
        status_meaning=str(wording.meaning),
        status_next=str(wording.next),
        expect_by=expect_by,
        late=expect_by is not None and timezone.now() > expect_by,
        messages=messages,
        files=report.files.count(),
        support=reporter_support_words(report, str(report_details(report).get("contact") or "")),
    )


def reports_waiting_for_pipeline(*, limit: int) -> tuple[int, datetime | None]:
    """Count (up to `limit`) the reports no worker has queued yet; return that and the oldest.

    Their age is since `updated_at`: a report marked again for new evidence waits from then.
    """
    from django.db.models import Count, Min

    waiting = Report.objects.filter(pipeline_queued=False).order_by().values("updated_at")
    found = waiting[:limit].aggregate(count=Count("updated_at"), oldest=Min("updated_at"))
    return int(found["count"]), found["oldest"]


def report_details(report: Report) -> dict[str, object]:
    """Decrypt a report's sensitive details (callers must have checked permission)."""
    value = vault.decrypt_json(bytes(report.details_ciphertext), context=report.details_context)
    assert isinstance(value, dict)
    return value


def message_body(message: Message) -> str:
    """Decrypt a message body."""
    return vault.decrypt_text(bytes(message.body_ciphertext), context=message.context)
