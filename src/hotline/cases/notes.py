"""Staff-only notes, attachments and internal sub-statuses of a report: the only writers.

None of this is ever shown to the reporter (their status page reads the report's state and
the messages only) nor to partners. Each write needs add_note (accounts.permissions), runs in
one transaction with its audit event, and keeps text and files encrypted through the vault.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.cases.lists import sub_statuses
from hotline.cases.models import CaseAttachment, CaseNote, SubStatus
from hotline.cases.services import CaseError
from hotline.intake.models import Report
from hotline.vault import services as vault

MAX_NOTE_CHARS = 10_000
MAX_FILENAME_CHARS = 200


def attachment_max_bytes() -> int:
    """Return the largest staff attachment accepted (HOTLINE_ATTACHMENT_MAX_MB, default 10)."""
    return int(getattr(settings, "HOTLINE_ATTACHMENT_MAX_MB", 10)) * 1024 * 1024


def _clean(text: str) -> str:
    # NUL and other control characters (but line breaks and tabs) have no place in a note
    # and PostgreSQL refuses NUL in text.
    return "".join(ch for ch in text if ch in "\n\t" or (ch >= " " and ch != "\x7f")).strip()


def note_add(*, actor: User, report: Report, body: str) -> CaseNote:
    """Add a staff-only note to a report (encrypted; the audit records only that one exists)."""
    require(actor, Action.ADD_NOTE)
    body = _clean(body)
    if not body:
        raise CaseError("Write something in the note first.")
    if len(body) > MAX_NOTE_CHARS:
        raise CaseError(f"The note is too long (at most {MAX_NOTE_CHARS} characters).")
    with transaction.atomic():
        note = CaseNote(report=report, author=actor, created_at=timezone.now())
        note.body_ciphertext = vault.encrypt_text(body, context=note.context)
        note.save()
        audit_record(
            actor=actor,
            action="report.note_add",
            target_type="report",
            target_id=str(report.public_id),
            details={"note": str(note.public_id)},
        )
    return note


def note_body(note: CaseNote) -> str:
    """Return a note's text (callers check that the user may read the report)."""
    return vault.decrypt_text(bytes(note.body_ciphertext), context=note.context)


def attachment_type(data: bytes) -> str | None:
    """Return the type of an attachment from its bytes, or None if it is not one we keep.

    Only what staff need to file (letters, answers, screenshots): PDF, PNG, JPEG and UTF-8
    text. The name's extension and the browser's type are not trusted.
    """
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return "text/plain"


def attachment_add(*, actor: User, report: Report, filename: str, data: bytes) -> CaseAttachment:
    """Keep a staff-only file on a report, encrypted and fsynced before its row commits."""
    require(actor, Action.ADD_NOTE)
    if not data:
        raise CaseError("The file is empty.")
    if len(data) > attachment_max_bytes():
        raise CaseError(
            f"The file is too large (at most {attachment_max_bytes() // (1024 * 1024)} MB)."
        )
    content_type = attachment_type(data)
    if content_type is None:
        raise CaseError("Only PDF, PNG, JPEG and plain text files can be attached.")
    filename = _clean(filename)[:MAX_FILENAME_CHARS] or "attachment"
    record = CaseAttachment(
        report=report,
        author=actor,
        created_at=timezone.now(),
        stored_name=f"{uuid.uuid4().hex}.bin",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    vault.file_write_durably(data=data, name=record.stored_name, context=record.context)
    try:
        with transaction.atomic():
            record.filename_ciphertext = vault.encrypt_text(
                filename, context=record.context + ":name"
            )
            record.save()
            audit_record(
                actor=actor,
                action="report.attachment_add",
                target_type="report",
                target_id=str(report.public_id),
                details={"attachment": str(record.public_id), "sha256": record.sha256},
            )
    except BaseException:
        vault.file_delete(name=record.stored_name)
        raise
    return record


def attachment_filename(record: CaseAttachment) -> str:
    """Return an attachment's file name as staff gave it."""
    return vault.decrypt_text(bytes(record.filename_ciphertext), context=record.context + ":name")


def attachment_read(*, actor: User, record: CaseAttachment) -> bytes:
    """Return an attachment's bytes for `actor` (may read the report), recording the read."""
    require(actor, Action.VIEW_NARRATIVE)
    data = vault.file_read(name=record.stored_name, context=record.context)
    audit_record(
        actor=actor,
        action="report.attachment_read",
        target_type="report",
        target_id=str(record.report.public_id),
        details={"attachment": str(record.public_id)},
    )
    return data


def sub_status_set(*, actor: User, report: Report, code: str) -> None:
    """Set a report's internal sub-status to `code`, or clear it with "" (audited)."""
    require(actor, Action.ADD_NOTE)
    if code and code not in sub_statuses():
        raise CaseError("Choose a sub-status from the list.")
    with transaction.atomic():
        current = SubStatus.objects.select_for_update().filter(report=report).first()
        previous = current.code if current is not None else ""
        if previous == code:
            return
        if code:
            SubStatus.objects.update_or_create(
                report=report,
                defaults={"code": code, "set_by": actor, "set_at": timezone.now()},
            )
        else:
            SubStatus.objects.filter(report=report).delete()
        audit_record(
            actor=actor,
            action="report.sub_status",
            target_type="report",
            target_id=str(report.public_id),
            details={"from": previous, "to": code},
        )
