"""`hotline run`: migrate if needed, then start the web server and a worker together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

# No %(h)s: gunicorn's access log must not carry the client address; %(U)s has no query.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


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
        "--worker-class",
        "gthread",
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
    ]


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


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
        if not _port_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is already in use. Stop the other program or choose "
                f"another port: hotline run --port {port + 1}"
            )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("compilemessages_if_needed")
        if options["demo"]:
            call_command("demo")
        children: list[subprocess.Popen[bytes]] = []
        web = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            gunicorn_command(
                host=host, port=port, processes=options["processes"], threads=options["threads"]
            )
        )
        children.append(web)
        if not options["no_worker"]:
            children.append(subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"]))
        self.stdout.write(f"OpenHotline is running on http://{host}:{port}/  (Ctrl+C stops it)")
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
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
        if not stopping:
            raise CommandError(
                "A part of OpenHotline stopped unexpectedly; see the messages above."
            )
