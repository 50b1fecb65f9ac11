"""State changes of the task queue: failed-task records, retries, schedules, heartbeats."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.tasks.models import FailedTask, WorkerHeartbeat
from hotline.tasks.queue import TaskArg, backoff_seconds, enqueue, max_attempts, task_timeout

logger = logging.getLogger(__name__)


def failed_task_record(
    *, job_id: str, func_path: str, args: list[TaskArg], attempts: int, error: str
) -> FailedTask:
    """Record that a task gave up (idempotent per job: a redelivered last attempt updates it)."""
    failed, _ = FailedTask.objects.update_or_create(
        job_id=job_id,
        defaults={"func_path": func_path, "args": list(args), "attempts": attempts, "error": error},
    )
    return failed


def task_attempt_failed(
    *, func_path: str, args: list[TaskArg], attempt: int, job_id: str, error: str
) -> None:
    """Queue the next attempt of a failed task with backoff, or record it failed after the last.

    Called by the worker-side runner (`hotline.tasks.runner.execute`); `error` carries no
    report content (exception type and message only).
    """
    if attempt >= max_attempts():
        logger.error("task %s gave up after %d attempts: %s", func_path, attempt, error)
        failed_task_record(
            job_id=job_id, func_path=func_path, args=args, attempts=attempt, error=error
        )
        return
    delay = backoff_seconds(attempt)
    logger.warning("task %s: attempt %d in %.1f s", func_path, attempt + 1, delay)
    enqueue(func_path, *args, attempt=attempt + 1, delay_seconds=delay, job_id=job_id)


@transaction.atomic
def failed_task_retry(*, failed_task_id: int) -> str:
    """Queue a failed task again from attempt 1 and forget the failure; return the job id."""
    failed = FailedTask.objects.select_for_update().get(pk=failed_task_id)
    job_id = enqueue(failed.func_path, *failed.args, job_id=failed.job_id)
    failed.delete()
    return job_id


@dataclass(frozen=True)
class Periodic:
    """A job that the workers run every `minutes` minutes."""

    name: str
    func_path: str
    minutes: int


# Each capability adds its periodic jobs here; they run through `execute` (retries, records).
PERIODIC: tuple[Periodic, ...] = (
    Periodic(
        name="intake.submission_tokens_purge",
        func_path="hotline.intake.services.submission_tokens_purge",
        minutes=15,
    ),
    Periodic(
        name="intake.drafts_purge",
        func_path="hotline.intake.drafts.drafts_purge",
        minutes=15,
    ),
    Periodic(
        name="intake.replies_once_purge",
        func_path="hotline.intake.services.replies_once_purge",
        minutes=60,
    ),
    Periodic(
        # Stored partner answers are kept 7 days (IDEMPOTENCY_KEEP); hourly is soon enough.
        name="intake.idempotent_requests_purge",
        func_path="hotline.intake.partners.idempotent_requests_purge",
        minutes=60,
    ),
    Periodic(
        # Verify the audit chain and sign a checkpoint of its head (hotline.audit.checkpoints).
        name="audit.checkpoint_hourly",
        func_path="hotline.audit.verification.audit_checkpoint_hourly",
        minutes=60,
    ),
    Periodic(
        # Expired personal data of closed reports, and old login attempt rows (retention.md).
        name="retention.purge",
        func_path="hotline.retention.services.retention_purge_task",
        minutes=60,
    ),
    Periodic(
        # Liveness re-checks of noticed URLs, removals and escalations (takedown-rechecks.md).
        name="takedown.recheck",
        func_path="hotline.takedown.rechecks.takedown_recheck_task",
        minutes=15,
    ),
    Periodic(
        # Second and final requests for content still online after its notice (takedown-notices.md).
        name="takedown.notices_escalate",
        func_path="hotline.takedown.services.notices_escalate_due",
        minutes=15,
    ),
    Periodic(
        # Reminders of support follow-ups due today (hotline.support; once each, by state).
        name="support.reminders_raise",
        func_path="hotline.support.tasks.reminders_raise",
        minutes=15,
    ),
    Periodic(
        # Recount the staff dashboard's daily rollup (hotline.statistics.rollup).
        name="statistics.rollup_rebuild",
        func_path="hotline.statistics.rollup.rollup_rebuild",
        minutes=30,
    ),
)


@transaction.atomic
def periodic_schedules_install(periodic: tuple[Periodic, ...] = PERIODIC) -> None:
    """Create or update the schedule row of every periodic job (run by each worker at start)."""
    from django_q.models import Schedule

    from hotline.tasks.broker import EXECUTE

    for job in periodic:
        timeout = task_timeout(job.func_path)
        fields = {
            "func": EXECUTE,
            "args": repr((job.func_path, [], 1)),
            # A job allowed longer than HOTLINE_TASK_TIMEOUT (HOTLINE_TASK_TIMEOUTS): django-q2's
            # scheduler passes q_options on to the task it makes.
            "kwargs": (
                f"q_options={{'timeout': {timeout}}}"
                if timeout != int(settings.HOTLINE_TASK_TIMEOUT)
                else None
            ),
            "schedule_type": Schedule.MINUTES,
            "minutes": job.minutes,
            "repeats": -1,
        }
        rows = list(Schedule.objects.select_for_update().filter(name=job.name).order_by("pk"))
        if not rows:
            Schedule.objects.create(name=job.name, **fields)
            continue
        # Workers starting at once may each have created one: keep the first.
        Schedule.objects.filter(pk__in=[row.pk for row in rows[1:]]).delete()
        Schedule.objects.filter(pk=rows[0].pk).update(**fields)


# A cluster is stale once it missed this many heartbeats (a slow write on a busy database may
# delay one, not three).
HEARTBEATS_MISSED = 3
# Heartbeats of clusters gone this long are deleted when a worker starts (one row per start).
HEARTBEAT_KEEP = timedelta(days=7)


def _fresh_for() -> timedelta:
    return timedelta(seconds=HEARTBEATS_MISSED * float(settings.HOTLINE_WORKER_HEARTBEAT_SECONDS))


# Heartbeats are machine bookkeeping, not a change anyone made: no audit event.
def worker_heartbeat_start(*, host: str, pid: int) -> int:
    """Record that a worker cluster started; forget clusters gone a week; return the row id."""
    now = timezone.now()
    WorkerHeartbeat.objects.filter(last_seen__lt=now - HEARTBEAT_KEEP).delete()
    heartbeat = WorkerHeartbeat.objects.create(
        host=host, pid=pid, started_at=now, last_seen=now, fresh_until=now + _fresh_for()
    )
    return int(heartbeat.pk)


def worker_heartbeat_beat(*, heartbeat_id: int, host: str, pid: int) -> int:
    """Record that the cluster still runs; return its row id (new if its row was deleted)."""
    now = timezone.now()
    # Clearing `tasks_released_at`: if a worker took this cluster for dead (it was cut off from
    # the database), the rows it takes from now on must be handed back if it dies for real.
    if WorkerHeartbeat.objects.filter(pk=heartbeat_id).update(
        last_seen=now, fresh_until=now + _fresh_for(), tasks_released_at=None
    ):
        return heartbeat_id
    # Deleted by another worker's start: this cluster hung for a week, or an operator did it.
    return worker_heartbeat_start(host=host, pid=pid)


def worker_heartbeat_stopping(*, heartbeat_id: int, finishing_seconds: float) -> None:
    """Record that the cluster takes no new task and finishes those it holds.

    It counts as stopped at once (/healthz, `hotline status`), but its tasks are left to it
    for `finishing_seconds`: handed back only if it has not said it stopped by then.
    """
    now = timezone.now()
    WorkerHeartbeat.objects.filter(pk=heartbeat_id).update(
        last_seen=now, fresh_until=now + timedelta(seconds=finishing_seconds), stopped_at=now
    )


def worker_heartbeat_stop(*, heartbeat_id: int) -> None:
    """Record that the cluster stopped and holds no task any more."""
    now = timezone.now()
    WorkerHeartbeat.objects.filter(pk=heartbeat_id).update(
        last_seen=now, fresh_until=now, stopped_at=now, tasks_released_at=now
    )


def worker_tasks_release() -> int:
    """Put the queued tasks of every cluster whose heartbeat went stale back on the queue.

    A cluster killed with its tasks (SIGKILL, out of memory, power cut) would otherwise hold
    them until their lease ends (HOTLINE_TASK_RETRY, minutes). Run by each live worker after
    its own heartbeat, so only a worker that reaches the database judges others. Each dead
    cluster is claimed by one worker (the conditional UPDATE); the rows it held are made due
    with the broker's own compare-and-set on `lock`, so a row taken meanwhile is left alone.
    A live cluster's rows are never touched, however long its tasks run. Returns how many
    tasks were handed back.
    """
    from django_q.models import OrmQ

    from hotline.tasks.broker import task_holder

    now = timezone.now()
    stale = WorkerHeartbeat.objects.filter(fresh_until__lt=now, tasks_released_at__isnull=True)
    if not stale.exists():  # the usual case: one indexed-size query per beat
        return 0
    released = 0
    with transaction.atomic():
        dead = {
            pk
            for pk in stale.values_list("pk", flat=True)
            if WorkerHeartbeat.objects.filter(
                pk=pk, fresh_until__lt=now, tasks_released_at__isnull=True
            ).update(tasks_released_at=now)
        }
        if not dead:
            return 0
        # Rows with a lock in the future: taken by a cluster, or waiting for a retry time.
        for row in OrmQ.objects.filter(lock__gt=now).only("pk", "lock", "payload").iterator():
            if task_holder(row.payload) in dead:
                released += OrmQ.objects.filter(pk=row.pk, lock=row.lock).update(lock=now)
    if released:
        logger.warning(
            "%d task(s) of %d stopped worker cluster(s) queued again", released, len(dead)
        )
    return released
