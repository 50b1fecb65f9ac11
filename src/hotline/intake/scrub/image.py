"""Decode, hash and clean an uploaded image in a confined child (`image_child`).

The web process never decodes an image: a 186 KB PNG can decode to 64 million pixels and
gigabytes of memory. The child decodes it once, computes PDQ from those pixels, and returns a
working copy re-encoded from the pixels alone (see `image_child`). Limits (documented in
docs/decisions/evidence-metadata.md):

- pixels: `hashing.hashers.MAX_PIXELS` (64 million) and 32,768 per side. Phones save 12 MP
  photos by default (their 48-200 MP sensors bin four or sixteen pixels into one); the 48-50 MP
  full-resolution modes (8,000 x 6,000, 8,160 x 6,120) fit. "64 MP" (9,248 x 6,936), 108 MP and
  200 MP full-resolution photos are refused: their JPEGs (15-40 MB) are over the 10 MB upload
  limit anyway.
- memory: 2.5 GiB of address space. PDQ is the peak: the `pdqhash` binding turns the picture
  into grey levels with float64 numpy temporaries (about 23 bytes a pixel), so a 64 MP picture
  needs 1.5 GB for PDQ and 1.75-1.95 GB in all (measured; Python, numpy and Pillow included).
- time: 30 s of CPU, 60 s of wall time (a 64 MP picture takes 4-8 s of CPU and 20-35 s of wall
  time on this shared 2-core machine).
- at most two image children at once per process (`_SLOTS`): a few 64 MP uploads arriving
  together wait for each other instead of needing 2 GB each at the same moment.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Final

from hotline.hashing.hashers import MAX_PIXELS, MAX_SIDE
from hotline.intake.scrub import ScrubError
from hotline.sandbox import ChildTimeoutError, Limits, sandbox_run

CPU_SECONDS: Final = 30
TIMEOUT_SECONDS: Final = 60
MEMORY_LIMIT_BYTES: Final = 2560 * 1024 * 1024
# The largest working copy: 64 million RGBA pixels that PNG cannot compress, and a header line.
MAX_OUTPUT_BYTES: Final = 4 * MAX_PIXELS + 1024 * 1024
CONCURRENT_CHILDREN: Final = 2
_SLOTS: Final = threading.BoundedSemaphore(CONCURRENT_CHILDREN)
_CONTENT_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png"}
# The child's refusal codes (HashingError codes) that mean "too costly", not "damaged".
_TOO_LARGE: Final = frozenset({"too_large"})
_MIN_WALL_SECONDS: Final = 0.1


class ImageScrubError(ScrubError):
    """An image that cannot be used: damaged, or too large / too costly to decode."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    """The working copy (its bytes and what they are) and the PDQ of the original's pixels."""

    working: bytes
    content_type: str
    pdq_hex: str
    quality: int | None


def image_scrub(data: bytes) -> CleanImage:
    """Return the working copy and PDQ of an image; raise ImageScrubError when refused."""
    # The limits are read when called (not bound as defaults), so that tests can lower them.
    started = time.monotonic()
    if not _SLOTS.acquire(timeout=TIMEOUT_SECONDS):
        raise ImageScrubError(ImageScrubError.TOO_COMPLEX)
    try:
        limits = Limits(
            cpu_seconds=CPU_SECONDS,
            memory_bytes=MEMORY_LIMIT_BYTES,
            file_bytes=0,
            # Waiting for a slot counts against the same wall-clock limit.
            wall_seconds=max(_MIN_WALL_SECONDS, TIMEOUT_SECONDS - (time.monotonic() - started)),
            output_bytes=MAX_OUTPUT_BYTES,
        )
        result = sandbox_run(
            job="image", data=data, limits=limits, args=[str(MAX_PIXELS), str(MAX_SIDE)]
        )
    except ChildTimeoutError as exc:
        raise ImageScrubError(ImageScrubError.TOO_COMPLEX) from exc
    finally:
        _SLOTS.release()
    if result.killed:
        # Over the CPU or memory limit, or the decoder crashed on the input.
        raise ImageScrubError(ImageScrubError.TOO_COMPLEX)
    line, _, working = result.stdout.partition(b"\n")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise ImageScrubError(ImageScrubError.DAMAGED) from exc
    if result.returncode != 0 or not isinstance(header, dict) or header.get("status") != "ok":
        code = header.get("code") if isinstance(header, dict) else None
        reason = ImageScrubError.TOO_COMPLEX if code in _TOO_LARGE else ImageScrubError.DAMAGED
        raise ImageScrubError(reason)
    content_type = _CONTENT_TYPES.get(str(header.get("format")))
    if content_type is None or not working:
        raise ImageScrubError(ImageScrubError.DAMAGED)
    quality = header.get("quality")
    return CleanImage(
        working=working,
        content_type=content_type,
        pdq_hex=str(header.get("pdq") or ""),
        quality=int(quality) if isinstance(quality, int) else None,
    )
