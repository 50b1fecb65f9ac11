"""Enqueue background work on the persistent queue (django-q2, ORM broker).

The queue lives in the application database, so `enqueue` inside a transaction commits or
rolls back with it. Delivery is at-least-once: a task whose worker dies is delivered again
`HOTLINE_TASK_RETRY` seconds after it was taken, so every task must be safe to run twice.

Every task runs through `execute`, which adds what django-q2 lacks:
- retries with exponential backoff (django-q2's own retry is a fixed interval);
- an end to a task that kills its worker every time (counted by hotline.tasks.broker);
- a FailedTask row when a task has failed `HOTLINE_TASK_MAX_ATTEMPTS` times, to inspect and
  retry with `hotline tasks`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.exceptions import TimeoutException

logger = logging.getLogger(__name__)

# A message delivered this many times without finishing killed its worker each time (out of
# memory, a crash in C code, a timeout the worker could not interrupt): count it as a failed
# attempt. Two deaths are forgiven, since a whole worker can be killed by an operator.
MAX_DELIVERIES = 3

TaskArg = int | str


def max_attempts() -> int:
    """Return how many times a task runs before it is recorded as failed."""
    return int(settings.HOTLINE_TASK_MAX_ATTEMPTS)


def backoff_seconds(attempt: int) -> float:
    """Return the delay after failed attempt number `attempt` (1-based): B, 2B, 4B, ..."""
    base = float(settings.HOTLINE_TASK_BACKOFF_SECONDS)
    ceiling = float(settings.HOTLINE_TASK_BACKOFF_MAX_SECONDS)
    return min(base * 2.0 ** (attempt - 1), ceiling)


def enqueue(
    func_path: str,
    *args: TaskArg,
    attempt: int = 1,
    delay_seconds: float = 0,
    job_id: str = "",
) -> str:
    """Queue `func_path(*args)` for a worker, no earlier than `delay_seconds`; return its job id.

    The job id stays the same across retries (it names the FailedTask row, if any).
    """
    from django_q.tasks import async_task

    from hotline.tasks.broker import EXECUTE, HotlineBroker

    job_id = job_id or uuid.uuid4().hex
    not_before = timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds > 0 else None
    # django-q2's public API builds and signs the package; our broker (passed per call, as
    # async_task allows) only adds the time before which no worker sees it.
    async_task(
        EXECUTE,
        func_path,
        list(args),
        attempt,
        job_id,
        task_name=f"{func_path}#{job_id}/{attempt}",
        broker=HotlineBroker(not_before=not_before),
    )
    return job_id


def execute(
    func_path: str, args: list[TaskArg], attempt: int, job_id: str = "", delivery: int = 1
) -> None:
    """Run one task in a worker; on failure queue the next attempt with backoff.

    `delivery` is set by the broker: above 1, earlier deliveries of this attempt died.
    """
    job_id = job_id or uuid.uuid4().hex
    if delivery > MAX_DELIVERIES:
        error = f"its worker stopped {delivery - 1} times while running it"
        logger.error("task %s attempt %d: %s", func_path, attempt, error)
        _attempt_failed(func_path, args, attempt, job_id, error)
        return
    if delivery > 1:
        logger.warning("task %s attempt %d: delivery %d", func_path, attempt, delivery)
    try:
        import_string(func_path)(*args)
    except (Exception, TimeoutException) as exc:
        # TimeoutException is a SystemExit: django-q2 would record it and drop the task.
        logger.warning("task %s attempt %d failed", func_path, attempt, exc_info=True)
        _attempt_failed(func_path, args, attempt, job_id, _describe(exc))


def _attempt_failed(
    func_path: str, args: list[TaskArg], attempt: int, job_id: str, error: str
) -> None:
    from hotline.tasks.services import failed_task_record

    if attempt >= max_attempts():
        logger.error("task %s gave up after %d attempts: %s", func_path, attempt, error)
        failed_task_record(
            job_id=job_id, func_path=func_path, args=args, attempts=attempt, error=error
        )
        return
    delay = backoff_seconds(attempt)
    logger.warning("task %s: attempt %d in %.1f s", func_path, attempt + 1, delay)
    enqueue(func_path, *args, attempt=attempt + 1, delay_seconds=delay, job_id=job_id)


def _describe(exc: BaseException) -> str:
    # Exception messages in this code base never carry report content (house rule), so the
    # type and message are safe to keep; cut them short all the same.
    text = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    return text[:500]
