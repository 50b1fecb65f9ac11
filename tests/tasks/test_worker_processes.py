"""The queue with real worker processes: SIGKILL mid-task, retries with backoff, give-up.

Each test runs `hotline worker` in child processes against a throwaway install (SQLite, or
PostgreSQL when the suite runs on it) with short timeouts set through the environment.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import time

import pytest
from probe_tasks import runs

from process_helpers import (
    Install,
    descendants,
    group_alive,
    kill_group,
    log_of,
    running,
    wait_for,
)

pytestmark = pytest.mark.slow

# A task running longer than TIMEOUT is stopped; one whose worker died comes back RETRY s
# after it was taken.
FAST = {"HOTLINE_TASK_TIMEOUT": "4", "HOTLINE_TASK_RETRY": "6", "HOTLINE_WORKER_PROCESSES": "2"}


def enqueue(install: Install, func: str, *args: str | int) -> None:
    install.shell(f"from hotline.tasks.queue import enqueue; enqueue({func!r}, *{args!r})")


def starts(path: str) -> list[tuple[str, int, float]]:
    return [run for run in runs(path) if run[0] == "start"]


def dones(path: str) -> list[tuple[str, int, float]]:
    return [run for run in runs(path) if run[0] == "done"]


def queue_status(install: Install, **env: str) -> str:
    return install.shell(
        "from hotline.tasks.selectors import queue_status; print(queue_status())", **env
    )


def failed_tasks(install: Install) -> list[str]:
    out = install.shell(
        "from hotline.tasks.models import FailedTask\n"
        "for f in FailedTask.objects.all(): print(f.func_path, f.attempts, f.error)"
    )
    return out.splitlines() if out else []


def test_task_of_a_killed_worker_runs_again_on_a_new_worker(install: Install) -> None:
    path = str(install.data_dir / "runs.txt")
    enqueue(install, "probe_tasks.hold_first_run", path)
    first = install.start("worker", **FAST)
    wait_for(lambda: starts(path), timeout=60, what="the first run to start", alive=first)

    # Power cut: every process of the worker dies at once, the task half done.
    kill_group(first)
    wait_for(lambda: not group_alive(first.pid), timeout=10, what="the worker to die")
    assert dones(path) == []

    second = install.start("worker", **FAST)
    wait_for(
        lambda: dones(path), timeout=60, what="the task to finish on the new worker", alive=second
    )
    first_run, second_run = starts(path)
    (done,) = dones(path)
    assert first_run[1] != second_run[1] == done[1]
    print(f"run again {second_run[2] - first_run[2]:.2f} s after the killed run started")
    # Delivered again only once its lease ran out: never while it might still be running.
    assert second_run[2] - first_run[2] > int(FAST["HOTLINE_TASK_TIMEOUT"])
    wait_for(
        lambda: queue_status(install) == "QueueStatus(ready=0, taken=0, delayed=0, failed=0)",
        timeout=30,
        what="the queue to empty",
    )
    assert "Traceback" not in log_of(second)


def test_task_whose_worker_process_dies_runs_again_in_the_same_cluster(install: Install) -> None:
    path = str(install.data_dir / "runs.txt")
    worker = install.start("worker", **FAST)
    enqueue(install, "probe_tasks.hold_first_run", path)
    (first_run,) = wait_for(lambda: starts(path), timeout=60, what="the first run", alive=worker)

    # Only the process running the task dies (out of memory, say); the cluster lives on.
    os.kill(first_run[1], signal.SIGKILL)
    wait_for(lambda: dones(path), timeout=60, what="the task to run again", alive=worker)
    assert len(starts(path)) == 2
    assert worker.poll() is None


def test_task_that_kills_its_worker_every_time_ends_as_failed(install: Install) -> None:
    env = {**FAST, "HOTLINE_TASK_TIMEOUT": "1", "HOTLINE_TASK_RETRY": "2"}
    env["HOTLINE_TASK_MAX_ATTEMPTS"] = "1"
    path = str(install.data_dir / "runs.txt")
    worker = install.start("worker", **env)
    enqueue(install, "probe_tasks.kill_own_worker", path)

    (failed,) = wait_for(
        lambda: failed_tasks(install), timeout=60, what="a FailedTask row", alive=worker
    )
    assert failed.startswith("probe_tasks.kill_own_worker 1 ")
    assert "stopped 3 times" in failed
    assert len(starts(path)) == 3  # MAX_DELIVERIES: it stopped looping
    time.sleep(3)  # longer than RETRY: nothing comes back
    assert len(starts(path)) == 3
    assert queue_status(install, **env).endswith("delayed=0, failed=1)")


def test_failing_task_is_retried_with_growing_delays_then_succeeds_or_is_recorded(
    install: Install,
) -> None:
    env = {**FAST, "HOTLINE_TASK_BACKOFF_SECONDS": "1", "HOTLINE_TASK_MAX_ATTEMPTS": "4"}
    flaky = str(install.data_dir / "flaky.txt")
    hopeless = str(install.data_dir / "hopeless.txt")
    worker = install.start("worker", **env)
    enqueue(install, "probe_tasks.fail_first_runs", flaky, 3)
    enqueue(install, "probe_tasks.fail_first_runs", hopeless, 99)

    wait_for(lambda: dones(flaky), timeout=60, what="the flaky task to succeed", alive=worker)
    times = [stamp for _, _, stamp in starts(flaky)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) == 4  # three failures, then success on attempt 4
    print("gaps between attempts (s):", [round(gap, 2) for gap in gaps])
    for gap, delay in zip(gaps, [1, 2, 4], strict=True):
        # Not before the backoff delay; late by at most a few polls of the queue.
        assert delay <= gap < delay + 3, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps

    (failed,) = wait_for(lambda: failed_tasks(install), timeout=60, what="a FailedTask row")
    assert failed.startswith("probe_tasks.fail_first_runs 4 builtins.RuntimeError: probe failure")
    assert len(starts(hopeless)) == 4
    wait_for(
        lambda: queue_status(install, **env).startswith("QueueStatus(ready=0, taken=0, delayed=0"),
        timeout=30,
        what="nothing left on the queue",
    )
    time.sleep(2)
    assert len(starts(hopeless)) == 4  # it stopped: no fifth attempt

    # An operator fixes the cause and retries it: it runs again from attempt 1.
    retried = install.run("tasks", "--retry", "all", **env)
    assert retried.returncode == 0, retried.stderr
    assert "1 task(s) queued again." in retried.stdout
    assert failed_tasks(install) == []
    wait_for(lambda: len(starts(hopeless)) >= 5, timeout=30, what="the retried task to run")
    assert worker.poll() is None


def test_several_workers_share_the_queue_and_run_each_task_once(install: Install) -> None:
    folder = install.data_dir / "many"
    folder.mkdir()
    workers = [install.start("worker", **FAST) for _ in range(2)]
    install.shell(
        "from hotline.tasks.queue import enqueue\n"
        f"for n in range(60): enqueue('probe_tasks.record_run', '{folder}/%d.txt' % n, 100)"
    )
    wait_for(
        lambda: sum(1 for n in range(60) if dones(str(folder / f"{n}.txt"))) == 60,
        timeout=120,
        what="60 tasks to run",
        alive=workers[0],
    )
    time.sleep(1)
    pids = set()
    for n in range(60):
        record = runs(str(folder / f"{n}.txt"))
        assert [event for event, _, _ in record] == ["start", "done"]  # once, not twice
        pids.add(record[0][1])
    print(f"60 tasks ran in {len(pids)} worker processes")
    assert len(pids) > 2  # more than one cluster (2 processes each) took tasks
    assert all(worker.poll() is None for worker in workers)


def test_cluster_processes_exit_when_the_worker_alone_is_killed(install: Install) -> None:
    """SIGKILL of `hotline worker` only (not its group) must not leave django-q2's children."""
    path = str(install.data_dir / "runs.txt")
    enqueue(install, "probe_tasks.hold_first_run", path)
    first = install.start("worker", **FAST)
    (first_run,) = wait_for(lambda: starts(path), timeout=60, what="the first run", alive=first)
    children = descendants(first.pid)
    # The sentinel, its two worker processes, the monitor and the pusher.
    assert len(children) == 5, children
    assert first_run[1] in children

    first.kill()  # this pid only: the children are orphaned, not signalled
    first.wait(timeout=10)
    started = time.monotonic()
    wait_for(
        lambda: not any(running(pid) for pid in children),
        timeout=5,
        what=f"the orphans {sorted(pid for pid in children if running(pid))} to exit",
    )
    print(f"the cluster's processes were gone {time.monotonic() - started:.2f} s after the kill")
    assert dones(path) == []

    second = install.start("worker", **FAST)
    wait_for(lambda: dones(path), timeout=60, what="the task to run again", alive=second)
    (_, second_run) = starts(path)
    assert second_run[1] in descendants(second.pid)


