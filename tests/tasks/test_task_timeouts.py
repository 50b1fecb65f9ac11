"""Tasks allowed longer than HOTLINE_TASK_TIMEOUT: the dashboard's rollup rebuild.

The rebuild recounts every report in one transaction: about a minute per million reports on two
cores, several under load (benchmarks/README.md). Under the workers' default timeout (120 s) it
was stopped and rolled back every time on a busy large install, and the dashboard stayed old.
Such a task carries its own timeout (django-q2 reads a task's `timeout` before the cluster's),
and the broker leases it for 2 x that + 60 s, so no other worker takes it while it runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.scheduler import scheduler
from django_q.signing import SignedPackage

from hotline.tasks.broker import HotlineBroker, lease_seconds
from hotline.tasks.queue import enqueue, task_timeout
from hotline.tasks.services import Periodic, periodic_schedules_install

pytestmark = pytest.mark.django_db

ROLLUP = "hotline.statistics.rollup.rollup_rebuild"
ORDINARY = "hotline.intake.drafts.drafts_purge"


def _packages() -> dict[str, dict[str, object]]:
    """Each queued task's package, by the function path it runs."""
    packages = {}
    for row in OrmQ.objects.all():
        task = SignedPackage.loads(row.payload)
        packages[task["args"][0]] = task
    return packages


@override_settings(HOTLINE_TASK_TIMEOUT=120, HOTLINE_TASK_TIMEOUTS={ROLLUP: 1200})
def test_the_rollup_has_its_own_timeout_and_other_tasks_the_default() -> None:
    assert task_timeout(ROLLUP) == 1200
    assert task_timeout(ORDINARY) == 120
    enqueue(ROLLUP)
    enqueue(ORDINARY)
    packages = _packages()
    assert packages[ROLLUP]["timeout"] == 1200
    assert "timeout" not in packages[ORDINARY]  # the cluster's own applies


@override_settings(HOTLINE_TASK_TIMEOUT=900, HOTLINE_TASK_TIMEOUTS={ROLLUP: 600})
def test_a_longer_default_timeout_is_never_shortened_for_a_long_task() -> None:
    assert task_timeout(ROLLUP) == 900
    enqueue(ROLLUP)
    assert "timeout" not in _packages()[ROLLUP]


@override_settings(
    HOTLINE_TASK_TIMEOUT=120, HOTLINE_TASK_RETRY=300, HOTLINE_TASK_TIMEOUTS={ROLLUP: 1200}
)
def test_a_long_task_is_leased_until_well_after_its_timeout() -> None:
    enqueue(ROLLUP)
    enqueue(ORDINARY)
    before = timezone.now()
    broker = HotlineBroker(list_key="hotline")
    taken = [task for _ in range(2) for task in broker.dequeue() or []]  # one per call (BULK)
    assert len(taken) == 2
    leases = {SignedPackage.loads(row.payload)["args"][0]: row.lock for row in OrmQ.objects.all()}
    assert lease_seconds(1200) == 2460
    assert leases[ROLLUP] >= before + timedelta(seconds=2460)
    # The ordinary task keeps the cluster's lease (HOTLINE_TASK_RETRY, read by django-q2 at
    # start: the test settings' value).
    assert leases[ORDINARY] < before + timedelta(seconds=2460)


# Transactional: django-q2's scheduler closes the database connection first, as a worker's
# process does, which would end a test's enclosing transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
@override_settings(HOTLINE_TASK_TIMEOUT=120, HOTLINE_TASK_TIMEOUTS={ROLLUP: 1200})
def test_the_rollups_schedule_gives_its_tasks_the_longer_timeout() -> None:
    jobs = (
        Periodic(name="statistics.rollup_rebuild", func_path=ROLLUP, minutes=30),
        Periodic(name="intake.drafts_purge", func_path=ORDINARY, minutes=15),
    )
    periodic_schedules_install(jobs)
    assert Schedule.objects.get(name="intake.drafts_purge").kwargs is None
    Schedule.objects.update(next_run=timezone.now() - timedelta(minutes=1))

    # django-q2's own scheduler turns the rows into tasks, as a worker's cluster does.
    scheduler(broker=HotlineBroker(list_key="hotline"))

    packages = _packages()
    assert packages[ROLLUP]["timeout"] == 1200
    assert "timeout" not in packages[ORDINARY]
