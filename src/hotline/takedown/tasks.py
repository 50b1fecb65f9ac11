"""Worker entry points of takedown notices (run through hotline.tasks: retries, records)."""

from __future__ import annotations

from hotline.takedown.sending import notice_deliver


def notice_send(notice_id: int) -> None:
    """Send one queued e-mail notice (safe to run twice: see hotline.takedown.sending)."""
    notice_deliver(int(notice_id))
