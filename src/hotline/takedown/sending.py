"""Send a queued e-mail notice through SMTP, at most once (docs/decisions/takedown-notices.md).

The SMTP server's log is not ours to read, so after a crash the hotline cannot know whether a
message it was sending arrived. A second takedown notice is worse than a delayed one (it
looks like a new case to the platform's desk and muddles the removal clock), so sending is
at most once, with the doubtful case shown to an analyst:

1. claim: in its own committed transaction, the worker sets `send_started_at` and counts the
   attempt, before it opens the SMTP connection;
2. send: under the notice's row lock it talks to the SMTP server (Message-ID derived from the
   notice's idempotency key) and marks the notice sent in the same transaction;
3. a refusal the server stated (connection refused, a 4xx/5xx answer) clears the claim: the
   notice stays queued and the task is retried with backoff; after the last attempt the
   notice is "failed", for an analyst to see;
4. a delivery of the task that finds a claim (the worker died between 1 and the commit of 2,
   or lost the connection mid-conversation) does not send: the notice becomes "failed" with
   a reason that says the mail may have arrived, and an analyst decides (`notice_retry`).
"""

from __future__ import annotations

import logging
import smtplib
from contextlib import suppress
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils import timezone

from hotline.audit.services import audit_record
from hotline.takedown import notices as words
from hotline.takedown.models import Notice
from hotline.takedown.services import notice_case_update, targets_noticed
from hotline.tasks.queue import max_attempts
from hotline.vault import services as vault

logger = logging.getLogger(__name__)

UNCERTAIN = (
    "A worker stopped while sending this notice: the platform may have received it. "
    "Check with them (quote the reference) before sending it again."
)


class NoticeNotSent(Exception):
    """The SMTP server refused the notice or could not be reached; the task is retried."""


def message_id(notice: Notice) -> str:
    """The notice's Message-ID: the same for every attempt, so a receiving desk that saw it
    once can drop a copy."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "openhotline.invalid"
    return f"<{notice.idempotency_key}@{domain}>"


def _email(notice: Notice) -> EmailMessage:
    body = vault.decrypt_text(bytes(notice.body_ciphertext), context=notice.body_context)
    headers = {"Message-ID": message_id(notice), "Date": formatdate(localtime=False)}
    if notice.follows is not None:
        headers["In-Reply-To"] = message_id(notice.follows)
        headers["References"] = message_id(notice.follows)
    if notice.kind == Notice.Kind.FORWARD:
        assert notice.partner is not None
        cover = words.forward_text(public_id=notice.public_id, partner_name=notice.partner.name)
        mail = EmailMessage(
            subject=notice.subject,
            body=cover.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notice.recipient],
            headers=headers,
        )
        mail.attach(words.forward_filename(notice.public_id), body, "application/json")
        return mail
    return EmailMessage(
        subject=notice.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.recipient],
        headers=headers,
    )


def _claim(notice_id: int) -> Notice | None:
    """Step 1: mark the attempt before any byte goes to the SMTP server (committed)."""
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("report", "partner", "follows")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None or notice.state != Notice.State.QUEUED:
            return None
        if notice.send_started_at is not None:
            notice.state = Notice.State.FAILED
            notice.last_error = UNCERTAIN[:300]
            notice.save(update_fields=["state", "last_error"])
            _audit(notice, "takedown.notice_uncertain")
            return None
        notice.send_started_at = timezone.now()
        notice.attempts += 1
        notice.save(update_fields=["send_started_at", "attempts"])
    return notice


def _audit(notice: Notice, action: str, **details: object) -> None:
    audit_record(
        actor=None,
        action=action,
        target_type="takedown.notice",
        target_id=str(notice.public_id),
        details={"report": str(notice.report.public_id), "kind": notice.kind, **details},
    )


def _refused(notice_id: int, claimed_at: object, error: str) -> None:
    """Step 3: the server said no (nothing was accepted): release the claim, count it."""
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("report")
            .get(pk=notice_id)
        )
        if notice.state != Notice.State.QUEUED or notice.send_started_at != claimed_at:
            return
        notice.send_started_at = None
        notice.last_error = error[:300]
        fields = ["send_started_at", "last_error"]
        if notice.attempts >= max_attempts():
            notice.state = Notice.State.FAILED
            fields.append("state")
            _audit(notice, "takedown.notice_failed", attempts=notice.attempts)
        notice.save(update_fields=fields)
    if notice.state == Notice.State.QUEUED:
        raise NoticeNotSent(error)


def notice_deliver(notice_id: int) -> None:
    """Send one queued e-mail notice unless it was sent, cancelled or may have been sent."""
    claimed = _claim(notice_id)
    if claimed is None:
        return
    claimed_at = claimed.send_started_at
    mail = _email(claimed)
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        _refused(notice_id, claimed_at, f"SMTP server not reachable: {type(exc).__name__}")
        return
    try:
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(of=("self",))
                .select_related("report")
                .get(pk=notice_id)
            )
            if notice.state != Notice.State.QUEUED or notice.send_started_at != claimed_at:
                return  # cancelled meanwhile: nothing was sent
            try:
                connection.send_messages([mail])
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPSenderRefused,
                smtplib.SMTPResponseException,
            ) as exc:
                # The server answered with a refusal: it did not take the message.
                code = getattr(exc, "smtp_code", "")
                error = f"SMTP server refused it: {type(exc).__name__} {code}".strip()
                transaction.set_rollback(True)
                refused = error
            else:
                refused = ""
                notice.state = Notice.State.SENT
                notice.sent_at = timezone.now()
                notice.last_error = ""
                notice.save(update_fields=["state", "sent_at", "last_error"])
                targets_noticed(notice=notice)
                _audit(notice, "takedown.notice_sent", attempts=notice.attempts)
    finally:
        with suppress(Exception):
            connection.close()
    if refused:
        _refused(notice_id, claimed_at, refused)
        return
    logger.info("notice %s sent", notice_id)
    notice_case_update(notice=notice, actor=None)
