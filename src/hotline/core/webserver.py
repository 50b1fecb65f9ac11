"""The web server's front: gunicorn's threaded worker, reading whole requests before a thread.

gunicorn's `gthread` worker gives a connection to one of its threads as soon as the first byte
arrives, and the thread then blocks until the request is complete. With 2 processes x 4
threads, eight clients that send half a request and stall hold every thread (issue 9: 64
half-sent requests left 0 of 5 normal requests answered). `BufferingThreadWorker` keeps
gunicorn (its parser, process management, graceful shutdown, access log) but reads each
request in the worker's event loop, without a thread, until its headers and its whole body
(by Content-Length or chunked framing) have arrived; only then does a thread parse and serve
it, from memory. Waiting connections cost a file descriptor and what they sent, within limits:

- headers: at most `HEADER_LIMIT` bytes (431 beyond), complete within `HEADER_TIMEOUT` s;
- body: the app's own request limit (HOTLINE_MAX_REQUEST_BYTES; uploads are held in memory
  by Django anyway). A larger declared body is handed over without it, so the app answers
  with its own kind "too large" page, and the connection is closed;
- no bytes for `IDLE_TIMEOUT` s: the connection is closed;
- everything buffered by one process at once: `buffer_budget()` (503 beyond).

docs/decisions/web-front.md says why this and not another server, with the figures.
`PrivateLogger` is gunicorn's logger with every line made safe: no client address, and no
control character from a request (hotline.core.logs).
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import socket
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn import glogging
from gunicorn.workers.gthread import ThreadWorker

from hotline.core.logs import SafeFormatter

HEADER_LIMIT = 64 * 1024
HEADER_TIMEOUT = 30.0
IDLE_TIMEOUT = 30.0
READ_SIZE = 256 * 1024
LINGER_TIMEOUT = 2.0  # as gunicorn's graceful close
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Every worker may keep this many connections (gunicorn's --worker-connections); slow clients
# only cost a descriptor each, so the limit is high (file descriptors are raised to match).
WORKER_CONNECTIONS = 4000


def buffer_budget(max_request_bytes: int) -> int:
    """Return how many request bytes one web process may hold for requests still arriving."""
    megabytes = os.environ.get("HOTLINE_WEB_BUFFER_MB")
    if megabytes:
        return int(megabytes) * 1024 * 1024
    return max(256 * 1024 * 1024, 2 * max_request_bytes)


# --- where a request ends ------------------------------------------------------------------


MORE = "more"  # wait for more bytes
READY = "ready"  # the whole request is buffered
TOO_LARGE = "too large"  # the declared body exceeds the limit: hand over the headers only


@dataclass(frozen=True)
class Refusal:
    """A request the front answers itself, without a thread (and then closes)."""

    status: int
    reason: str
    text: str

    def response(self) -> bytes:
        body = self.text.encode() + b"\n"
        return (
            f"HTTP/1.1 {self.status} {self.reason}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body


HEADERS_TOO_LARGE = Refusal(431, "Request Header Fields Too Large", "Request headers too large.")
BAD_FRAMING = Refusal(400, "Bad Request", "Bad request.")
CHUNKED_TOO_LARGE = Refusal(413, "Content Too Large", "The request is too large.")
BUSY = Refusal(503, "Service Unavailable", "The server is busy. Please try again in a minute.")


@dataclass
class Framer:
    """Find the end of one HTTP/1.x request in bytes that arrive piece by piece.

    It only decides when a request is complete; gunicorn parses it afterwards. What it cannot
    frame (an invalid Content-Length, an unknown transfer coding) is refused here, so that a
    thread never waits for bytes this front did not expect.
    """

    max_body: int
    header_end: int = -1
    length: int = 0  # Content-Length, when framed by it
    chunked: bool = False
    expects_continue: bool = False
    chunk_at: int = 0  # where the next chunk-size line starts
    chunk_total: int = 0

    def check(self, data: bytearray) -> str | Refusal:
        if self.header_end < 0:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                return HEADERS_TOO_LARGE if len(data) > HEADER_LIMIT else MORE
            if end > HEADER_LIMIT:
                return HEADERS_TOO_LARGE
            self.header_end = end + 4
            framing = self._read_headers(bytes(data[:end]))
            if framing is not None:
                return framing
            self.chunk_at = self.header_end
        if self.chunked:
            return self._check_chunks(data)
        return READY if len(data) >= self.header_end + self.length else MORE

    def _read_headers(self, head: bytes) -> str | Refusal | None:
        lengths: set[bytes] = set()
        codings: list[bytes] = []
        lines = head.split(b"\r\n")
        http11 = lines[0].endswith(b"HTTP/1.1")
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                return None  # not a header line: gunicorn refuses the request as it is
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                lengths.add(value)
            elif name == b"transfer-encoding":
                codings += [c.strip().lower() for c in value.split(b",")]
            elif name == b"expect" and value.lower() == b"100-continue":
                self.expects_continue = http11
        if codings:
            if lengths or codings[-1] != b"chunked":
                return BAD_FRAMING
            self.chunked = True
            return None
        if not lengths:
            return None
        value = lengths.pop()
        if lengths or not value.isdigit() or len(value) > 18:
            return BAD_FRAMING
        self.length = int(value)
        if self.length > self.max_body:
            return TOO_LARGE
        return None

    def _check_chunks(self, data: bytearray) -> str | Refusal:
        while True:
            line_end = data.find(b"\r\n", self.chunk_at)
            if line_end < 0:
                return BAD_FRAMING if len(data) - self.chunk_at > 1024 else MORE
            size_text = bytes(data[self.chunk_at : line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return BAD_FRAMING
            if size < 0 or len(size_text) > 16:
                return BAD_FRAMING
            if size == 0:
                # The last chunk: then optional trailer fields and an empty line.
                trailers = line_end + 2
                if data[trailers : trailers + 2] == b"\r\n":
                    return READY
                if data.find(b"\r\n\r\n", trailers) >= 0:
                    return READY
                return BAD_FRAMING if len(data) - trailers > HEADER_LIMIT else MORE
            self.chunk_total += size
            if self.chunk_total > self.max_body:
                return CHUNKED_TOO_LARGE
            next_line = line_end + 2 + size + 2
            if len(data) < next_line:
                return MORE
            self.chunk_at = next_line


# --- the socket a thread reads the buffered request from ------------------------------------


class PrefetchedSocket:
    """A client socket whose first bytes were already read: they are returned first.

    With `at_end`, reading past the prefetched bytes returns end-of-stream instead of waiting
    for the client (a body too large to take, which the app refuses without reading it).
    """

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.pending = bytearray()
        self.offset = 0
        self.at_end = False
        self.continue_sent = False

    def prefetched(self) -> int:
        return len(self.pending) - self.offset

    def take(self, data: bytes) -> None:
        """Put bytes back in front (a parser's read-ahead from the previous request)."""
        rest = self.pending[self.offset :]
        self.pending = bytearray(data) + rest
        self.offset = 0

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self.offset < len(self.pending):
            chunk = bytes(self.pending[self.offset : self.offset + size])
            self.offset += len(chunk)
            if self.offset == len(self.pending):
                self.pending, self.offset = bytearray(), 0
            return chunk
        if self.at_end:
            return b""
        return bytes(self.sock.recv(size, flags))

    def send(self, data: bytes, flags: int = 0) -> int:
        # The front already told the client to go on with its body; one "100 Continue" is
        # enough (gunicorn sends its own when it reads the request).
        if self.continue_sent and data == CONTINUE:
            self.continue_sent = False
            return len(data)
        return int(self.sock.send(data, flags))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


@dataclass
class Arriving:
    """A connection whose request is still arriving."""

    conn: Any
    framer: Framer
    started: float
    last_read: float
    buffered: int = 0


# --- the worker ------------------------------------------------------------------------------


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn's gthread worker that gives a thread only complete, buffered requests."""

    def init_process(self) -> None:
        # Waiting connections hold descriptors: allow as many as the system lets us.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else 65536
        if soft != resource.RLIM_INFINITY and soft < wanted:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        self.arriving: dict[int, Arriving] = {}
        self.lingering: dict[int, tuple[socket.socket, float]] = {}
        self.buffered_total = 0
        self.max_body = 50 * 1024 * 1024
        self.budget = buffer_budget(self.max_body)
        super().init_process()  # loads the app, then runs the event loop

    def load_wsgi(self) -> None:
        super().load_wsgi()
        from django.conf import settings

        self.max_body = int(settings.HOTLINE_MAX_REQUEST_BYTES)
        self.budget = buffer_budget(self.max_body)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # gunicorn writes "Invalid request from ip=<address>": the address is never logged.
        super().handle_error(req, client, ("-", 0), exc)

    # Every path that gives a connection to a thread goes through enqueue_req (new
    # connections, kept-alive ones that became readable, pipelined read-ahead).
    def enqueue_req(self, conn: Any) -> None:
        if self.cfg.is_ssl or getattr(conn, "hotline_ready", False):
            conn.hotline_ready = False
            super().enqueue_req(conn)
            return
        self._start_reading(conn)

    def _start_reading(self, conn: Any) -> None:
        if not isinstance(conn.sock, PrefetchedSocket):
            conn.sock = PrefetchedSocket(conn.sock)
            conn.close = partial(self._close, conn)
        sock: PrefetchedSocket = conn.sock
        sock.at_end = False
        if conn.parser is not None:
            # gunicorn's parser may have read ahead into this request (pipelining).
            sock.take(conn.parser.unreader.take_buffered())
        if sock.pending and sock.offset:
            sock.take(b"")  # keep the request at the start of the buffer
        sock.sock.setblocking(False)
        now = time.monotonic()
        state = Arriving(
            conn=conn, framer=Framer(max_body=self.max_body), started=now, last_read=now
        )
        state.buffered = len(sock.pending)
        self.buffered_total += state.buffered
        self.arriving[sock.fileno()] = state
        if sock.pending and self._decide(state):
            return
        self.poller.register(sock.sock, selectors.EVENT_READ, partial(self._on_readable, state))

    def _on_readable(self, state: Arriving, fileobj: Any) -> None:
        sock: PrefetchedSocket = state.conn.sock
        try:
            data = sock.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(state)
            return
        if not data:  # the client gave up
            self._drop(state)
            return
        state.last_read = time.monotonic()
        sock.pending += data
        state.buffered += len(data)
        self.buffered_total += len(data)
        if self.buffered_total > self.budget:
            self._refuse(state, BUSY)
            return
        self._decide(state)

    def _decide(self, state: Arriving) -> bool:
        """Act on what the framer says; return True if the connection left the waiting list."""
        sock: PrefetchedSocket = state.conn.sock
        framer = state.framer
        had_headers = framer.header_end >= 0
        verdict = framer.check(sock.pending)
        if isinstance(verdict, Refusal):
            self._refuse(state, verdict)
            return True
        if verdict == MORE:
            if framer.expects_continue and not had_headers and framer.header_end >= 0:
                with contextlib.suppress(OSError):
                    sock.sock.send(CONTINUE)
                sock.continue_sent = True
            return False
        # READY, or TOO_LARGE: the app answers from the headers and the connection closes.
        if verdict == TOO_LARGE:
            # Only the headers, with "Connection: close" first among them (gunicorn obeys the
            # first): the body stays unread and the connection closes after the answer.
            head = bytes(sock.pending[: framer.header_end])
            line_end = head.index(b"\r\n") + 2
            sock.pending = bytearray(head[:line_end] + b"Connection: close\r\n" + head[line_end:])
            sock.offset = 0
            sock.at_end = True
        self._hand_over(state)
        return True

    def _leave(self, state: Arriving) -> None:
        sock: PrefetchedSocket = state.conn.sock
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(sock.sock)
        self.arriving.pop(sock.fileno(), None)
        self.buffered_total -= state.buffered

    def _hand_over(self, state: Arriving) -> None:
        self._leave(state)
        conn = state.conn
        conn.data_ready = True  # no waiting for readability: the bytes are here
        conn.hotline_ready = True
        self.enqueue_req(conn)

    def _drop(self, state: Arriving) -> None:
        self._leave(state)
        self.nr_conns -= 1
        state.conn.sock.sock.close()

    def _refuse(self, state: Arriving, refusal: Refusal) -> None:
        self.log.info("Refused a request: %s %s", refusal.status, refusal.text)
        with contextlib.suppress(OSError):
            state.conn.sock.sock.send(refusal.response())
        self._drop(state)

    def _close(self, conn: Any, graceful: bool = False) -> None:
        """Close a connection without blocking the event loop.

        gunicorn's graceful close half-closes, then waits in the event loop (up to 2 s) for the
        client to close too, so that unread request bytes do not turn into a reset that cuts the
        answer short. Here the wait happens in the poller: a client that never closes cannot
        stall every other connection of the process.
        """
        sock = conn.sock.sock if isinstance(conn.sock, PrefetchedSocket) else conn.sock
        if not graceful:
            with contextlib.suppress(OSError):
                sock.close()
            return
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            self.poller.register(sock, selectors.EVENT_READ, partial(self._on_lingering, sock))
        except (OSError, ValueError, KeyError):
            with contextlib.suppress(OSError):
                sock.close()
            return
        self.lingering[sock.fileno()] = (sock, time.monotonic() + LINGER_TIMEOUT)

    def _on_lingering(self, sock: socket.socket, fileobj: Any) -> None:
        try:
            data = sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client closed too (or drained enough: keep reading until timeout)
            self._end_lingering(sock)

    def _end_lingering(self, sock: socket.socket) -> None:
        self.lingering.pop(sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for sock, deadline in list(self.lingering.values()):
            if now > deadline or not self.alive:
                self._end_lingering(sock)
        for state in list(self.arriving.values()):
            headers_late = state.framer.header_end < 0 and now - state.started > HEADER_TIMEOUT
            if headers_late or now - state.last_read > IDLE_TIMEOUT:
                self._drop(state)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if not self.alive and self.arriving:
            # Stopping: requests still arriving were not started; the clients retry.
            for state in list(self.arriving.values()):
                self._drop(state)
        super().wait_for_and_dispatch_events(timeout)


class PrivateLogger(glogging.Logger):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn's logger whose every line is made safe by hotline.core.logs.SafeFormatter."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # The addresses the server listens on may be logged ("Listening at"): a reporter's
        # address is never one of them (a proxy on the same host is not a reporter).
        own = frozenset(
            bind.rsplit(":", 1)[0].strip("[]") for bind in cfg.bind if not bind.startswith("unix:")
        )
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(SafeFormatter.wrapping(handler.formatter, keep=own))
