"""`hotline run` as an operator starts it: a real web server and worker in child processes."""

from __future__ import annotations

import json
import re
import signal
import subprocess

import pytest

from hotline.accounts.mfa import totp_code
from process_helpers import (
    Install,
    WebClient,
    free_port,
    group_alive,
    http_get,
    kill_group,
    log_of,
    wait_for,
)

pytestmark = pytest.mark.slow

RECEIPT = re.compile(r'<p class="receipt" id="receipt-code">([^<]+)</p>')
SMALL = ("--processes", "1", "--threads", "2")


def start_run(install: Install, port: int, *args: str) -> subprocess.Popen[bytes]:
    run = install.start("run", "--port", str(port), *SMALL, *args, log=f"run-{port}.log")
    wait_for(
        lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200 or run.poll() is not None,
        timeout=120,
        what="/healthz to answer",
    )
    assert run.poll() is None, log_of(run)
    return run


def stop_with_sigterm(run: subprocess.Popen[bytes]) -> int:
    run.send_signal(signal.SIGTERM)
    code = run.wait(timeout=90)
    # Both children (web server, worker) and theirs are gone, not orphaned.
    wait_for(lambda: not group_alive(run.pid), timeout=30, what="every child to stop")
    return code


def test_run_serves_pages_runs_tasks_and_stops_on_sigterm(install: Install) -> None:
    port = free_port()
    run = start_run(install, port, "--demo")
    base = f"http://127.0.0.1:{port}"

    status, body = http_get(f"{base}/")
    assert status == 200
    assert "/report/" in body
    # The worker that `hotline run` started records its heartbeat.
    health = wait_for(
        lambda: (answer := json.loads(http_get(f"{base}/healthz")[1]))["worker"] == "ok" and answer,
        timeout=60,
        what="/healthz to see the worker",
    )
    assert (health["status"], health["database"]) == ("ok", "ok")

    output = log_of(run)
    assert f"{base}/staff/login/ as demo-analyst / demo-password-change-me" in output
    assert f"OpenHotline is running on {base}/" in output
    # The demo account has two-factor login: the key printed for an authenticator app works.
    secret = re.search(r"authenticator app \(time-based, 6 digits, 30 s\): ([A-Z2-7]+)", output)
    assert secret, output
    client = WebClient(base)
    fields = client.form_fields("/staff/login/")
    status, final, _ = client.request(
        "/staff/login/",
        {**fields, "login": "demo-analyst", "password": "demo-password-change-me"},
    )
    assert (status, final) == (200, "/staff/account/2fa/authenticate/")
    fields = client.form_fields(final)
    status, final, _ = client.request(final, {**fields, "code": totp_code(secret.group(1))})
    assert (status, final) == (200, "/staff/")

    # The worker started by `hotline run` takes tasks from the queue.
    done = install.data_dir / "task-ran.txt"
    install.shell(
        f"from hotline.tasks.queue import enqueue; enqueue('probe_tasks.record_run', {str(done)!r})"
    )
    wait_for(done.exists, timeout=60, what="the worker of `hotline run` to run a task")

    assert stop_with_sigterm(run) == 0
    assert http_get(f"{base}/healthz")[0] == 0
    assert "Traceback" not in log_of(run)


def test_submitted_report_survives_sigkill_of_everything(install: Install) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run = start_run(install, port)
    client = WebClient(base)
    fields = client.form_fields("/report/")
    status, _, page = client.request(
        "/report/",
        {
            **fields,
            "in_danger": "no",
            "reporter_role": "myself",
            "categories": ["sextortion"],
            "platforms": ["facebook"],
            "narrative": "Someone recorded our video call and asks for 200 USD.",
            "money": "demanded",
        },
    )
    assert status == 200
    match = RECEIPT.search(page)
    assert match, page
    code = match.group(1)

    # The receipt code was shown: now every process dies at once (power cut, kill -9).
    kill_group(run)
    wait_for(lambda: not group_alive(run.pid), timeout=30, what="everything to die")
    assert http_get(f"{base}/healthz")[0] == 0

    again = start_run(install, port)
    reporter = WebClient(base)
    fields = reporter.form_fields("/status/")
    status, _, page = reporter.request("/status/", {**fields, "code": code})
    assert status == 200, page
    assert install.shell(
        "from hotline.intake.models import Report; print(Report.objects.count())"
    ) == ("1")
    assert stop_with_sigterm(again) == 0


def test_ctrl_c_stops_everything(install: Install) -> None:
    """Ctrl+C signals the whole process group: the worker gets SIGINT, then SIGTERM from run."""
    port = free_port()
    run = start_run(install, port)
    kill_group(run, signal.SIGINT)
    assert run.wait(timeout=90) == 0
    wait_for(lambda: not group_alive(run.pid), timeout=30, what="every child to stop")


def test_children_stop_when_run_alone_is_killed(install: Install) -> None:
    """A `hotline run` killed by SIGKILL must not leave its server holding the port."""
    port = free_port()
    run = start_run(install, port)
    run.kill()
    run.wait(timeout=10)
    wait_for(lambda: not group_alive(run.pid), timeout=60, what="the orphaned children to stop")
    again = start_run(install, port)
    assert stop_with_sigterm(again) == 0
