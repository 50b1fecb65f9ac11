"""Enqueue background work on the persistent queue (django-q2, ORM broker): the producer side.

The queue lives in the application database, so `enqueue` inside a transaction commits or
rolls back with it. Delivery is at-least-once: a task whose worker dies is delivered again
`HOTLINE_TASK_RETRY` seconds after it was taken, so every task must be safe to run twice.

Every task runs through `hotline.tasks.runner.execute` in a worker, which adds what django-q2
lacks:
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

logger = logging.getLogger(__name__)

TaskArg = int | str


def max_attempts() -> int:
    """Return how many times a task runs before it is recorded as failed."""
    return int(settings.HOTLINE_TASK_MAX_ATTEMPTS)


def backoff_seconds(attempt: int) -> float:
    """Return the delay after failed attempt number `attempt` (1-based): B, 2B, 4B, ..."""
    base = float(settings.HOTLINE_TASK_BACKOFF_SECONDS)
    ceiling = float(settings.HOTLINE_TASK_BACKOFF_MAX_SECONDS)
    return min(base * 2.0 ** (attempt - 1), ceiling)


def task_timeout(func_path: str) -> int:
    """Seconds a run of `func_path` may take before its worker stops it.

    HOTLINE_TASK_TIMEOUT, or longer for the tasks named in HOTLINE_TASK_TIMEOUTS (never shorter).
    """
    default = int(settings.HOTLINE_TASK_TIMEOUT)
    return max(default, int(settings.HOTLINE_TASK_TIMEOUTS.get(func_path, 0)))


def enqueue(
    func_path: str,
    *args: TaskArg,
    attempt: int = 1,
    delay_seconds: float = 0,
    job_id: str = "",
    timeout_seconds: int | None = None,
) -> str:
    """Queue `func_path(*args)` for a worker, no earlier than `delay_seconds`; return its job id.

    The job id stays the same across retries (it names the FailedTask row, if any). A run is
    stopped after `timeout_seconds`, by default `task_timeout(func_path)` (so retries, which
    come through here, keep it).
    """
    from django_q.tasks import async_task

    from hotline.tasks.broker import EXECUTE, HotlineBroker

    job_id = job_id or uuid.uuid4().hex
    not_before = timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds > 0 else None
    # django-q2's public API builds and signs the package; our broker (passed per call, as
    # async_task allows) only adds the time before which no worker sees it.
    timeout = timeout_seconds or task_timeout(func_path)
    # django-q2 reads a task's own `timeout` instead of the cluster's; the broker leases the
    # task for longer to match (hotline.tasks.broker).
    longer = {"timeout": timeout} if timeout != int(settings.HOTLINE_TASK_TIMEOUT) else {}
    async_task(
        EXECUTE,
        func_path,
        list(args),
        attempt,
        job_id,
        task_name=f"{func_path}#{job_id}/{attempt}",
        broker=HotlineBroker(not_before=not_before),
        **longer,
    )
    return job_id