def test_a_stored_report_is_queued_and_processed_by_a_worker_it_never_met(
    install: Install,
) -> None:
    """The request that stores a report queues nothing: a worker started later finds it at
    its first poll, queues its processing and runs it."""
    install.shell(
        "from hotline.intake.services import ReportInput, report_submit\n"
        "report_submit(data=ReportInput(reporter_role='saw_online', categories=['selling_group'],"
        " narrative='They sell it in t.me/outbox_probe_group'), evidence=[])"
    )

    def processed() -> bool:
        return (
            install.shell(
                "from hotline.intake.models import Report\n"
                "r = Report.objects.get()\n"
                "print(r.pipeline_queued, r.entity_links.exists())"
            )
            == "True True"
        )

    assert not processed()
    worker = install.start("worker", **FAST)
    wait_for(processed, timeout=60, what="the report to be queued and processed", alive=worker)


def test_tasks_of_a_killed_worker_run_elsewhere_within_a_minute_and_a_slow_task_runs_once(
    install: Install,
) -> None:
    """A SIGKILLed cluster's tasks come back when its heartbeat goes stale, not after their
    300 s lease; a slow task of a live cluster, running all the while, is not handed back."""
    env = {
        "HOTLINE_TASK_TIMEOUT": "60",
        "HOTLINE_TASK_RETRY": "300",  # the lease: far beyond the test's one-minute limit
        "HOTLINE_WORKER_HEARTBEAT_SECONDS": "1",  # stale after 3 s without a beat
        "HOTLINE_WORKER_PROCESSES": "1",
    }
    held = str(install.data_dir / "held.txt")
    decoys = [str(install.data_dir / f"decoy{n}.txt") for n in range(2)]
    slow = str(install.data_dir / "slow.txt")

    # The doomed cluster runs one task and holds two more (its queue, its pusher's hand).
    doomed = install.start("worker", **env)
    enqueue(install, "probe_tasks.hold_first_run", held)
    wait_for(lambda: starts(held), timeout=60, what="the held task to start", alive=doomed)
    for decoy in decoys:
        enqueue(install, "probe_tasks.record_run", decoy)
    wait_for(
        lambda: queue_status(install, **env).startswith("QueueStatus(ready=0, taken=3,"),
        timeout=30,
        what="the doomed cluster to hold three tasks",
    )

    survivor = install.start("worker", **{**env, "HOTLINE_WORKER_PROCESSES": "2"})
    enqueue(install, "probe_tasks.record_run", slow, 15_000)
    ((_, slow_pid, _),) = wait_for(
        lambda: starts(slow), timeout=60, what="the slow task to start", alive=survivor
    )
    assert slow_pid in descendants(survivor.pid)
    time.sleep(4)  # the survivor has beaten long enough to judge others

    kill_group(doomed)
    killed = time.time()
    wait_for(
        lambda: len(starts(held)) == 2 and all(dones(decoy) for decoy in decoys),
        timeout=60,
        what="the killed cluster's tasks to run on the survivor",
        alive=survivor,
    )
    (_, rerun) = starts(held)
    print(f"the killed worker's task ran again {rerun[2] - killed:.1f} s after the kill")
    assert rerun[1] in descendants(survivor.pid)
    assert rerun[2] - killed < 60

    # The slow task was running when the dead cluster's tasks came back, and ran once.
    wait_for(lambda: dones(slow), timeout=60, what="the slow task to finish", alive=survivor)
    assert [event for event, _, _ in runs(slow)] == ["start", "done"]
    assert dones(slow)[0][2] > rerun[2]
    for decoy in decoys:
        assert [event for event, _, _ in runs(decoy)] == ["start", "done"]
    assert "3 task(s) of 1 stopped worker cluster(s) queued again" in log_of(survivor)
    assert "Traceback" not in log_of(survivor)


