"""Show evidence safely: blurred greyscale previews, timed reveals, audited downloads.

The clear bytes of an image reach a browser only through a reveal (Action.VIEW_EVIDENCE, one
click, a POST) at a URL that works for one analyst for HOTLINE_EVIDENCE_REVEAL_SECONDS; an
original file only through a download (Action.DOWNLOAD_EVIDENCE). Both are audited. Previews
are made from the working copy on each request and never stored: no clear image is cached.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.models import EvidenceFile
from hotline.sandbox import ChildTimeoutError, Limits, sandbox_run
from hotline.vault import services as vault
from hotline.viewing.models import EvidenceReveal

logger = logging.getLogger(__name__)
_SLOTS = threading.BoundedSemaphore(2)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
}


class RevealRefused(Exception):
    """A reveal that cannot be made; the message is meant for the analyst."""


class PreviewFailed(Exception):
    """No preview could be made (the child failed or took too long); nothing is shown."""


def reveal_seconds() -> int:
    return int(getattr(settings, "HOTLINE_EVIDENCE_REVEAL_SECONDS", 30))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _working_bytes(evidence: EvidenceFile) -> bytes:
    return vault.file_read(name=evidence.working_name, context=evidence.context)


def evidence_preview(*, user: User, evidence: EvidenceFile) -> bytes:
    """Return a small, blurred, greyscale JPEG of an evidence image (made now, never stored)."""
    require(user, Action.VIEW_EVIDENCE)
    if evidence.content_type not in IMAGE_TYPES:
        raise RevealRefused("Only pictures have a preview.")
    return _preview_in_child(_working_bytes(evidence))


def _preview_in_child(data: bytes) -> bytes:
    # Decoding happens in a confined child like every decode of reporter-sent pixels
    # (hotline.sandbox), although the working copy is our own re-encoding: one rule, no
    # exception to argue about. About a process start per preview (benchmarks/README.md).
    limits = Limits(
        cpu_seconds=10,
        memory_bytes=1024 * 1024 * 1024,
        file_bytes=0,
        wall_seconds=20,
        output_bytes=512 * 1024,
    )
    # A page of many pictures asks for their previews at once: two children at a time per web
    # process (like intake's image children), the others wait their turn.
    if not _SLOTS.acquire(timeout=limits.wall_seconds):
        raise PreviewFailed("Too many previews are being made; reload the page.")
    try:
        result = sandbox_run(job="preview", data=data, limits=limits)
    except ChildTimeoutError as exc:
        raise PreviewFailed("The preview took too long.") from exc
    finally:
        _SLOTS.release()
    if result.returncode != 0 or not result.stdout:
        logger.warning("evidence preview failed in its child (exit %s)", result.returncode)
        raise PreviewFailed("No preview could be made of this picture.")
    return result.stdout


@dataclass(frozen=True)
class Reveal:
    token: str
    row: EvidenceReveal


def evidence_reveal(*, user: User, evidence: EvidenceFile) -> Reveal:
    """Let `user` see one evidence image in clear for HOTLINE_EVIDENCE_REVEAL_SECONDS (audited)."""
    require(user, Action.VIEW_EVIDENCE)
    if evidence.content_type not in IMAGE_TYPES:
        raise RevealRefused("Only pictures can be revealed here; other files are downloaded.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        row = EvidenceReveal.objects.create(
            token_digest=_digest(token),
            user=user,
            evidence=evidence,
            created_at=now,
            expires_at=now + timedelta(seconds=reveal_seconds()),
        )
        audit_record(
            actor=user,
            action="evidence.reveal",
            target_type="evidence",
            target_id=str(evidence.pk),
            details={"report": str(evidence.report.public_id), "seconds": reveal_seconds()},
        )
    return Reveal(token=token, row=row)


def reveal_access(*, user: User, token: str) -> EvidenceReveal:
    """Return the live reveal behind `token` for `user`; PermissionDenied for anyone else.

    An expired token, or one of another analyst, opens nothing (the page says so; the image
    answers 403).
    """
    require(user, Action.VIEW_EVIDENCE)
    row = (
        EvidenceReveal.objects.filter(token_digest=_digest(token))
        .select_related("evidence__report")
        .first()
    )
    if row is None or row.user_id != user.pk:
        raise PermissionDenied("not this analyst's reveal")
    return row


def reveal_live(row: EvidenceReveal) -> bool:
    return timezone.now() < row.expires_at


def reveal_image(*, user: User, token: str) -> tuple[bytes, str]:
    """Return the clear working copy of a live reveal of `user`, and its content type."""
    row = reveal_access(user=user, token=token)
    if not reveal_live(row):
        raise PermissionDenied("reveal expired")
    return _working_bytes(row.evidence), row.evidence.content_type


def evidence_download(*, user: User, evidence: EvidenceFile) -> tuple[bytes, str, str]:
    """Return (bytes, content type, file name) of the evidence to download (audited).

    The original bytes when the reporter had them kept for police, else the working copy. The
    name is generic: the reporter's file name may say who they are.
    """
    require(user, Action.DOWNLOAD_EVIDENCE)
    original = bool(evidence.original_name)
    if original:
        assert evidence.original_name is not None
        data = vault.file_read(name=evidence.original_name, context=evidence.context + ":original")
        content_type = "application/octet-stream"
    else:
        data = _working_bytes(evidence)
        content_type = evidence.content_type
    name = f"evidence-{evidence.pk}{'-original' if original else ''}"
    extension = _EXTENSIONS.get(evidence.content_type)
    if extension and not original:
        name = f"{name}.{extension}"
    audit_record(
        actor=user,
        action="evidence.download",
        target_type="evidence",
        target_id=str(evidence.pk),
        details={"report": str(evidence.report.public_id), "original": original},
    )
    return data, content_type, name
