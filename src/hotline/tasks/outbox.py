"""Rows that stand for work to do, turned into tasks by the workers (a transactional outbox).

A request that stores something needing background work can mark the row itself instead of
enqueueing a task: the mark commits with the row (nothing to lose), and the request saves a
write to the queue table. The workers call every drain listed here from the broker's polling
loop, at most once per poll interval per worker; each drain queues tasks for the rows it finds
and clears their mark in one transaction, so a worker killed mid-drain leaves them marked.

A new report is the case that matters: one INSERT fewer per public form submission was a
tenth of its cost (benchmarks/README.md, "Intake").
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from django.db import DatabaseError
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Each drain: a function without arguments that queues tasks for marked rows and returns how
# many rows it took.
OUTBOX_DRAINS: tuple[str, ...] = ("hotline.intake.services.reports_pipeline_dispatch",)
# Each backlog: a function of `limit` returning how many marked rows wait (at most `limit`) and
# since when the oldest waits; /healthz adds them to the queue's backlog.
OUTBOX_BACKLOGS: tuple[str, ...] = ("hotline.intake.selectors.reports_waiting_for_pipeline",)

_lock = threading.Lock()
_last_drain = -float("inf")


def outbox_drain(*, min_interval: float = 0.0) -> int:
    """Run every drain unless one ran less than `min_interval` seconds ago; return rows taken."""
    global _last_drain
    with _lock:
        now = time.monotonic()
        if now - _last_drain < min_interval:
            return 0
        _last_drain = now
    taken = 0
    for path in OUTBOX_DRAINS:
        try:
            taken += int(import_string(path)())
        except DatabaseError:
            # The database is away: the marks stay, the next poll tries again.
            logger.warning("outbox drain %s failed; retrying at the next poll", path, exc_info=True)
    return taken


def outbox_backlog(*, limit: int) -> tuple[int, datetime | None]:
    """Return how many marked rows wait for a worker (each backlog counted up to `limit`) and
    when the oldest of them started waiting."""
    waiting = 0
    oldest: datetime | None = None
    for path in OUTBOX_BACKLOGS:
        count, since = import_string(path)(limit=limit)
        waiting += int(count)
        if since is not None and (oldest is None or since < oldest):
            oldest = since
    return waiting, oldest
