"""`hotline worker`: run background workers (start several on big installs)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections
from django.db.migrations.executor import MigrationExecutor

from hotline.tasks.lifetime import children_die_with_parent
from hotline.tasks.services import (
    periodic_schedules_install,
    worker_heartbeat_beat,
    worker_heartbeat_start,
    worker_heartbeat_stop,
)

logger = logging.getLogger(__name__)


def pending_migrations() -> int:
    """Return how many migrations the database lacks (connects: a bad URL raises here)."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Heartbeat:
    """This cluster's heartbeat row, written from the main loop of `hotline worker`.

    Written here, not by a thread: the main process forked the sentinel before this runs and
    forks nothing after, and it beats only while it sees the sentinel alive. A database that
    does not answer for a while costs missed beats (the worker shows as stale), not the worker.
    """

    def __init__(self) -> None:
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.interval = float(settings.HOTLINE_WORKER_HEARTBEAT_SECONDS)
        self.heartbeat_id: int | None = None
        self.next_beat = 0.0

    def start(self) -> None:
        """Record this cluster as running (a database error here stops the worker)."""
        self.heartbeat_id = worker_heartbeat_start(host=self.host, pid=self.pid)
        self.next_beat = time.monotonic() + self.interval

    def beat_if_due(self) -> None:
        """Record that the cluster still runs, once per interval."""
        if self.heartbeat_id is None or time.monotonic() < self.next_beat:
            return
        self.next_beat = time.monotonic() + self.interval
        close_old_connections()  # drop a connection a database restart broke
        try:
            self.heartbeat_id = worker_heartbeat_beat(
                heartbeat_id=self.heartbeat_id, host=self.host, pid=self.pid
            )
        except DatabaseError as exc:
            logger.warning("worker heartbeat not recorded: %s", type(exc).__name__)

    def stop(self) -> None:
        """Record that the cluster stopped, if the database lets us."""
        if self.heartbeat_id is None:
            return
        close_old_connections()
        try:
            worker_heartbeat_stop(heartbeat_id=self.heartbeat_id)
        except DatabaseError as exc:  # it will show as stale after three beats instead
            logger.warning("worker stop not recorded: %s", type(exc).__name__)
        self.heartbeat_id = None


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
        heartbeat = Heartbeat()
        try:
            heartbeat.start()
            while not stop_requested and cluster.sentinel.is_alive():
                time.sleep(0.2)
                heartbeat.beat_if_due()
        finally:
            try:
                heartbeat.stop()  # the cluster takes no new task from here on: say so now
            finally:
                # Workers finish the task they run (at most HOTLINE_TASK_TIMEOUT seconds).
                cluster.stop()
        if not stop_requested:
            raise CommandError(
                f"The task workers stopped unexpectedly (exit code {cluster.sentinel.exitcode})."
            )