def test_task_of_a_killed_worker_runs_on_its_replacement_within_a_minute_not_after_its_lease(
    install: Install,
) -> None:
    """The only worker is killed and a supervisor starts a new one: the new worker hands the
    dead cluster's task back once it has beaten for three intervals itself."""
    env = {
        "HOTLINE_TASK_TIMEOUT": "60",
        "HOTLINE_TASK_RETRY": "300",
        "HOTLINE_WORKER_HEARTBEAT_SECONDS": "2",
    }
    path = str(install.data_dir / "runs.txt")
    enqueue(install, "probe_tasks.hold_first_run", path)
    first = install.start("worker", **env)
    wait_for(lambda: starts(path), timeout=60, what="the first run", alive=first)
    kill_group(first)
    killed = time.time()

    second = install.start("worker", **env)
    wait_for(lambda: dones(path), timeout=60, what="the task to run again", alive=second)
    (_, rerun) = starts(path)
    print(f"run again on the new worker {rerun[2] - killed:.1f} s after the kill")
    assert rerun[1] in descendants(second.pid)
    # Not before the new worker could tell the old one was dead (three 2 s beats).
    assert rerun[2] - killed >= 6


def test_a_worker_stopped_while_its_cluster_starts_stops_cleanly(install: Install) -> None:
    """Ctrl+C or a service stop reaches every process of the group at once; if it comes while
    django-q2's cluster is still starting, the worker stops as asked (exit 0, recorded as
    stopped), not as "the task workers could not start"."""
    worker = install.start("worker", **FAST)
    # The first child is django-q2's sentinel, forked by cluster.start(); the group signal must
    # arrive before the cluster says it has started (its worker processes not all forked yet).
    wait_for(
        lambda: descendants(worker.pid), timeout=60, interval=0.002, what="the cluster's sentinel"
    )
    os.killpg(worker.pid, signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, log_of(worker)
    assert "could not start" not in log_of(worker)
    status = install.run("status")
    assert re.search(r"started [-0-9: ]+: stopped \d+ s ago", status.stdout), status.stdout


def test_a_task_with_its_own_longer_timeout_runs_to_the_end_once(install: Install) -> None:
    # The cluster stops tasks after 2 s and leases them for 3 s; the slow task may take 20 s.
    env = {**FAST, "HOTLINE_TASK_TIMEOUT": "2", "HOTLINE_TASK_RETRY": "3"}
    slow = str(install.data_dir / "slow.txt")
    plain = str(install.data_dir / "plain.txt")
    install.shell(
        "from hotline.tasks.queue import enqueue\n"
        f"enqueue('probe_tasks.record_run', {slow!r}, 6000, timeout_seconds=20)\n"
        f"enqueue('probe_tasks.record_run', {plain!r}, 6000)",
        **env,
    )
    worker = install.start("worker", **env)

    wait_for(lambda: dones(slow), timeout=60, what="the slow task to finish", alive=worker)
    # Six seconds of work: past the cluster's timeout and its lease, yet one run, never stopped
    # and never handed to the other worker process while it ran.
    assert len(starts(slow)) == 1
    assert len(dones(slow)) == 1
    # The same work without its own timeout is stopped at 2 s (the control: timeouts still apply).
    wait_for(lambda: starts(plain), timeout=30, what="the plain task to start", alive=worker)
    assert dones(plain) == []
