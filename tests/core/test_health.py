"""/healthz and `hotline status`: the database, the workers' heartbeats, the queue's backlog."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from hotline.tasks import selectors
from hotline.tasks.models import WorkerHeartbeat
from hotline.tasks.queue import enqueue
from hotline.tasks.services import (
    worker_heartbeat_beat,
    worker_heartbeat_start,
    worker_heartbeat_stop,
)

pytestmark = pytest.mark.django_db


def healthz() -> tuple[int, dict[str, Any]]:
    response = Client().get("/healthz")
    return response.status_code, json.loads(response.content)


def status_command(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        call_command("status")
    except SystemExit as exit_:
        return int(exit_.code or 0), capsys.readouterr().out
    return 0, capsys.readouterr().out


def test_no_worker_ever_ran() -> None:
    status, body = healthz()
    assert set(body.pop("disk_free_bytes")) == {"data", "uploads"}
    assert (status, body) == (
        200,
        {
            "status": "ok",
            "database": "ok",
            "disk": "ok",
            "worker": "never",
            "worker_last_seen_seconds": None,
            "queue_pending": 0,
            "queue_oldest_seconds": 0,
        },
    )


def test_running_worker_is_ok_until_it_misses_three_beats(settings: Any) -> None:
    settings.HOTLINE_WORKER_HEARTBEAT_SECONDS = 10
    beat = worker_heartbeat_start(host="w1", pid=42)
    status, body = healthz()
    assert (status, body["worker"], body["worker_last_seen_seconds"]) == (200, "ok", 0)

    # 25 s of silence: two beats missed, still running.
    WorkerHeartbeat.objects.update(
        last_seen=timezone.now() - timedelta(seconds=25),
        fresh_until=timezone.now() + timedelta(seconds=5),
    )
    assert healthz()[1]["worker"] == "ok"
    # 31 s: the third beat is missed.
    WorkerHeartbeat.objects.update(
        last_seen=timezone.now() - timedelta(seconds=31),
        fresh_until=timezone.now() - timedelta(seconds=1),
    )
    status, body = healthz()
    assert (status, body["worker"], body["worker_last_seen_seconds"]) == (200, "stale", 31)

    # It beats again (a database hiccup, say): running.
    assert worker_heartbeat_beat(heartbeat_id=beat, host="w1", pid=42) == beat
    assert healthz()[1]["worker"] == "ok"


def test_the_heartbeat_is_fresh_for_three_intervals_of_the_worker(settings: Any) -> None:
    settings.HOTLINE_WORKER_HEARTBEAT_SECONDS = 2
    before = timezone.now()
    worker_heartbeat_start(host="w1", pid=42)
    row = WorkerHeartbeat.objects.get()
    assert timedelta(seconds=6) <= row.fresh_until - before < timedelta(seconds=7)


def test_a_stopped_worker_is_stale_at_once_and_another_running_one_counts() -> None:
    first = worker_heartbeat_start(host="w1", pid=1)
    worker_heartbeat_stop(heartbeat_id=first)
    assert healthz()[1]["worker"] == "stale"
    worker_heartbeat_start(host="w2", pid=2)
    assert healthz()[1]["worker"] == "ok"
    assert selectors.worker_health().running_clusters == 1


def test_beat_recreates_a_deleted_row_and_start_forgets_clusters_gone_a_week() -> None:
    beat = worker_heartbeat_start(host="w1", pid=1)
    WorkerHeartbeat.objects.all().delete()
    again = worker_heartbeat_beat(heartbeat_id=beat, host="w1", pid=1)
    assert again != beat
    assert WorkerHeartbeat.objects.get().pk == again

    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(days=8))
    worker_heartbeat_start(host="w1", pid=2)
    assert list(WorkerHeartbeat.objects.values_list("pid", flat=True)) == [2]


def test_queue_backlog_counts_due_untaken_tasks_and_the_oldest_wait() -> None:
    enqueue("tests.nothing", 1)
    enqueue("tests.nothing", 2)
    enqueue("tests.nothing", 3, delay_seconds=60)  # a retry not yet due
    first, second, _ = OrmQ.objects.order_by("pk")
    OrmQ.objects.filter(pk=first.pk).update(lock=timezone.now() - timedelta(seconds=90))
    # Taken by a worker: its lease moved the lock into the future.
    OrmQ.objects.filter(pk=second.pk).update(lock=timezone.now() + timedelta(seconds=300))
    enqueue("tests.nothing", 4)
    body = healthz()[1]
    assert body["queue_pending"] == 2
    assert 90 <= body["queue_oldest_seconds"] < 95


def test_new_reports_waiting_for_a_worker_count_in_the_backlog() -> None:
    from hotline.intake.models import Report
    from hotline.intake.services import (
        ReportInput,
        report_submit,
        reports_pipeline_dispatch,
    )

    data = ReportInput(reporter_role="myself", categories=["sextortion"])
    report_submit(data=data, evidence=[])
    Report.objects.update(updated_at=timezone.now() - timedelta(seconds=120))
    report_submit(data=data, evidence=[])
    body = healthz()[1]
    # No task is queued for a new report; without a worker it must still show.
    assert OrmQ.objects.count() == 0
    assert body["queue_pending"] == 2
    assert 120 <= body["queue_oldest_seconds"] < 125
    # A worker's poll turns both into one task: still one thing waiting, no longer two.
    assert reports_pipeline_dispatch() == 2
    body = healthz()[1]
    assert body["queue_pending"] == 1
    assert body["queue_oldest_seconds"] < 5


def test_backlog_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "PENDING_COUNT_LIMIT", 3)
    for n in range(5):
        enqueue("tests.nothing", n)
    assert healthz()[1]["queue_pending"] == 3


def test_healthz_costs_three_queries(django_assert_num_queries: Any) -> None:
    worker_heartbeat_start(host="w1", pid=1)
    enqueue("tests.nothing", 1)
    with django_assert_num_queries(3):
        assert healthz()[0] == 200


def test_status_command_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = status_command(capsys)
    assert code == 1
    assert "Database: answers" in out
    assert "Background worker: NOT RUNNING: none has ever run." in out
    assert "Queue: 0 task(s) or new report(s) waiting for a worker; 0 running or taken" in out

    beat = worker_heartbeat_start(host="w1", pid=42)
    enqueue("tests.nothing", 1)
    OrmQ.objects.update(lock=timezone.now() - timedelta(minutes=5))
    code, out = status_command(capsys)
    assert code == 0
    assert "Background worker: running (1 worker cluster, last heartbeat 0 s ago)." in out
    assert "  w1 pid 42, started " in out
    assert ": running, last heartbeat 0 s ago" in out
    assert "Queue: 1 task(s) or new report(s) waiting for a worker, the oldest for 5 min;" in out

    WorkerHeartbeat.objects.update(
        last_seen=timezone.now() - timedelta(minutes=3), fresh_until=timezone.now()
    )
    code, out = status_command(capsys)
    assert code == 1
    assert "NOT RUNNING: the last heartbeat was 3 min ago." in out
    assert "silent for 3 min (killed or hung)" in out

    worker_heartbeat_stop(heartbeat_id=beat)
    code, out = status_command(capsys)
    assert code == 1
    assert "stopped 0 s ago" in out
