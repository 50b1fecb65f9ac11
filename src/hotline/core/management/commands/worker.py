"""`hotline worker`: run background workers (start several on big installs)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from hotline.tasks.lifetime import children_die_with_parent
from hotline.tasks.services import periodic_schedules_install


def pending_migrations() -> int:
    """Return how many migrations the database lacks (connects: a bad URL raises here)."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = "Run the background task workers until stopped (Ctrl+C or SIGTERM)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Check in this process: django-q2 would fail in a child process with a traceback.
        if pending_migrations():
            raise CommandError(
                "The database is not set up or not up to date: run `hotline migrate` first."
            )
        periodic_schedules_install()
        connections.close_all()  # the cluster forks; children must not share this connection

        from django_q.cluster import Cluster

        stop_requested = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stop_requested
            stop_requested = True

        cluster = Cluster()
        # Killed alone (kill -9 of this pid, out of memory), this process must not leave the
        # cluster's processes running as orphans that keep taking tasks.
        children_die_with_parent()
        # django-q2's own handler stops the cluster inside the signal handler; a second signal
        # (Ctrl+C reaches the whole process group, then `hotline run` sends SIGTERM) re-enters
        # it and deadlocks on a multiprocessing lock. Ours only sets a flag.
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        try:
            cluster.start()
        except RuntimeError as exc:  # the cluster's first process died while starting
            raise CommandError(f"The task workers could not start: {exc}") from exc
        while not stop_requested and cluster.sentinel.is_alive():
            time.sleep(0.2)
        if not stop_requested:
            raise CommandError(
                f"The task workers stopped unexpectedly (exit code {cluster.sentinel.exitcode})."
            )
        # Workers finish the task they are running (at most HOTLINE_TASK_TIMEOUT seconds).
        cluster.stop()
