"""Remove metadata from uploaded PDFs and videos, each in a resource-limited child process.

Pure library code like `hotline.hashing.video`: no Django, no database, no translations (the
reporter-facing messages are chosen in `intake.evidence` from the exception raised here).
"""

from __future__ import annotations

from typing import Final


class ScrubError(Exception):
    """A file that cannot be cleaned; `reason` is one of the class attributes (or a subclass's)."""

    DAMAGED: Final = "damaged"
    TOO_COMPLEX: Final = "too_complex"
    UNAVAILABLE: Final = "unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
