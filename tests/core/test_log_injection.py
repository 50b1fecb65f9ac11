"""A request cannot write a line of its own, or a terminal escape, into any log.

The access log carries the URL-decoded path and gunicorn's error log the request line it
refused; Django's log carries paths too. Every handler writes request data with its control
characters escaped (hotline.core.logs.SafeFormatter).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.core.logs import SafeFormatter, safe_text
from process_helpers import RUN_STOP_SECONDS, Install, free_port, http_get, log_of, wait_for

FORGED = "INFO audit ok"


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.slow
def test_requests_cannot_forge_lines_or_escapes_in_the_server_logs(install: Install) -> None:
    port = free_port()
    run = install.start(
        "run", "--port", str(port), "--no-worker", "--processes", "1", "--threads", "2"
    )
    wait_for(
        lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200 or run.poll() is not None,
        timeout=120,
        what="/healthz to answer",
    )
    assert run.poll() is None, log_of(run)
    answers = [
        # The access log: the path is logged URL-decoded.
        _raw(
            port,
            b"GET /status/%0d%0aINFO%20audit%20ok%1b[31mX HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n",
        ),
        _raw(
            port,
            b"GET /%e2%80%a8INFO%20audit%20ok%c2%85X HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n",
        ),
        # gunicorn's error log: a refused request line is logged with its bytes.
        _raw(port, b"GET /\x1b[31m\rINFO audit ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    ]
    assert all(answer.startswith(b"HTTP/1.1 ") for answer in answers), answers
    wait_for(lambda: "audit" in log_of(run), timeout=10, what="the requests to be logged")
    run.terminate()
    run.wait(timeout=RUN_STOP_SECONDS)
    raw = run.log_path.read_bytes()  # type: ignore[attr-defined]
    assert b"\x1b" not in raw
    assert b"\r" not in raw
    text = raw.decode()
    assert "\u2028" not in text
    assert "\x85" not in text
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith(FORGED)], text
    # Logged, escaped, on the request's own line.
    assert any("/status/\\r\\nINFO audit ok\\x1b[31mX" in line for line in lines), text
    assert any("\\u2028INFO audit ok\\x85X" in line for line in lines), text


# Run in a fresh process: settings.LOGGING as Django configures it, without pytest's handlers.
DJANGO_LOGGING_PROBE = """
import json, logging, sys
import django
django.setup()
from hotline.core.logs import SafeFormatter
handlers = {id(h): h for name in ("", "django", "django.request", "django.security", "hotline")
            for h in logging.getLogger(name).handlers}
record = logging.LogRecord(
    "django.request", logging.ERROR, "probe", 1, "Error: %s", ("/x\\r\\nINFO y\\x1b",), None
)
try:
    raise ValueError("bad path /x\\nINFO forged from 127.0.0.7")
except ValueError:
    record.exc_info = sys.exc_info()
print(json.dumps([[type(h.formatter).__name__, h.formatter.format(record)]
                  for h in handlers.values()]))
"""


def test_every_django_log_handler_escapes_control_characters_and_addresses(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="hotline.settings",
        HOTLINE_DATA_DIR=str(tmp_path),
        HOTLINE_CREATE_KEY_FILE="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_LOGGING_PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    formatted = json.loads(done.stdout)
    assert formatted
    for kind, line in formatted:
        assert kind == SafeFormatter.__name__
        assert "\x1b" not in line
        assert "\r" not in line
        assert "127.0.0.7" not in line
        first, *rest = line.split("\n")
        assert first.endswith("Error: /x\\r\\nINFO y\\x1b")
        assert rest
        assert all(part.startswith("    ") for part in rest), line


def test_safe_text_keeps_times_and_removes_addresses() -> None:
    assert safe_text("at 07:46:55 from 127.0.0.7:5000 and [::1]:80") == (
        "at 07:46:55 from [address]:5000 and [[address]]:80"
    )
    assert safe_text("a\tb\x00c\u2029") == "a\\tb\\x00c\\u2029"
    # The server's own listening address may stay; any other is removed.
    keep = frozenset({"127.0.0.1"})
    assert safe_text("Listening at: http://127.0.0.1:8000", keep) == (
        "Listening at: http://127.0.0.1:8000"
    )
    assert safe_text("from 127.0.0.7", keep) == "from [address]"
