"""Run a queued task in a worker: the consumer side of `hotline.tasks.queue`.

django-q2 calls `execute` (its path is `hotline.tasks.broker.EXECUTE`) with the task's own
function path and arguments; a failure is handed to `tasks.services.task_attempt_failed`, which
queues the next attempt with backoff or records the task as failed.
"""

from __future__ import annotations

import logging
import uuid

from django.utils.module_loading import import_string
from django_q.exceptions import TimeoutException

from hotline.tasks.queue import TaskArg
from hotline.tasks.services import task_attempt_failed

logger = logging.getLogger(__name__)

# A message delivered this many times without finishing killed its worker each time (out of
# memory, a crash in C code, a timeout the worker could not interrupt): count it as a failed
# attempt. Two deaths are forgiven, since a whole worker can be killed by an operator.
MAX_DELIVERIES = 3


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
        task_attempt_failed(
            func_path=func_path, args=args, attempt=attempt, job_id=job_id, error=error
        )
        return
    if delivery > 1:
        logger.warning("task %s attempt %d: delivery %d", func_path, attempt, delivery)
    try:
        import_string(func_path)(*args)
    except (Exception, TimeoutException) as exc:
        # TimeoutException is a SystemExit: django-q2 would record it and drop the task.
        logger.warning("task %s attempt %d failed", func_path, attempt, exc_info=True)
        task_attempt_failed(
            func_path=func_path, args=args, attempt=attempt, job_id=job_id, error=_describe(exc)
        )


def _describe(exc: BaseException) -> str:
    # Exception messages in this code base never carry report content (house rule), so the
    # type and message are safe to keep; cut them short all the same.
    text = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    return text[:500]
