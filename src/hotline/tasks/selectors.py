"""Reads about the task queue, for operators."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from hotline.tasks.models import FailedTask


@dataclass(frozen=True)
class QueueStatus:
    """Tasks ready to run, taken by a worker, waiting for a retry time, and given up."""

    ready: int
    taken: int
    delayed: int
    failed: int


def queue_status() -> QueueStatus:
    """Count the queue's tasks by state (reads every payload not yet due: for operators only)."""
    from django_q.models import OrmQ
    from django_q.signing import BadSignature, SignedPackage

    now = timezone.now()
    ready = OrmQ.objects.filter(lock__lte=now).count()
    taken = delayed = 0
    # Both a lease and a retry delay put the lock in the future; only a taken task has been
    # delivered (hotline.tasks.broker counts deliveries in the payload).
    for payload in OrmQ.objects.filter(lock__gt=now).values_list("payload", flat=True).iterator():
        try:
            task = SignedPackage.loads(payload)
        except (BadSignature, TypeError, ValueError):
            taken += 1
            continue
        if (task.get("kwargs") or {}).get("delivery", 0) > 0:
            taken += 1
        else:
            delayed += 1
    return QueueStatus(ready=ready, taken=taken, delayed=delayed, failed=FailedTask.objects.count())
