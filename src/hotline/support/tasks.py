"""Support tasks: take ids, call services, safe to run twice."""

from __future__ import annotations

from hotline.support.services import reminder_mail_send as _send
from hotline.support.services import reminders_raise as _raise


def reminders_raise() -> int:
    """Queue the reminders of follow-ups due today (periodic; each is queued once)."""
    return _raise()


def reminder_mail_send(follow_up_id: int) -> None:
    """Send one follow-up's reminder (sent at most once after success; see the service)."""
    _send(follow_up_id=follow_up_id)
