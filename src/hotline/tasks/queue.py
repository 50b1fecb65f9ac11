"""Enqueue background work on the persistent queue (django-q2, ORM broker).

The queue lives in the application database, so `enqueue` inside a transaction commits or
rolls back with it. Delivery is at-least-once: a task whose worker dies is delivered again
after Q_CLUSTER["retry"] seconds, so every task must be safe to run twice. Failures are
retried by us with exponential backoff (django-q2's own retry is a fixed interval).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0

TaskArg = int | str


def backoff_seconds(attempt: int) -> float:
    """Return the delay before retry number `attempt` (1-based): 30 s, 60 s, 120 s, ..."""
    return float(min(BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)), BACKOFF_MAX_SECONDS))


def enqueue(func_path: str, *args: TaskArg, attempt: int = 1, delay_seconds: float = 0) -> None:
    """Queue `func_path(*args)` for a worker; with a delay it runs no earlier than that."""
    from django_q.models import Schedule
    from django_q.tasks import async_task, schedule

    if delay_seconds > 0:
        schedule(
            "hotline.tasks.queue.execute",
            func_path,
            list(args),
            attempt,
            schedule_type=Schedule.ONCE,
            repeats=1,
            next_run=timezone.now() + timedelta(seconds=delay_seconds),
        )
    else:
        async_task("hotline.tasks.queue.execute", func_path, list(args), attempt)


def execute(func_path: str, args: list[TaskArg], attempt: int) -> None:
    """Run one task in a worker; on failure queue a retry with backoff, up to MAX_ATTEMPTS."""
    func = import_string(func_path)
    try:
        func(*args)
    except Exception:
        if attempt >= MAX_ATTEMPTS:
            logger.exception("task %s gave up after %d attempts", func_path, attempt)
            raise
        delay = backoff_seconds(attempt)
        logger.warning(
            "task %s failed (attempt %d), retrying in %.0f s",
            func_path,
            attempt,
            delay,
            exc_info=True,
        )
        enqueue(func_path, *args, attempt=attempt + 1, delay_seconds=delay)
