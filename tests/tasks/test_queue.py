"""The queue in one process: what enqueue writes, what execute does on failure, the broker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.exceptions import TimeoutException
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from hotline.tasks import queue, runner
from hotline.tasks.broker import HotlineBroker
from hotline.tasks.models import FailedTask
from hotline.tasks.services import (
    PERIODIC,
    failed_task_retry,
    periodic_schedules_install,
)

pytestmark = pytest.mark.django_db

CALLS: list[tuple[Any, ...]] = []


def succeed(*args: Any) -> None:
    CALLS.append(args)


def fail(*args: Any) -> None:
    CALLS.append(args)
    raise ValueError("planned failure")


def time_out(*args: Any) -> None:
    CALLS.append(args)
    raise TimeoutException("Task exceeded maximum timeout value (4 seconds)")


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    CALLS.clear()
    settings.HOTLINE_TASK_BACKOFF_SECONDS = 10
    settings.HOTLINE_TASK_BACKOFF_MAX_SECONDS = 35
    settings.HOTLINE_TASK_MAX_ATTEMPTS = 3


def queued() -> list[tuple[dict[str, Any], Any]]:
    """Return (task package, lock) of every queued row, oldest first."""
    return [(SignedPackage.loads(row.payload), row.lock) for row in OrmQ.objects.order_by("pk")]


def test_backoff_doubles_up_to_the_ceiling() -> None:
    assert [queue.backoff_seconds(n) for n in range(1, 6)] == [10, 20, 35, 35, 35]


def test_enqueue_writes_a_row_due_now_or_after_the_delay() -> None:
    before = timezone.now()
    job = queue.enqueue("tests.succeed", 7, "x")
    queue.enqueue("tests.succeed", 8, delay_seconds=60)
    (now_task, now_lock), (later_task, later_lock) = queued()
    assert now_task["func"] == "hotline.tasks.runner.execute"
    assert now_task["args"] == ("tests.succeed", [7, "x"], 1, job)
    assert before <= now_lock <= timezone.now()
    assert timedelta(seconds=59) < later_lock - before < timedelta(seconds=61)
    assert later_task["args"][2] == 1


def test_enqueue_rolls_back_with_the_callers_transaction() -> None:
    from django.db import transaction

    def submit_then_fail() -> None:
        with transaction.atomic():
            queue.enqueue("tests.succeed", 1)
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        submit_then_fail()
    assert OrmQ.objects.count() == 0


def test_failure_queues_the_next_attempt_after_its_backoff() -> None:
    started = timezone.now()
    runner.execute(f"{__name__}.fail", [5], attempt=2, job_id="job1")
    assert CALLS == [(5,)]
    ((task, lock),) = queued()
    assert task["args"] == (f"{__name__}.fail", [5], 3, "job1")
    assert timedelta(seconds=19) < lock - started < timedelta(seconds=21)  # backoff(2) = 20 s
    assert not FailedTask.objects.exists()


def test_last_failed_attempt_is_recorded_once_and_not_queued() -> None:
    for _ in range(2):  # a redelivered last attempt records the same row
        runner.execute(f"{__name__}.fail", [5], attempt=3, job_id="job2")
    assert OrmQ.objects.count() == 0
    failed = FailedTask.objects.get()
    assert (failed.job_id, failed.func_path, failed.args, failed.attempts) == (
        "job2",
        f"{__name__}.fail",
        [5],
        3,
    )
    assert failed.error == "builtins.ValueError: planned failure"


def test_a_timeout_counts_as_a_failed_attempt() -> None:
    runner.execute(f"{__name__}.time_out", [1], attempt=1, job_id="job3")
    ((task, _),) = queued()
    assert task["args"][2] == 2


def test_an_unknown_function_counts_as_a_failed_attempt() -> None:
    runner.execute("hotline.no_such_module.func", [1], attempt=3, job_id="job4")
    assert "ModuleNotFoundError" in FailedTask.objects.get().error


def test_success_queues_nothing() -> None:
    runner.execute(f"{__name__}.succeed", [1, "a"], attempt=1, job_id="job5")
    assert CALLS == [(1, "a")]
    assert OrmQ.objects.count() == 0


def test_a_task_delivered_too_often_is_not_run_again_but_counted_as_failed() -> None:
    runner.execute(f"{__name__}.succeed", [1], attempt=1, job_id="job6", delivery=3)
    assert CALLS == [(1,)]  # two deaths are forgiven
    CALLS.clear()
    runner.execute(f"{__name__}.succeed", [1], attempt=1, job_id="job6", delivery=4)
    assert CALLS == []
    ((task, _),) = queued()
    assert task["args"] == (f"{__name__}.succeed", [1], 2, "job6")
    runner.execute(f"{__name__}.succeed", [1], attempt=3, job_id="job6", delivery=4)
    assert "stopped 3 times" in FailedTask.objects.get().error


def test_broker_counts_deliveries_and_leases_each_take() -> None:
    queue.enqueue(f"{__name__}.succeed", 1)
    broker = HotlineBroker()
    ((ack_id, payload),) = broker.dequeue()
    assert SignedPackage.loads(payload)["kwargs"] == {"delivery": 1}
    assert broker.dequeue() is None  # leased: nobody else gets it
    # The worker died: its lease runs out and the next take counts a second delivery.
    OrmQ.objects.filter(pk=ack_id).update(lock=timezone.now() - timedelta(seconds=1))
    ((_, payload),) = broker.dequeue()
    assert SignedPackage.loads(payload)["kwargs"] == {"delivery": 2}
    broker.acknowledge(ack_id)
    assert OrmQ.objects.count() == 0


def test_broker_holds_a_delayed_task_until_its_time() -> None:
    queue.enqueue(f"{__name__}.succeed", 1, delay_seconds=30)
    assert HotlineBroker().dequeue() is None
    OrmQ.objects.update(lock=timezone.now() - timedelta(seconds=1))
    assert HotlineBroker().dequeue()


def test_retrying_a_failed_task_starts_again_at_attempt_one() -> None:
    runner.execute(f"{__name__}.fail", [9], attempt=3, job_id="job7")
    failed = FailedTask.objects.get()
    assert failed_task_retry(failed_task_id=failed.pk) == "job7"
    assert not FailedTask.objects.exists()
    ((task, _),) = queued()
    assert task["args"] == (f"{__name__}.fail", [9], 1, "job7")


def test_periodic_schedules_are_installed_once_and_run_through_execute() -> None:
    Schedule.objects.create(name=PERIODIC[0].name, func="old", schedule_type=Schedule.ONCE)
    Schedule.objects.create(name=PERIODIC[0].name, func="old", schedule_type=Schedule.ONCE)
    periodic_schedules_install()
    periodic_schedules_install()
    schedule = Schedule.objects.get(name=PERIODIC[0].name)
    assert schedule.func == "hotline.tasks.runner.execute"
    assert schedule.args == repr((PERIODIC[0].func_path, [], 1))
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        15,
        -1,
    )


def test_periodic_jobs_name_functions_that_exist() -> None:
    from django.utils.module_loading import import_string

    for job in PERIODIC:
        assert callable(import_string(job.func_path))


def test_tasks_command_shows_counts_and_failures(capsys: pytest.CaptureFixture[str]) -> None:
    queue.enqueue(f"{__name__}.succeed", 1)
    queue.enqueue(f"{__name__}.succeed", 2, delay_seconds=60)
    runner.execute(f"{__name__}.fail", [3], attempt=3, job_id="job8")
    call_command("tasks")
    assert "ready 1, running or taken 0, waiting to retry 1, failed 1" in capsys.readouterr().out
    call_command("tasks", "--failed")
    assert "builtins.ValueError: planned failure" in capsys.readouterr().out
    call_command("tasks", "--retry", str(FailedTask.objects.get().pk))
    assert "1 task(s) queued again." in capsys.readouterr().out
    assert not FailedTask.objects.exists()


# django-q2's scheduler closes "old" connections, which ends a test's enclosing transaction.
@pytest.mark.django_db(transaction=True)
def test_scheduler_queues_the_purge_and_execute_runs_it() -> None:
    from django_q.scheduler import scheduler

    from hotline.intake.models import Report
    from hotline.intake.services import ReportInput, report_submit

    report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"], narrative="x"),
        evidence=[],
        submission_token="t" * 40,
    )
    Report.objects.update(created_at=timezone.now() - timedelta(hours=2))
    OrmQ.objects.all().delete()  # the report's own processing task
    assert Report.objects.filter(replay_ciphertext__isnull=False).count() == 1

    periodic_schedules_install()
    Schedule.objects.update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler(broker=HotlineBroker())
    tasks = {task["args"][0]: task for task, _ in queued()}
    task = tasks[PERIODIC[0].func_path]
    assert task["func"] == "hotline.tasks.runner.execute"
    func_path, args, attempt = task["args"]
    assert (func_path, args, attempt) == (PERIODIC[0].func_path, [], 1)
    runner.execute(func_path, args, attempt)
    assert Report.objects.filter(replay_ciphertext__isnull=False).count() == 0
    assert not FailedTask.objects.exists()
    # The schedule stays, due again in 15 minutes.
    schedule = Schedule.objects.get(name=PERIODIC[0].name)
    assert schedule.next_run > timezone.now() + timedelta(minutes=14)


def test_idempotent_partner_answers_purge_is_scheduled_hourly() -> None:
    periodic_schedules_install()
    schedule = Schedule.objects.get(name="intake.idempotent_requests_purge")
    assert schedule.func == "hotline.tasks.runner.execute"
    assert schedule.args == repr(("hotline.intake.partners.idempotent_requests_purge", [], 1))
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        60,
        -1,
    )


@pytest.mark.django_db(transaction=True)
def test_scheduler_queues_the_idempotency_purge_and_it_forgets_old_answers() -> None:
    from django_q.scheduler import scheduler

    from hotline.intake.models import IdempotentRequest
    from hotline.intake.partners import partner_create

    partner, _ = partner_create(name="Partner")
    for key, age in (("old", timedelta(days=8)), ("recent", timedelta(days=6))):
        IdempotentRequest.objects.create(
            partner=partner,
            key=key,
            request_digest="0" * 64,
            response={},
            status_code=201,
            created_at=timezone.now() - age,
        )
    periodic_schedules_install()
    Schedule.objects.exclude(name="intake.idempotent_requests_purge").delete()
    Schedule.objects.update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler(broker=HotlineBroker())
    ((task, _),) = queued()
    func_path, args, attempt = task["args"]
    assert func_path == "hotline.intake.partners.idempotent_requests_purge"
    runner.execute(func_path, args, attempt)
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    assert not FailedTask.objects.exists()


def test_a_task_queued_under_the_former_runner_path_is_taken_as_ours() -> None:
    """Rows queued before `execute` moved to hotline.tasks.runner still run and are counted."""
    from django_q.signing import SignedPackage

    from hotline.tasks.broker import EXECUTE, LEGACY_EXECUTE, count_delivery

    legacy = SignedPackage.dumps(
        {"func": LEGACY_EXECUTE, "args": ("probe.f", [1], 1, "job"), "kwargs": {}}
    )
    taken = SignedPackage.loads(count_delivery(legacy, holder=7))
    assert taken["func"] == EXECUTE
    assert taken["kwargs"]["delivery"] == 1
    from django.utils.module_loading import import_string

    assert import_string(taken["func"]) is runner.execute
