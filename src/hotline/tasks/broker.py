"""django-q2's ORM broker, plus delayed tasks and a count of deliveries.

The queue is the `django_q_ormq` table: a row is taken by setting its `lock` to now + `retry`
seconds, and deleted when the task is acknowledged. A row whose worker died is taken again once
the lock has passed. Two small additions, both inside the broker's own statements:

- `not_before`: a task enqueued with a lock in the future is invisible until then. Retries with
  backoff use it, so they run on time (within `poll` seconds) without a schedule row each.
- Delivery count: taking a row rewrites its payload with `delivery` + 1 in the same UPDATE that
  sets the lock, so `hotline.tasks.runner.execute` knows when earlier deliveries died (a task
  that kills its worker every time must end, not loop forever). No extra query per task.
- Holder: the same rewrite records which worker cluster took the row (the id of its
  heartbeat row, `hotline.tasks.models.WorkerHeartbeat`). When that cluster's heartbeat goes
  stale, a live worker hands its rows back at once (`worker_tasks_release`) instead of
  waiting out the lease; a live cluster's slow task keeps its lease whatever its length.

What this relies on in django-q2 (pinned in pyproject.toml; tests/tasks/test_django_q2_contract.py
fails if it changes): the ORM broker's table and lock semantics, `get_connection`, `timeout`,
`Conf.BULK`/`Conf.POLL`, and the pusher calling `dequeue` in a process forked from
`hotline worker` (so `_holder`, set before the cluster starts, is inherited).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from time import sleep
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.signing import BadSignature, SignedPackage

logger = logging.getLogger(__name__)

EXECUTE = "hotline.tasks.runner.execute"
# Where `execute` lived before 2026-12: rows and schedules queued by earlier versions name it.
LEGACY_EXECUTE = "hotline.tasks.queue.execute"
# The key of the task package naming the heartbeat row of the cluster that took it.
HOLDER = "hotline_holder"

# This process's cluster (its heartbeat row id), set by `hotline worker` before it forks the
# cluster; None elsewhere (rows then carry no holder and wait out their lease).
_holder: int | None = None


def cluster_holder_set(heartbeat_id: int | None) -> None:
    """Name the cluster that this process and the processes it forks from now on belong to."""
    global _holder
    _holder = heartbeat_id


def count_delivery(payload: str, holder: int | None = None) -> str:
    """Return `payload` with its `delivery` keyword raised by one and its holder set.

    Only for our own tasks (run through `execute`); others come back unchanged.
    """
    return _taken(payload, holder)[0]


def _taken(payload: str, holder: int | None) -> tuple[str, int | None]:
    """`count_delivery`'s payload, and the task's own timeout in seconds (set by `enqueue` or
    a schedule for a task allowed longer than the cluster's), from one decoding."""
    try:
        task = SignedPackage.loads(payload)
    except (BadSignature, TypeError, ValueError):
        # The pusher rejects and deletes it; nothing to count.
        return payload, None
    if not isinstance(task, dict):
        return payload, None
    timeout = task.get("timeout")
    timeout = timeout if isinstance(timeout, int) and timeout > 0 else None
    if task.get("func") not in (EXECUTE, LEGACY_EXECUTE):
        return payload, timeout
    task["func"] = EXECUTE
    kwargs = dict(task.get("kwargs") or {})
    kwargs["delivery"] = int(kwargs.get("delivery", 0)) + 1
    task["kwargs"] = kwargs
    # A key django-q2 does not read: the worker and the monitor pass it through untouched.
    task[HOLDER] = holder
    return str(SignedPackage.dumps(task)), timeout


def lease_seconds(timeout: int) -> int:
    """How long a worker holds a task whose runs may take `timeout` seconds before it is
    delivered again: HOTLINE_TASK_RETRY, or 2 x timeout + 60 s for a longer task."""
    return max(int(settings.HOTLINE_TASK_RETRY), 2 * timeout + 60)


def task_holder(payload: str) -> int | None:
    """Return the heartbeat id of the cluster that last took this queued task, if known."""
    try:
        task = SignedPackage.loads(payload)
    except (BadSignature, TypeError, ValueError):
        return None
    holder = task.get(HOLDER) if isinstance(task, dict) else None
    return holder if isinstance(holder, int) else None


class HotlineBroker(ORM):  # type: ignore[misc]  # django-q2 has no type hints
    """The ORM broker with `not_before` on enqueue and a delivery count on dequeue."""

    def __init__(self, list_key: str | None = None, not_before: datetime | None = None) -> None:
        super().__init__(list_key=list_key)
        self.not_before = not_before

    def __getstate__(self) -> Any:
        return super().__getstate__(), self.not_before

    def __setstate__(self, state: Any) -> None:
        parent, self.not_before = state
        super().__setstate__(parent)

    def enqueue(self, task: str) -> int:
        """Put a signed task on the queue, invisible to workers until `not_before`."""
        lock = self.not_before or timezone.now()
        row = self.get_connection().create(
            key=self.list_key or Conf.CLUSTER_NAME, payload=task, lock=lock
        )
        return int(row.pk)

    def dequeue(self) -> list[tuple[int, str]] | None:
        """Take up to `bulk` due tasks, each leased for `retry` seconds and counted.

        First, at most once per poll interval, turn marked rows into tasks
        (hotline.tasks.outbox): new reports wait there, not on the queue.
        """
        from hotline.tasks.outbox import outbox_drain

        outbox_drain(min_interval=Conf.POLL)
        rows = list(
            self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[: Conf.BULK]
        )
        if not rows:
            sleep(Conf.POLL)  # empty queue: spare the database
            return None
        taken = []
        for row in rows:
            payload, timeout = _taken(row.payload, _holder)
            lease = self.timeout(row)
            if timeout is not None:
                # A task allowed longer than the cluster's timeout keeps its row longer too.
                lease = max(lease, timezone.now() + timedelta(seconds=lease_seconds(timeout)))
            # The WHERE on the old lock makes the take atomic: if another worker took the row
            # first, this updates nothing and we leave it to them.
            if (
                self.get_connection()
                .filter(id=row.id, lock=row.lock)
                .update(lock=lease, payload=payload)
            ):
                taken.append((row.pk, payload))
        return taken
