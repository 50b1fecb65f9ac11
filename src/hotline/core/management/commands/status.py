"""`hotline status`: is the database up, is a background worker running, does work wait."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from hotline.core.selectors import disk_space
from hotline.tasks.models import WorkerHeartbeat
from hotline.tasks.selectors import PENDING_COUNT_LIMIT, queue_status, worker_health

START_HINT = "Start `hotline worker` (or `hotline run`, which starts one)."
CLUSTERS_SHOWN = 5


def duration(seconds: float) -> str:
    """Return a duration in words an operator reads at a glance: 4 s, 3 min, 2 h, 5 days."""
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


class Command(BaseCommand):
    help = (
        "Tell whether the database answers, a background worker runs and tasks wait "
        "(exit status 1 when no worker runs or a data folder is low on space)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # First: the disk matters most when the database fails because it is full.
        disk_ok = self._disk()
        # A database that does not answer raises here; `hotline` prints one line and exits 2.
        health = worker_health()
        engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        self.stdout.write(f"Database: answers ({engine}).")

        if health.worker == "ok":
            count = health.running_clusters
            self.stdout.write(
                f"Background worker: running ({count} worker cluster{'' if count == 1 else 's'}, "
                f"last heartbeat {duration(health.last_seen_seconds or 0)} ago)."
            )
        elif health.worker == "stale":
            self.stdout.write(
                f"Background worker: NOT RUNNING: the last heartbeat was "
                f"{duration(health.last_seen_seconds or 0)} ago. {START_HINT}"
            )
        else:
            self.stdout.write(f"Background worker: NOT RUNNING: none has ever run. {START_HINT}")
        now = timezone.now()
        for beat in WorkerHeartbeat.objects.all()[:CLUSTERS_SHOWN]:
            seen = duration((now - beat.last_seen).total_seconds())
            if beat.stopped_at is not None:
                state = f"stopped {seen} ago"
            elif beat.fresh_until > now:
                state = f"running, last heartbeat {seen} ago"
            else:
                state = f"silent for {seen} (killed or hung)"
            started = timezone.localtime(beat.started_at)
            self.stdout.write(
                f"  {beat.host} pid {beat.pid}, started {started:%Y-%m-%d %H:%M}: {state}"
            )

        status = queue_status()
        more = "+" if health.queue_pending >= PENDING_COUNT_LIMIT else ""
        oldest = (
            f", the oldest for {duration(health.queue_oldest_seconds)}"
            if health.queue_pending
            else ""
        )
        failed = " (`hotline tasks --failed` lists them)" if status.failed else ""
        self.stdout.write(
            f"Queue: {health.queue_pending}{more} task(s) or new report(s) waiting for a worker"
            f"{oldest}; "
            f"{status.taken} running or taken; {status.delayed} waiting to retry; "
            f"{status.failed} failed{failed}."
        )
        if health.worker != "ok" or not disk_ok:
            raise SystemExit(1)

    def _disk(self) -> bool:
        """Print the free space of each data folder; return whether all have room."""
        all_ok = True
        for space in disk_space():
            free = (
                f"{space.free_bytes / 1024**3:.1f} GB"
                if space.free_bytes >= 1024**3
                else (f"{space.free_bytes / 1024**2:.1f} MB")
            )
            where = f"{', '.join(space.names)} ({space.path})"
            if space.state == "ok":
                self.stdout.write(f"Disk: {free} free for {where}.")
                continue
            all_ok = False
            problem = "FULL: new reports may be refused" if space.state == "full" else "LOW"
            self.stdout.write(
                f"Disk: {problem}: {free} free for {where}. Free some space or enlarge the disk."
            )
        return all_ok
