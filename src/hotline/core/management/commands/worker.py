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

from hotline.tasks.broker import cluster_holder_set
from hotline.tasks.lifetime import children_die_with_parent
from hotline.tasks.services import (
    HEARTBEATS_MISSED,
    periodic_schedules_install,
    worker_heartbeat_beat,
    worker_heartbeat_start,
    worker_heartbeat_stop,
    worker_heartbeat_stopping,
    worker_tasks_release,
)
from hotline.vault.services import TEMPORARY_ORPHAN_SECONDS, upload_temporaries_sweep

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

    After a beat, it hands back the tasks of clusters whose heartbeat went stale
    (`worker_tasks_release`), but only once its own beats have gone through for as long as
    it takes to call a cluster stale: after a database outage every cluster looks stale
    until it has beaten again, and a live cluster's tasks must not be run twice.
    """

    def __init__(self) -> None:
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.interval = float(settings.HOTLINE_WORKER_HEARTBEAT_SECONDS)
        self.heartbeat_id: int | None = None
        self.next_beat = 0.0
        self.reaching_database_since: float | None = None

    def start(self) -> int:
        """Record this cluster as running; return its id (a database error stops the worker)."""
        self.heartbeat_id = worker_heartbeat_start(host=self.host, pid=self.pid)
        self.next_beat = time.monotonic() + self.interval
        self.reaching_database_since = time.monotonic()
        return self.heartbeat_id

    def beat_if_due(self) -> None:
        """Record that the cluster still runs, once per interval; hand back dead clusters' tasks."""
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
            self.reaching_database_since = None
            return
        now = time.monotonic()
        if self.reaching_database_since is None:
            self.reaching_database_since = now
        if now - self.reaching_database_since < HEARTBEATS_MISSED * self.interval:
            return
        try:
            worker_tasks_release()
        except DatabaseError as exc:  # tried again at the next beat
            logger.warning("tasks of stopped workers not released: %s", type(exc).__name__)

    def stopping(self) -> None:
        """Record that the cluster takes no new task and finishes those it holds."""
        if self.heartbeat_id is None:
            return
        close_old_connections()
        try:
            # A task may wait for a process, then run: its lease covers both.
            worker_heartbeat_stopping(
                heartbeat_id=self.heartbeat_id, finishing_seconds=settings.HOTLINE_TASK_RETRY
            )
        except DatabaseError as exc:  # it will show as stale after three beats instead
            logger.warning("worker stop not recorded: %s", type(exc).__name__)

    def stop(self) -> None:
        """Record that the cluster stopped and holds nothing, if the database lets us."""
        if self.heartbeat_id is None:
            return
        close_old_connections()
        try:
            worker_heartbeat_stop(heartbeat_id=self.heartbeat_id)
        except DatabaseError as exc:  # its tasks are handed back once it counts as stale
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
        upload_temporaries_sweep(older_than_seconds=TEMPORARY_ORPHAN_SECONDS)
        stop_requested = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stop_requested
            stop_requested = True

        # From the moment the heartbeat says "running", a SIGTERM must stop this worker cleanly
        # (recorded as stopped), not kill it with the default action while it starts up.
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        # Before the fork: the cluster's processes mark the tasks they take with this id.
        heartbeat = Heartbeat()
        cluster_holder_set(heartbeat.start())
        connections.close_all()  # the cluster forks; children must not share this connection

        from django_q.cluster import Cluster

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
            heartbeat.stop()
            if stop_requested:
                # A stop sent to the whole process group (Ctrl+C, a service manager) also
                # killed the starting sentinel: that is the stop we were asked for, not a fault.
                return
            raise CommandError(f"The task workers could not start: {exc}") from exc
        try:
            while not stop_requested and cluster.sentinel.is_alive():
                time.sleep(0.2)
                heartbeat.beat_if_due()
        finally:
            try:
                heartbeat.stopping()  # the cluster takes no new task from here on: say so now
                # Workers finish the task they run (at most HOTLINE_TASK_TIMEOUT seconds).
                cluster.stop()
            finally:
                heartbeat.stop()
        if not stop_requested:
            raise CommandError(
                f"The task workers stopped unexpectedly (exit code {cluster.sentinel.exitcode})."
            )
