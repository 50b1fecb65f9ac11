"""Slow clients cannot take the web server from everybody else (`hotline run`, no proxy).

A slow client holds a connection open while sending its request a little at a time (phones
on a poor network do this by accident; an attacker does it on purpose with hundreds of
connections). The server must read requests without giving each one a Django thread until it
is complete, so that a normal reporter still gets through.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator

import pytest

from process_helpers import Install, WebClient, free_port, http_get, log_of, wait_for

pytestmark = pytest.mark.slow

RECEIPT = re.compile(r'<p class="receipt" id="receipt-code">([^<]+)</p>')
SLOW_CONNECTIONS = 500


@contextlib.contextmanager
def slow_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """Open `count` connections that each send part of a request and then stall.

    Half stop in the middle of their headers; the other half send complete headers that
    announce a 100 kB body and then only the start of it.
    """
    opened: list[socket.socket] = []
    try:
        for index in range(count):
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            opened.append(conn)
            if index % 2:
                conn.sendall(b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
            else:
                conn.sendall(
                    b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 100000\r\n\r\nnarrative=slow"
                )
        yield opened
    finally:
        for conn in opened:
            conn.close()


def start_web(install: Install, port: int) -> None:
    run = install.start("run", "--port", str(port), "--no-worker", log=f"run-{port}.log")
    wait_for(
        lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200 or run.poll() is not None,
        timeout=120,
        what="/healthz to answer",
    )
    assert run.poll() is None, log_of(run)


def submit_report(base: str) -> str:
    """Open the form and submit a report; return the receipt code."""
    client = WebClient(base)
    fields = client.form_fields("/report/")
    status, _, page = client.request(
        "/report/",
        {
            **fields,
            "in_danger": "no",
            "reporter_role": "myself",
            "categories": ["sextortion"],
            "narrative": "He asks for money or he sends my photos to my school.",
        },
    )
    assert status == 200, page[-2000:]
    match = RECEIPT.search(page)
    assert match, page[-2000:]
    return match.group(1)


def test_a_report_goes_through_within_2_s_while_500_slow_clients_hold_connections(
    install: Install,
) -> None:
    """`hotline run` with its default processes and threads, 500 stalled requests open."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start_web(install, port)
    submit_report(base)  # warm: the first request of a process imports lazily loaded parts
    with slow_connections(port, SLOW_CONNECTIONS):
        # Let the server take in what the slow clients sent (and, if it hands connections to
        # threads, let every thread block on one).
        time.sleep(1)
        for _ in range(3):
            started = time.monotonic()
            code = submit_report(base)
            elapsed = time.monotonic() - started
            assert code
            assert elapsed < 2, f"a report took {elapsed:.1f} s behind the slow clients"


def test_an_oversize_body_gets_the_apps_413_and_the_connection_closes(install: Install) -> None:
    """The front does not read a body over the app's limit; the app answers from the headers."""
    port = free_port()
    start_web(install, port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: en\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 999999999\r\n\r\n" + b"a" * 100_000
        )
        answer = b""
        while chunk := conn.recv(65536):  # ends: the server closes the connection
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    assert answer.count(b"HTTP/1.1 ") == 1  # the unread body was not taken as a new request
    assert b"<html" in answer  # the app's own page, not a bare refusal


def test_clients_that_never_close_do_not_stall_the_server(install: Install) -> None:
    """After "Connection: close" the server waits for the client to close too; not in line.

    gunicorn's graceful close waited up to 2 s per connection in the worker's event loop, so
    30 clients that never close held every other connection for a minute.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start_web(install, port)
    submit_report(base)
    lingering: list[socket.socket] = []
    try:
        for _ in range(30):
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            lingering.append(conn)  # never read, never closed
        time.sleep(1)
        started = time.monotonic()
        assert submit_report(base)
        elapsed = time.monotonic() - started
        assert elapsed < 2, f"a report took {elapsed:.1f} s behind clients that do not close"
    finally:
        for conn in lingering:
            conn.close()
