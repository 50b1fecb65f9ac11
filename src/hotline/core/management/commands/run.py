"""`hotline run`: migrate if needed, then start the web server and a worker together."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.core.webserver import WORKER_CONNECTIONS
from hotline.vault.services import TEMPORARY_ORPHAN_SECONDS, upload_temporaries_sweep

# No %(h)s: gunicorn's access log must not carry the client address; %(U)s has no query.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def gunicorn_command(*, host: str, port: int, processes: int, threads: int) -> list[str]:
    """Return the production web-server command line (also used by the benchmarks)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "hotline.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(processes),
        "--threads",
        str(threads),
        # gunicorn's gthread worker, reading each request whole before a thread serves it,
        # and its logger without client addresses or control characters
        # (hotline.core.webserver; docs/decisions/web-front.md).
        "--worker-class",
        "hotline.core.webserver.BufferingThreadWorker",
        "--worker-connections",
        str(WORKER_CONNECTIONS),
        "--logger-class",
        "hotline.core.webserver.PrivateLogger",
        "--access-logfile",
        os.environ.get("HOTLINE_ACCESS_LOG", "-"),
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "--forwarded-allow-ips",
        os.environ.get("HOTLINE_TRUSTED_PROXIES", "127.0.0.1"),
        "--graceful-timeout",
        "20",
        "--timeout",
        "60",
        # gunicorn 27 otherwise opens a control socket in $HOME/.gunicorn, shared by every
        # server of the user (two installs, tests, benchmarks) and not needed here.
        "--no-control-socket",
    ]


def _port_problem(host: str, port: int) -> str | None:
    """Return why the web server could not listen on host:port, or None if it can."""
    if not 0 < port < 65536:
        return f"Port {port} is not a port number (1-65535)."
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            # SO_REUSEADDR as gunicorn sets it: a port only in TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except socket.gaierror:
        return f"The address {host!r} is not a host name or IP address of this computer."
    except PermissionError:
        return (
            f"This user may not use port {port} on {host}. "
            f"Choose a port above 1023: hotline run --port 8000"
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"Port {port} on {host} is already in use. Stop the other program or choose "
                f"another port: hotline run --port {port + 1}"
            )
        return f"Cannot listen on {host} port {port}: {exc.strerror or exc}."
    return None


def _stop_with_parent() -> Callable[[], None] | None:
    """Return a pre-exec hook that makes a child get SIGTERM when `hotline run` dies (Linux).

    Without it, a `hotline run` killed with SIGKILL (out of memory, kill -9) would leave its
    web server holding the port and its workers running, and the next start would fail.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


def _process_tree(pid: int) -> list[int]:
    """Return `pid` and its descendants, parents first (from /proc; just `pid` elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name in parentheses may hold spaces: parse after the last ")".
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree = [pid]
    for parent in tree:
        tree.extend(children.get(parent, []))
    return tree


class Command(BaseCommand):
    help = "Set up the database if needed, then run the web server and a background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOTLINE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HOTLINE_PORT", "8000")))
        parser.add_argument(
            "--demo", action="store_true", help="load demo data and a demo staff account"
        )
        parser.add_argument(
            "--processes", type=int, default=int(os.environ.get("HOTLINE_WEB_PROCESSES", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("HOTLINE_WEB_THREADS", "4"))
        )
        parser.add_argument("--no-worker", action="store_true", help="start the web server only")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        problem = _port_problem(host, port)
        if problem:
            raise CommandError(problem)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("compilemessages_if_needed")
        # Pages name static files by their hashed names, from STATIC_ROOT's manifest: collect
        # them whenever the sources changed, so an upgrade never serves a stale stylesheet.
        call_command("collectstatic_if_needed")
        upload_temporaries_sweep(older_than_seconds=TEMPORARY_ORPHAN_SECONDS)
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        if options["demo"]:
            call_command("demo", base_url=url)
        preexec = _stop_with_parent()
        children: list[subprocess.Popen[bytes]] = []
        web = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            gunicorn_command(
                host=host, port=port, processes=options["processes"], threads=options["threads"]
            ),
            preexec_fn=preexec,  # safe: no threads run in this process yet
        )
        children.append(web)
        if not options["no_worker"]:
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "hotline.cli", "worker"], preexec_fn=preexec
                )
            )
        self.stdout.write(f"OpenHotline is running on {url}/  (Ctrl+C stops it)")
        self.stdout.flush()
        self._supervise(children)

    def _supervise(self, children: list[subprocess.Popen[bytes]]) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            # The web server drains requests within its graceful timeout (20 s); a worker
            # finishes the task it runs, which may take up to the task timeout.
            deadline = time.monotonic() + max(30, settings.HOTLINE_TASK_TIMEOUT + 10)
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    for pid in reversed(_process_tree(child.pid)):
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    child.wait()
        if not stopping:
            raise CommandError(
                "A part of OpenHotline stopped unexpectedly; see the messages above."
            )
