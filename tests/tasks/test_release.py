"""Handing back the tasks of a worker cluster whose heartbeat went stale (in one process).

The process test (test_worker_processes.py) kills a real worker; these pin the rules: only a
stale cluster's taken rows come back, once, and a live or finishing cluster keeps its own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from hotline.tasks import broker as broker_module
from hotline.tasks.broker import HotlineBroker
from hotline.tasks.models import WorkerHeartbeat
from hotline.tasks.queue import enqueue
from hotline.tasks.services import (
    worker_heartbeat_beat,
    worker_heartbeat_start,
    worker_heartbeat_stop,
    worker_heartbeat_stopping,
    worker_tasks_release,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_holder() -> Any:
    yield
    broker_module.cluster_holder_set(None)


def take_as(heartbeat_id: int) -> int:
    """Let the cluster of `heartbeat_id` take the next due row; return the row id."""
    broker_module.cluster_holder_set(heartbeat_id)
    ((row_id, _),) = HotlineBroker().dequeue()
    broker_module.cluster_holder_set(None)
    return int(row_id)


def silence(heartbeat_id: int, seconds: float) -> None:
    """Make a heartbeat look as if its cluster last beat `seconds` ago (3 beats of 10 s)."""
    last = timezone.now() - timedelta(seconds=seconds)
    WorkerHeartbeat.objects.filter(pk=heartbeat_id).update(
        last_seen=last, fresh_until=last + timedelta(seconds=30)
    )


def due(row_id: int) -> bool:
    return OrmQ.objects.filter(pk=row_id, lock__lte=timezone.now()).exists()


def test_only_the_stale_clusters_taken_tasks_are_handed_back_and_only_once(
    settings: Any,
) -> None:
    settings.HOTLINE_WORKER_HEARTBEAT_SECONDS = 10
    dead = worker_heartbeat_start(host="a", pid=1)
    live = worker_heartbeat_start(host="b", pid=2)
    enqueue("x.dead_task")
    dead_row = take_as(dead)
    enqueue("x.live_task")
    live_row = take_as(live)
    enqueue("x.later", delay_seconds=600)  # waiting for its retry time: held by nobody
    assert not due(dead_row)
    assert not due(live_row)

    silence(dead, 31)  # three beats missed
    silence(live, 29)  # late, not yet stale
    assert worker_tasks_release() == 1
    assert due(dead_row)
    assert not due(live_row)
    assert OrmQ.objects.filter(lock__gt=timezone.now() + timedelta(seconds=500)).count() == 1

    # Taken again by a live cluster: the dead one is settled, nothing else comes back.
    assert take_as(live) == dead_row
    assert worker_tasks_release() == 0
    assert not due(dead_row)


def test_a_cluster_that_beats_again_after_being_taken_for_dead_is_watched_again(
    settings: Any,
) -> None:
    settings.HOTLINE_WORKER_HEARTBEAT_SECONDS = 10
    cut_off = worker_heartbeat_start(host="a", pid=1)
    silence(cut_off, 40)
    assert worker_tasks_release() == 0  # it held nothing; marked as handled
    worker_heartbeat_beat(heartbeat_id=cut_off, host="a", pid=1)  # the database came back
    enqueue("x.task")
    row = take_as(cut_off)

    silence(cut_off, 40)  # now it dies for real
    assert worker_tasks_release() == 1
    assert due(row)


def test_a_stopping_cluster_keeps_its_tasks_while_it_finishes_them(settings: Any) -> None:
    settings.HOTLINE_WORKER_HEARTBEAT_SECONDS = 10
    stopping = worker_heartbeat_start(host="a", pid=1)
    enqueue("x.task")
    row = take_as(stopping)
    worker_heartbeat_stopping(heartbeat_id=stopping, finishing_seconds=300)
    assert worker_tasks_release() == 0
    assert not due(row)

    # Killed while finishing: handed back once its finishing time is over.
    WorkerHeartbeat.objects.filter(pk=stopping).update(
        fresh_until=timezone.now() - timedelta(seconds=1)
    )
    assert worker_tasks_release() == 1
    assert due(row)


def test_a_cleanly_stopped_cluster_is_not_scanned_again(settings: Any) -> None:
    stopped = worker_heartbeat_start(host="a", pid=1)
    worker_heartbeat_stop(heartbeat_id=stopped)
    beat = WorkerHeartbeat.objects.get(pk=stopped)
    assert beat.tasks_released_at is not None
    assert worker_tasks_release() == 0
