"""Check and prepare uploaded evidence before anything is stored.

Every file is sniffed from its bytes (the name and the browser's type are ignored), images
must decode fully with Pillow within pixel limits, and the copy staff work with carries no
metadata, since a victim's own screenshot, screen recording or exported PDF can carry their
name, their device or where they live: images are re-encoded from their pixels (turned upright
first), PDFs rewritten without their information dictionary, XMP, scripts and attachments,
videos remuxed without their tags. All of it happens in confined child processes
(`intake.scrub`, `hotline.sandbox`): this process never decodes an upload. Hashes are always of
the original bytes; the content type and file name extension stored are the working copy's.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Final

import puremagic
from django.utils.translation import gettext as _

from hotline.hashing.hashers import file_digests
from hotline.intake.scrub.image import ImageScrubError, image_scrub
from hotline.intake.scrub.pdf import PdfScrubError, pdf_scrub
from hotline.intake.scrub.video import VideoScrubError, video_scrub

logger = logging.getLogger(__name__)

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
OTHER_TYPES = {"application/pdf", "video/mp4", "video/quicktime", "text/plain"}
VIDEO_TYPES = {"video/mp4", "video/quicktime"}
# The extension a stored file's name gets for its content type, and the ones it may already have.
_EXTENSIONS: Final = {
    "image/jpeg": (".jpg", {".jpg", ".jpeg", ".jpe", ".jfif"}),
    "image/png": (".png", {".png"}),
    "application/pdf": (".pdf", {".pdf"}),
    "video/mp4": (".mp4", {".mp4", ".m4v", ".3gp", ".3g2"}),
    "video/quicktime": (".mov", {".mov", ".qt"}),
    "text/plain": (".txt", {".txt", ".text", ".log", ".csv"}),
}


class EvidenceRejected(Exception):
    """A file that is refused; `message` is translated and safe to show the reporter."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PreparedEvidence:
    """A checked file: the bytes staff will see, the original bytes, and hashes of the original.

    `content_type` and the extension of `filename` are those of `working` (a WebP re-encoded as
    PNG is image/png, "sticker.webp.png"); the original's type can be sniffed from its bytes.
    """

    filename: str
    content_type: str
    original: bytes
    working: bytes
    md5: str
    sha256: str
    pdq: str
    pdq_quality: int | None


def sniff_content_type(data: bytes) -> str | None:
    """Return the MIME type the bytes really are, or None when unknown."""
    if data[:5] == b"%PDF-":
        return "application/pdf"
    try:
        matches = puremagic.magic_string(data[:8192])
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        mime = getattr(match, "mime_type", "") or ""
        # Text is decided below from the whole content, never from a leading marker (a UTF-16
        # byte-order mark followed by binary is not text).
        if mime in IMAGE_TYPES or (mime in OTHER_TYPES and mime != "text/plain"):
            return mime
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" not in text and "<" not in text[:1024]:
        return "text/plain"
    return None


def stored_filename(filename: str, content_type: str) -> str:
    """Return the reporter's file name, with the extension of what is stored appended if needed."""
    name = filename[:200]
    extension, accepted = _EXTENSIONS.get(content_type, ("", set()))
    if not extension or os.path.splitext(name)[1].lower() in accepted:
        return name
    return name[: 200 - len(extension)] + extension


def _clean_image(data: bytes, filename: str) -> tuple[bytes, str, str, int | None]:
    """Return the working copy, its content type and the PDQ; raise EvidenceRejected if refused."""
    try:
        clean = image_scrub(data)
    except ImageScrubError as exc:
        logger.info("image evidence refused: %s", exc.reason)
        raise EvidenceRejected(
            _("The image “%(name)s” is damaged or too large, so we cannot use it.")
            % {"name": filename[:80]}
        ) from exc
    return clean.working, clean.content_type, clean.pdq_hex, clean.quality


def _clean_pdf(data: bytes, filename: str) -> bytes:
    """Return the PDF without metadata, or raise EvidenceRejected saying why it cannot be used."""
    try:
        return pdf_scrub(data)
    except PdfScrubError as exc:
        # The reason only: the name and content of evidence are never logged.
        logger.info("PDF evidence refused: %s", exc.reason)
        if exc.reason == PdfScrubError.ENCRYPTED:
            message = _(
                "The PDF “%(name)s” is locked with a password. "
                "Please send it without the password, or send screenshots of its pages."
            )
        elif exc.reason == PdfScrubError.UNAVAILABLE:
            logger.error("pikepdf is not installed: PDF evidence is refused")
            message = _(
                "We cannot accept the file “%(name)s” at the moment. "
                "You can send screenshots instead."
            )
        else:
            message = _(
                "The PDF “%(name)s” is damaged or too complex, so we cannot use it. "
                "You can send screenshots of its pages instead."
            )
        raise EvidenceRejected(message % {"name": filename[:80]}) from exc


def _clean_video(data: bytes, content_type: str, filename: str) -> bytes:
    """Return the video without metadata, or raise EvidenceRejected saying why it cannot be used."""
    try:
        return video_scrub(data, content_type=content_type)
    except VideoScrubError as exc:
        logger.info("video evidence refused: %s", exc.reason)
        if exc.reason == VideoScrubError.UNAVAILABLE:
            # Kept as sent, a video would show staff where and on what it was filmed.
            logger.warning("ffmpeg is not installed: video evidence is refused")
            message = _(
                "We cannot accept the file “%(name)s” at the moment. "
                "You can send screenshots instead."
            )
        else:
            message = _(
                "The video “%(name)s” is damaged or in a form we cannot use. "
                "You can send screenshots from it instead."
            )
        raise EvidenceRejected(message % {"name": filename[:80]}) from exc


def evidence_prepare(*, filename: str, data: bytes) -> PreparedEvidence:
    """Check one uploaded file and return what to store; raise EvidenceRejected if refused."""
    if not data:
        raise EvidenceRejected(_("The file “%(name)s” is empty.") % {"name": filename[:80]})
    content_type = sniff_content_type(data)
    if content_type is None:
        raise EvidenceRejected(
            _(
                "We cannot accept the file “%(name)s”. "
                "Please send a photo, screenshot, PDF or video."
            )
            % {"name": filename[:80]}
        )
    digests = file_digests(data)
    pdq, quality = "", None
    working, working_type = data, content_type
    if content_type in IMAGE_TYPES:
        working, working_type, pdq, quality = _clean_image(data, filename)
    elif content_type == "application/pdf":
        working = _clean_pdf(data, filename)
    elif content_type in VIDEO_TYPES:
        working = _clean_video(data, content_type, filename)
    return PreparedEvidence(
        filename=stored_filename(filename, working_type),
        content_type=working_type,
        original=data,
        working=working,
        md5=digests.md5,
        sha256=digests.sha256,
        pdq=pdq,
        pdq_quality=quality,
    )
