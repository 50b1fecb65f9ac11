"""Run the real `hotline` command in child processes, each install with its own database.

pytest-django's test database lives inside a transaction of this process, which a child
process cannot see; process tests get a throwaway install instead: a data directory with its
own SQLite file, or (when the suite runs on PostgreSQL) a throwaway PostgreSQL database.
Installs are copied from one migrated template, so each test starts clean in well under a
second.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

HOTLINE = str(Path(sys.executable).with_name("hotline"))
PROBES = str(Path(__file__).resolve().parent / "tasks")  # probe_tasks.py, imported by workers


def on_postgresql() -> bool:
    """Tell whether this test run uses PostgreSQL (then process tests do too)."""
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def _pg_admin() -> Any:
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        autocommit=True,
    )


def _pg_url(name: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    user = db.get("USER") or "postgres"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def base_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """Return a child environment: this one without HOTLINE_* and Django settings, plus ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HOTLINE_", "DJANGO_", "PYTEST_"))
    }
    env.update(
        HOTLINE_DATA_DIR=str(data_dir),
        HOTLINE_CREATE_KEY_FILE="1",
        HOTLINE_LOG_LEVEL="WARNING",
        PYTHONPATH=PROBES,
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["HOTLINE_DATABASE_URL"] = database_url
    return env


@dataclass
class Install:
    """One throwaway OpenHotline install: data directory, database, environment."""

    data_dir: Path
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """Run `hotline ARGS` to completion."""
        return subprocess.run(
            [HOTLINE, *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def shell(self, code: str, **env: str) -> str:
        """Run Python code in `hotline shell` and return its output (fails the test on error)."""
        done = self.run("shell", "--no-imports", "-c", code, **env)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start(self, *args: str, log: str = "", **env: str) -> subprocess.Popen[bytes]:
        """Start `hotline ARGS` in its own process group (stopped at the end of the test)."""
        log_path = self.data_dir / (log or f"{args[0]}-{len(self.started)}.log")
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                [HOTLINE, *args],
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        process.log_path = log_path  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        """SIGKILL every process group this install started; print their output (for failures)."""
        for process in self.started:
            kill_group(process)
            print(f"--- output of {process.args} (exit {process.returncode}):\n{log_of(process)}")


# How long `hotline run` may take to stop after SIGTERM: it waits for the worker to finish its task
# (HOTLINE_TASK_TIMEOUT, 120 s by default, plus 10 s), then kills what is left. django-q2's
# cluster can, rarely, hang in its own stop when the whole process group got SIGTERM (seen once
# in CI, 2026-12-03); the supervisor's bound is what ends it, so tests wait that long.
RUN_STOP_SECONDS = 150


def log_of(process: subprocess.Popen[bytes]) -> str:
    """Return what a started process printed so far."""
    return Path(process.log_path).read_text(errors="replace")  # type: ignore[attr-defined]


def kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the process's whole group and reap the leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    if sig == signal.SIGKILL:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    """Tell whether any process of the group still exists (zombies count as gone)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """Yield (pid, fields after the command name) of every process (from /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name in parentheses may hold spaces: parse after the last ")".
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile


def descendants(pid: int) -> set[int]:
    """Return the pids of every living descendant of `pid` (children, theirs, ...)."""
    children: dict[int, list[int]] = {}
    for child, fields in _proc_stats():
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(child)
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def running(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[0] != "Z"


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "",
    alive: subprocess.Popen[bytes] | None = None,
) -> Any:
    """Poll `condition` until it returns something true; fail the test after `timeout` s.

    With `alive`, fail at once if that process exits meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if alive is not None and alive.poll() is not None:
            pytest.fail(f"{alive.args} exited ({alive.returncode}) before {what}:\n{log_of(alive)}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(interval)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    """GET a URL; return status and body (errors too), or (0, "") if nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


class WebClient:
    """A cookie-keeping HTTP client for a running server (stdlib only, 127.0.0.1)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, str, str]:
        """GET (or POST `data`, lists as repeated fields); return status, final path, body."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=30) as response:
                final = urllib.parse.urlsplit(response.url).path
                return response.status, final, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, path, exc.read().decode(errors="replace")

    def form_fields(self, path: str) -> dict[str, str]:
        """GET a page and return its hidden inputs (CSRF token, submission token)."""
        status, _, page = self.request(path)
        assert status == 200, page
        hidden: dict[str, str] = {}
        for tag in re.findall(r"<input[^>]*>", page):
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name and 'type="hidden"' in tag:
                hidden[name.group(1)] = html.unescape(value.group(1)) if value else ""
        return hidden


@pytest.fixture(scope="session")
def _install_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Migrate one install; tests copy it (SQLite file copy, or PostgreSQL TEMPLATE)."""
    data_dir = tmp_path_factory.mktemp("hotline-template")
    pg_name = f"hotline_tpl_{secrets.token_hex(4)}" if on_postgresql() else ""
    if pg_name:
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
    env = base_env(data_dir, _pg_url(pg_name) if pg_name else None)
    done = subprocess.run(
        [HOTLINE, "migrate", "-v0"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    try:
        yield data_dir, pg_name
    finally:
        if pg_name:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture
def install(_install_template: tuple[Path, str], tmp_path: Path) -> Iterator[Install]:
    """Return a fresh, migrated install (its processes are killed at the end of the test)."""
    template_dir, template_db = _install_template
    data_dir = tmp_path / "install"
    shutil.copytree(template_dir, data_dir)
    pg_name = f"hotline_proc_{secrets.token_hex(4)}" if template_db else ""
    if pg_name:
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}" TEMPLATE "{template_db}"')
    result = Install(
        data_dir=data_dir, env=base_env(data_dir, _pg_url(pg_name) if pg_name else None)
    )
    try:
        yield result
    finally:
        result.stop_all()
        if pg_name:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
