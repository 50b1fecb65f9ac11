"""/healthz and `hotline status` with a real web server, real workers, a database that goes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from typing import Any

import pytest

from process_helpers import (
    Install,
    _pg_admin,
    free_port,
    http_get,
    kill_group,
    log_of,
    on_postgresql,
    wait_for,
)

pytestmark = pytest.mark.slow

HEARTBEAT = {"HOTLINE_WORKER_HEARTBEAT_SECONDS": "1"}  # stale after 3 s without a beat


def start_web(install: Install) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    web = install.start(
        "run", "--no-worker", "--port", str(port), "--processes", "1", "--threads", "2"
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz", alive=web)
    return web, base


def health(base: str) -> dict[str, Any]:
    status, body = http_get(f"{base}/healthz")
    assert status == 200, body
    answer: dict[str, Any] = json.loads(body)
    return answer


def health_when(base: str, worker: str, *, timeout: float, **kwargs: Any) -> dict[str, Any]:
    answer: dict[str, Any] = wait_for(
        lambda: (body := health(base))["worker"] == worker and body,
        timeout=timeout,
        what=f'"worker": "{worker}"',
        **kwargs,
    )
    return answer


def test_health_follows_a_real_worker_from_never_to_ok_to_stale(install: Install) -> None:
    _, base = start_web(install)
    answer = health(base)
    # The install's own data folder; the default SQLite file and the uploads live in it.
    sqlite_file = set() if on_postgresql() else {"database"}
    assert set(answer.pop("disk_free_bytes")) == {"data", "uploads", *sqlite_file}
    assert answer == {
        "status": "ok",
        "database": "ok",
        "disk": "ok",
        "worker": "never",
        "worker_last_seen_seconds": None,
        "queue_pending": 0,
        "queue_oldest_seconds": 0,
    }
    status = install.run("status")
    assert status.returncode == 1, status.stderr
    assert "Background worker: NOT RUNNING: none has ever run." in status.stdout

    # Work waits on the queue while no worker runs.
    ran = install.data_dir / "ran.txt"
    install.shell(
        f"from hotline.tasks.queue import enqueue; enqueue('probe_tasks.record_run', {str(ran)!r})"
    )
    assert health(base)["queue_pending"] == 1

    worker = install.start("worker", **HEARTBEAT)
    health_when(base, "ok", timeout=60, alive=worker)
    wait_for(ran.exists, timeout=60, what="the waiting task to run", alive=worker)
    wait_for(lambda: health(base)["queue_pending"] == 0, timeout=30, what="an empty queue")
    status = install.run("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "Background worker: running (1 worker cluster, last heartbeat" in status.stdout
    time.sleep(3.5)  # beats go on: still ok after more than three intervals
    assert health(base)["worker"] == "ok"

    # Killed, every process at once: stale once three beats are missed.
    killed = time.monotonic()  # before: kill_group returns only once the processes are gone
    kill_group(worker)
    answer = health_when(base, "stale", timeout=30)
    print(f"stale {time.monotonic() - killed:.1f} s after the kill")
    assert answer["worker_last_seen_seconds"] >= 3
    assert time.monotonic() - killed >= 2
    status = install.run("status")
    assert status.returncode == 1
    assert "NOT RUNNING: the last heartbeat was" in status.stdout
    assert "(killed or hung)" in status.stdout

    # Stopped cleanly: stale at once, and said so.
    again = install.start("worker", **HEARTBEAT)
    health_when(base, "ok", timeout=60, alive=again)
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=60) == 0, log_of(again)
    assert health(base)["worker"] == "stale"
    assert re.search(r"started [-0-9: ]+: stopped \d+ s ago", install.run("status").stdout)
    assert "Traceback" not in log_of(again)


def test_healthz_is_503_when_the_database_does_not_answer(install: Install) -> None:
    web, base = start_web(install)
    if on_postgresql():
        name = install.env["HOTLINE_DATABASE_URL"].rsplit("/", 1)[1]
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    else:
        # Each request opens the SQLite file anew; a folder in its place cannot be opened.
        database = install.data_dir / "hotline.sqlite3"
        database.rename(install.data_dir / "moved.sqlite3")
        database.mkdir()
    status, body = http_get(f"{base}/healthz")
    answer = json.loads(body)
    answer.pop("disk_free_bytes")
    assert (status, answer) == (503, {"status": "error", "database": "error", "disk": "ok"})
    assert web.poll() is None
    output = log_of(web)
    assert "health check: the database does not answer (OperationalError)" in output
    assert "Traceback" not in output
    status_command = install.run("status")
    assert status_command.returncode == 2
    assert "the database cannot be used" in status_command.stderr
