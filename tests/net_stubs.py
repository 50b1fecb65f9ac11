"""Real network peers on 127.0.0.1 for the liveness checker: HTTP servers with scripted
answers, a DNS server with scripted records, and a CONNECT proxy. Each records what it saw."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import dns.message
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Script = Callable[[socket.socket, bytes], None]


@dataclass
class Seen:
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    conn.settimeout(5)
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


@contextlib.contextmanager
def http_server(script: Script) -> Iterator[tuple[int, Seen]]:
    """Serve on 127.0.0.1:<port>: each connection's request head is passed to `script`."""
    seen = Seen()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            head = _read_head(conn)
            seen.requests.append(head)
            with contextlib.suppress(OSError):
                script(conn, head)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.connections += 1
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, seen
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def answer(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Script:
    def script(conn: socket.socket, head: bytes) -> None:
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    return script


def drip(interval: float) -> Script:
    """Start an answer, then send one header byte every `interval` seconds, for ever."""

    def script(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while True:
            time.sleep(interval)
            conn.sendall(b"a")

    return script


def _record_kind(value: str) -> str:
    if value.endswith("."):
        return "PTR"  # a host name, for reverse lookups
    return "AAAA" if ":" in value else "A"


@dataclass
class DnsLog:
    queries: list[tuple[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def dns_server(
    records: Callable[[str, int], list[str]],
) -> Iterator[tuple[int, DnsLog]]:
    """A UDP DNS server on 127.0.0.1: `records(name, nth_query_for_name)` gives the answers
    (addresses for A/AAAA, names ending in "." for PTR; each query type gets its own); none:
    NXDOMAIN."""
    log = DnsLog()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    port = sock.getsockname()[1]
    stop = threading.Event()
    counts: dict[str, int] = {}

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(data)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            kind = dns.rdatatype.to_text(question.rdtype)
            log.queries.append((name, kind))
            if kind == "A":
                counts[name] = counts.get(name, 0) + 1
            response = dns.message.make_response(query)
            addresses = records(name, counts.get(name, 1))
            if not addresses:
                response.set_rcode(dns.rcode.NXDOMAIN)
            wanted = [a for a in addresses if _record_kind(a) == kind]
            if wanted:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, kind, wanted)
                )
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, log
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


@dataclass
class ProxyLog:
    tunnels: list[str] = field(default_factory=list)


@contextlib.contextmanager
def connect_proxy() -> Iterator[tuple[int, ProxyLog]]:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels to what it is asked (records it)."""
    log = ProxyLog()

    def script(conn: socket.socket, head: bytes) -> None:
        target = head.split(b" ", 2)[1].decode()
        log.tunnels.append(target)
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while chunk := source.recv(4096):
                    sink.sendall(chunk)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pipe, args=(upstream, conn), daemon=True)
        back.start()
        pipe(conn, upstream)
        back.join(timeout=5)
        upstream.close()

    with http_server(script) as (port, _seen):
        yield port, log
