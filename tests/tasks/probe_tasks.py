"""Task functions for process tests: each appends one line per run to a file named by the test.

Worker processes import this module (process_helpers puts this folder on their PYTHONPATH).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def _record(path: str, event: str) -> int:
    """Append `event pid time` to the file and return how many `start` lines it now has."""
    with Path(path).open("a") as runs:
        runs.write(f"{event} {os.getpid()} {time.time():.3f}\n")
        runs.flush()
        os.fsync(runs.fileno())
    return sum(1 for line in Path(path).read_text().splitlines() if line.startswith("start"))


def hold_first_run(path: str) -> None:
    """Run forever the first time (until the test kills the worker); finish on the next run."""
    if _record(path, "start") == 1:
        time.sleep(600)
    _record(path, "done")


def fail_first_runs(path: str, failures: int) -> None:
    """Fail the first `failures` runs, then succeed."""
    if _record(path, "start") <= int(failures):
        raise RuntimeError("probe failure (planned)")
    _record(path, "done")


def kill_own_worker(path: str) -> None:
    """Kill the worker process running this task, every time (a task that crashes its worker)."""
    _record(path, "start")
    os.kill(os.getpid(), signal.SIGKILL)


def record_run(path: str, pause_ms: int = 0) -> None:
    """Record one run (taking `pause_ms` milliseconds)."""
    _record(path, "start")
    time.sleep(int(pause_ms) / 1000)
    _record(path, "done")


def runs(path: str) -> list[tuple[str, int, float]]:
    """Return (event, pid, time) for every line recorded so far."""
    if not Path(path).exists():
        return []
    lines = [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
    return [(event, int(pid), float(stamp)) for event, pid, stamp in lines]
