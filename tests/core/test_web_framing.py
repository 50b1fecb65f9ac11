"""Where the web front decides a request is complete (hotline.core.webserver.Framer).

A request handed to a thread too early would block that thread on a slow client; one never
handed over would hang its client. Bytes arrive in arbitrary pieces: every request is fed one
byte at a time as well as whole.
"""

from __future__ import annotations

import pytest

from hotline.core.webserver import (
    BAD_FRAMING,
    CHUNKED_TOO_LARGE,
    HEADER_LIMIT,
    HEADERS_TOO_LARGE,
    MORE,
    READY,
    TOO_LARGE,
    Framer,
    PrefetchedSocket,
    Refusal,
)

HEAD = b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def verdicts(request: bytes, *, max_body: int = 1000) -> list[str | Refusal]:
    """Feed `request` one byte at a time; return the verdict after each byte."""
    framer, data, seen = Framer(max_body=max_body), bytearray(), []
    for byte in request:
        data.append(byte)
        verdict = framer.check(data)
        seen.append(verdict)
        if verdict != MORE:
            break
    return seen


def first_ready(request: bytes, **kwargs: int) -> int:
    """Return how many bytes were needed before the framer said READY (0: never)."""
    seen = verdicts(request, **kwargs)
    return len(seen) if seen[-1] == READY else 0


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        HEAD + b"Content-Length: 5\r\n\r\nhello",
        HEAD + b"Content-Length: 0\r\n\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n",
        HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    ],
)
def test_complete_requests_are_ready_at_their_last_byte_and_not_before(
    request_bytes: bytes,
) -> None:
    assert first_ready(request_bytes) == len(request_bytes)


def test_a_stalled_request_is_never_ready() -> None:
    assert verdicts(HEAD + b"Content-Type: text/pl") == [MORE] * len(
        HEAD + b"Content-Type: text/pl"
    )
    partial_body = HEAD + b"Content-Length: 100\r\n\r\n" + b"a" * 99
    assert set(verdicts(partial_body)) == {MORE}
    partial_chunks = HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
    assert set(verdicts(partial_chunks)) == {MORE}


@pytest.mark.parametrize(
    ("request_bytes", "refusal"),
    [
        (HEAD + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", BAD_FRAMING),
        (HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\n", BAD_FRAMING),
        (HEAD + b"Content-Length: +3\r\n\r\n", BAD_FRAMING),
        (HEAD + b"Transfer-Encoding: gzip\r\n\r\n", BAD_FRAMING),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", BAD_FRAMING),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n800\r\n", CHUNKED_TOO_LARGE),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * (HEADER_LIMIT + 10), HEADERS_TOO_LARGE),
    ],
)
def test_requests_the_front_cannot_frame_are_refused(
    request_bytes: bytes, refusal: Refusal
) -> None:
    framer = Framer(max_body=1000)
    assert framer.check(bytearray(request_bytes)) == refusal


def test_a_declared_body_over_the_limit_is_handed_over_without_it() -> None:
    assert verdicts(HEAD + b"Content-Length: 1001\r\n\r\n")[-1] == TOO_LARGE


def test_expect_100_continue_is_noticed_on_http_1_1_only() -> None:
    framer = Framer(max_body=1000)
    framer.check(bytearray(HEAD + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\n"))
    assert framer.expects_continue
    old = Framer(max_body=1000)
    old.check(bytearray(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"))
    assert not old.expects_continue


class FakeSocket:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def recv(self, size: int, flags: int = 0) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def test_prefetched_bytes_come_first_then_the_socket() -> None:
    sock = PrefetchedSocket(FakeSocket(b"-rest"))
    sock.pending += b"request"
    assert sock.recv(4) == b"requ"
    sock.take(b"parser-")  # read-ahead a parser gives back goes in front
    assert sock.recv(100) == b"parser-est"
    assert sock.recv(100) == b"-rest"
    sock.at_end = True
    assert sock.recv(100) == b""
