"""Rewrite a PDF without its metadata, in a limited child process (`pdf_child`).

Removed: the document information dictionary (author, title, creator tool, producer, dates), XMP
metadata streams on the catalog and on every page, image or font, private application data
(/PieceInfo), authors and dates of comments, EXIF and other metadata segments of JPEG pictures,
the file identifier, earlier revisions left by incremental saves, JavaScript, embedded files,
actions that open links, files or forms on the network, multimedia, thumbnails, search indexes
and Web Capture data. Page content is copied as it is (streams are not re-encoded).

The bytes go to the child on a pipe and come back on a pipe: nothing is written to disk. The
child is started and confined by `hotline.sandbox.sandbox_run`, as every evidence child is.
"""

from __future__ import annotations

from typing import Final

from hotline.intake.scrub import ScrubError, pdf_child
from hotline.sandbox import ChildTimeoutError, Limits, sandbox_run

# Typical PDFs take 0.1-0.2 s (mostly the child starting); 10 MB of 100,000 objects 3-5 s on
# this 2-core machine under load; a decompression bomb is found in 2-3 s.
CPU_SECONDS: Final = 10
TIMEOUT_SECONDS: Final = 15
# Python with pikepdf takes about 50 MB of address space; decoding one stream of the largest
# size allowed needs it twice (qpdf's buffer and Python's copy).
MEMORY_LIMIT_BYTES: Final = 1024 * 1024 * 1024
OUTPUT_FACTOR: Final = 8
OUTPUT_SLACK_BYTES: Final = 16 * 1024 * 1024
# A complete PDF ends with %%EOF; the specification lets readers look for it this far back.
EOF_WINDOW_BYTES: Final = 1024


class PdfScrubError(ScrubError):
    """A PDF that cannot be cleaned: damaged, too complex, unavailable, or encrypted."""

    ENCRYPTED: Final = "encrypted"


_REASONS: Final = {
    pdf_child.EXIT_ENCRYPTED: PdfScrubError.ENCRYPTED,
    pdf_child.EXIT_TOO_COMPLEX: PdfScrubError.TOO_COMPLEX,
    pdf_child.EXIT_UNAVAILABLE: PdfScrubError.UNAVAILABLE,
}


def pdf_scrub(data: bytes, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Return the PDF without metadata; raise PdfScrubError if it is unreadable or hostile."""
    if b"%%EOF" not in data[-EOF_WINDOW_BYTES:]:
        # Cut off, as an interrupted transfer leaves it. qpdf could rebuild the pages it finds,
        # but staff would see part of the document as if it were all of it.
        raise PdfScrubError(PdfScrubError.DAMAGED)
    limits = Limits(
        cpu_seconds=CPU_SECONDS,
        memory_bytes=MEMORY_LIMIT_BYTES,
        file_bytes=0,
        wall_seconds=timeout,
        # qpdf writes the streams as they are; its rewrite may unpack object streams.
        output_bytes=OUTPUT_FACTOR * len(data) + OUTPUT_SLACK_BYTES,
    )
    try:
        completed = sandbox_run(job="pdf", data=data, limits=limits)
    except ChildTimeoutError as exc:
        raise PdfScrubError(PdfScrubError.TOO_COMPLEX) from exc
    if completed.returncode == 0 and completed.stdout.startswith(b"%PDF-"):
        return completed.stdout
    if completed.killed:
        # Killed by a signal: over the CPU limit (SIGXCPU), or qpdf crashed on the input.
        raise PdfScrubError(PdfScrubError.TOO_COMPLEX)
    # The child's stderr is not kept: it could quote the document.
    raise PdfScrubError(_REASONS.get(completed.returncode, PdfScrubError.DAMAGED))
