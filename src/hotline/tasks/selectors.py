"""Reads about the task queue, for operators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from hotline.tasks.models import FailedTask, WorkerHeartbeat

# /healthz counts waiting tasks up to this many, so a huge backlog costs a bounded scan.
PENDING_COUNT_LIMIT = 10_000


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


@dataclass(frozen=True)
class WorkerHealth:
    """Whether a worker cluster runs, and how much waits on the queue for one."""

    worker: Literal["ok", "stale", "never"]
    last_seen_seconds: float | None  # since the newest heartbeat; None if never
    running_clusters: int
    # Due tasks not taken by a worker, plus rows waiting in an outbox for a worker to queue
    # them (new reports: hotline.tasks.outbox); each counted up to PENDING_COUNT_LIMIT.
    queue_pending: int
    queue_oldest_seconds: float  # how long the oldest of those waited; 0 if none waits


def worker_health() -> WorkerHealth:
    """Read the workers' heartbeats and the backlog (queue and outbox) in bounded queries.

    Cheap enough for a load balancer to poll: the heartbeat table holds a row per worker
    start (pruned after a week), and the queue is scanned for at most PENDING_COUNT_LIMIT due
    rows (django-q2's table has no index on `lock`). Clocks of web and worker machines are
    assumed synchronised, as the queue's leases already require.
    """
    from django_q.models import OrmQ

    from hotline.tasks.outbox import outbox_backlog

    now = timezone.now()
    beats = WorkerHeartbeat.objects.aggregate(
        last_seen=Max("last_seen"),
        running=Count("pk", filter=Q(stopped_at__isnull=True, fresh_until__gt=now)),
    )
    # Due rows are untaken (a worker's lease moves `lock` into the future); a row's `lock` is
    # when it became due: enqueued, retry time reached, or its dead worker's lease ended.
    due = OrmQ.objects.filter(lock__lte=now).values("lock")[:PENDING_COUNT_LIMIT]
    queue = due.aggregate(pending=Count("lock"), oldest=Min("lock"))
    # New reports wait in their own rows until a worker queues them: without a worker they
    # pile up there, not on the queue, and a monitor must see them.
    waiting, waiting_since = outbox_backlog(limit=PENDING_COUNT_LIMIT)
    oldest = min((t for t in (queue["oldest"], waiting_since) if t is not None), default=None)
    last_seen = beats["last_seen"]
    running = int(beats["running"])
    if last_seen is None:
        worker: Literal["ok", "stale", "never"] = "never"
    else:
        worker = "ok" if running else "stale"
    return WorkerHealth(
        worker=worker,
        last_seen_seconds=None
        if last_seen is None
        else max(0.0, (now - last_seen).total_seconds()),
        running_clusters=running,
        queue_pending=int(queue["pending"]) + waiting,
        queue_oldest_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )
