"""Ask whether a reported URL still answers, reading its status and headers, never its content.

The hotline must never download what was reported, and the check must not become a way into
the hotline's own network (server-side request forgery). So, for every hop of a redirect chain:
- only http and https, no user name or password in the URL, no control characters;
- the host name is resolved once, every address it resolves to must be a public one
  (`addresses.address_refusal`), and the connection goes to that validated address: there is no
  second lookup a rebinding DNS server could answer differently;
- the request is HEAD (a method whose answer has no body); only a server that refuses HEAD gets
  a GET for one byte, and its answer is still read only up to the end of the headers;
- one deadline covers the whole check (every connect, TLS handshake and read of every hop), so
  a server that sends one byte a second cannot hold a worker; headers are capped in size.
Through a proxy, the proxy is asked to CONNECT to the validated address, never to a name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import dns.exception
import dns.resolver
import h11

from hotline.takedown.addresses import IPAddress, IPNetwork, address_refusal

USER_AGENT = "OpenHotline-liveness-check/1 (+status and headers only)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
GONE_STATUSES = frozenset({404, 410, 451})
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")
_FORBIDDEN_IN_URL = re.compile(r"[\x00-\x20\x7f\\]")


class Outcome(StrEnum):
    ONLINE = "online"  # the server answered 2xx (or another answer that is not "gone")
    GONE = "gone"  # 404, 410 or 451: the content was removed
    UNREACHABLE = "unreachable"  # the name does not resolve or nothing answers
    REFUSED = "refused"  # the URL or an address it leads to is not one we may connect to
    ERROR = "error"  # a server or protocol error: try again later
    TIMEOUT = "timeout"  # the whole check ran out of time


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one check. Production builds it from settings (`policy_from_settings`)."""

    deadline_seconds: float = 15.0
    max_redirects: int = 5
    max_header_bytes: int = 32 * 1024
    proxy: tuple[str, int] | None = None
    # Empty: the system resolver (getaddrinfo). Otherwise DNS servers asked directly, as
    # "address" or "address:port".
    nameservers: Sequence[str] = ()
    allowed_test_networks: Sequence[IPNetwork] = ()


@dataclass(frozen=True)
class Hop:
    url: str
    address: str
    status: int | None


@dataclass(frozen=True)
class LivenessResult:
    outcome: Outcome
    status: int | None
    reason: str
    hops: tuple[Hop, ...] = field(default_factory=tuple)
    tls_verified: bool | None = None

    @property
    def final_url(self) -> str:
        return self.hops[-1].url if self.hops else ""


class _Stop(Exception):
    """Ends a check early with its result."""

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise _Stop(Outcome.TIMEOUT, "the check ran out of time")
        return left


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as sent in Host and SNI (IDNA-encoded name, or the address)
    port: int
    path: str
    literal: IPAddress | None


def parse_target(url: str) -> _Target:
    """Split a URL we may check into its parts, or raise _Stop(REFUSED) saying why not."""
    if len(url) > 8192:
        raise _Stop(Outcome.REFUSED, "the URL is too long")
    if _FORBIDDEN_IN_URL.search(url):
        raise _Stop(Outcome.REFUSED, "the URL holds spaces, control characters or backslashes")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _Stop(Outcome.REFUSED, f"the URL cannot be read: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise _Stop(Outcome.REFUSED, f"only http and https URLs are checked, not {scheme or '?'}")
    if "@" in parts.netloc:
        raise _Stop(Outcome.REFUSED, "the URL carries a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _Stop(Outcome.REFUSED, "the URL has no host")
    literal = _literal_address(host)
    if literal is None:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise _Stop(Outcome.REFUSED, "the host name is not a valid name") from exc
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(
        scheme=scheme,
        host=str(literal) if literal is not None else host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
        literal=literal,
    )


def _literal_address(host: str) -> IPAddress | None:
    """Return the address a host written as a number stands for, in any spelling a socket
    library accepts (2130706433, 0x7f.1, 0177.0.0.1, 127.1, [::ffff:7f00:1])."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass  # not in standard notation: try the legacy IPv4 spellings
    if _LEGACY_IPV4.match(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _resolve(target: _Target, policy: FetchPolicy, deadline: _Deadline) -> list[IPAddress]:
    if target.literal is not None:
        return [target.literal]
    if policy.nameservers:
        return _resolve_with_dns(target.host, policy.nameservers, deadline)
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _Stop(Outcome.UNREACHABLE, f"{target.host} does not resolve") from exc
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def resolve_host(host: str, policy: FetchPolicy) -> list[IPAddress]:
    """Return the addresses of a host name, or the one a written address stands for (in any
    spelling); raise LookupError saying why there are none. The same lookup a check makes."""
    literal = _literal_address(host)
    if literal is None:
        try:
            host = host.rstrip(".").encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise LookupError("the host name is not a valid name") from exc
    target = _Target(scheme="http", host=str(literal or host), port=80, path="/", literal=literal)
    try:
        return _resolve(target, policy, _Deadline(policy.deadline_seconds))
    except _Stop as stop:
        raise LookupError(stop.reason) from None


def _resolve_with_dns(
    host: str, nameservers: Sequence[str], deadline: _Deadline
) -> list[IPAddress]:
    resolver = dns.resolver.Resolver(configure=False)
    servers: list[str] = []
    ports: set[int] = set()
    for server in nameservers:
        # "address" or "address:port" (an IPv6 server is written without a port).
        name, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        servers.append(name)
        ports.add(int(port) if port else 53)
    resolver.nameservers = servers
    resolver.port = ports.pop() if len(ports) == 1 else 53
    found: list[IPAddress] = []
    for kind in ("A", "AAAA"):
        try:
            answer = resolver.resolve(host, kind, lifetime=deadline.remaining(), search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            continue
        except dns.exception.Timeout as exc:
            raise _Stop(Outcome.TIMEOUT, f"no DNS answer for {host} in time") from exc
        for record in answer:
            resolved = ipaddress.ip_address(record.to_text())
            if resolved not in found:
                found.append(resolved)
    if not found:
        raise _Stop(Outcome.UNREACHABLE, f"{host} does not resolve")
    return found


def _validated_addresses(
    target: _Target, policy: FetchPolicy, deadline: _Deadline
) -> list[IPAddress]:
    addresses = _resolve(target, policy, deadline)
    for address in addresses:
        # Every answer must pass: a name that also points inside is refused outright, so which
        # address a retry or a proxy would pick can never matter.
        why = address_refusal(address, allowed=policy.allowed_test_networks)
        if why:
            raise _Stop(Outcome.REFUSED, f"{target.host} leads to {why}")
    return addresses


def _read_response(
    sock: socket.socket, connection: h11.Connection, deadline: _Deadline
) -> h11.Response:
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as exc:
            raise _Stop(Outcome.ERROR, f"the server's answer is not valid HTTP: {exc}") from exc
        if event is h11.NEED_DATA:
            sock.settimeout(deadline.remaining())
            try:
                chunk = sock.recv(4096)
            except TimeoutError as exc:
                raise _Stop(Outcome.TIMEOUT, "the check ran out of time") from exc
            connection.receive_data(chunk)
            continue
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, h11.Response):
            return event
        raise _Stop(Outcome.ERROR, "the server closed the connection without answering")


def _send_request(
    sock: socket.socket, connection: h11.Connection, request: h11.Request, deadline: _Deadline
) -> None:
    sock.settimeout(deadline.remaining())
    sock.sendall(connection.send(request) + (connection.send(h11.EndOfMessage()) or b""))


def _open(
    address: IPAddress, target: _Target, policy: FetchPolicy, deadline: _Deadline
) -> socket.socket:
    """Connect to the validated address (through the proxy if one is set)."""
    if policy.proxy is None:
        return socket.create_connection((str(address), target.port), timeout=deadline.remaining())
    sock = socket.create_connection(policy.proxy, timeout=deadline.remaining())
    authority = f"[{address}]:{target.port}" if address.version == 6 else f"{address}:{target.port}"
    tunnel = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=policy.max_header_bytes)
    _send_request(
        sock,
        tunnel,
        h11.Request(method="CONNECT", target=authority, headers=[("Host", authority)]),
        deadline,
    )
    answer = _read_response(sock, tunnel, deadline)
    if not 200 <= answer.status_code < 300:
        sock.close()
        raise _Stop(Outcome.ERROR, f"the proxy refused the tunnel ({answer.status_code})")
    if tunnel.trailing_data[0]:
        sock.close()
        raise _Stop(Outcome.ERROR, "the proxy sent data before the tunnel opened")
    return sock


def _exchange(
    address: IPAddress, target: _Target, method: str, policy: FetchPolicy, deadline: _Deadline
) -> tuple[h11.Response, bool | None]:
    """Send one request to the validated address; return the answer's head and TLS status."""
    tls_verified: bool | None = None
    for verify in (True, False) if target.scheme == "https" else (None,):
        try:
            sock = _open(address, target, policy, deadline)
        except _Stop:
            raise
        except TimeoutError as exc:
            raise _Stop(Outcome.TIMEOUT, "the check ran out of time") from exc
        except OSError as exc:
            raise _Stop(
                Outcome.UNREACHABLE, f"cannot connect to {address}: {exc.strerror or exc}"
            ) from exc
        try:
            if verify is not None:
                context = ssl.create_default_context()
                if not verify:
                    # Content served with a bad certificate is still online; whether the
                    # certificate was valid is recorded, and nothing secret is ever sent.
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                sock.settimeout(deadline.remaining())
                try:
                    sock = context.wrap_socket(
                        sock, server_hostname=None if target.literal else target.host
                    )
                except ssl.SSLCertVerificationError:
                    sock.close()
                    continue
                tls_verified = verify
            host_header = (
                target.host if target.port in {80, 443} else f"{target.host}:{target.port}"
            )
            if target.literal is not None and target.literal.version == 6:
                host_header = f"[{target.host}]" + (
                    "" if target.port in {80, 443} else f":{target.port}"
                )
            connection = h11.Connection(
                our_role=h11.CLIENT, max_incomplete_event_size=policy.max_header_bytes
            )
            headers = [
                ("Host", host_header),
                ("User-Agent", USER_AGENT),
                ("Accept", "*/*"),
                ("Connection", "close"),
            ]
            if method == "GET":
                headers.append(("Range", "bytes=0-0"))
            _send_request(
                sock,
                connection,
                h11.Request(method=method, target=target.path, headers=headers),
                deadline,
            )
            return _read_response(sock, connection, deadline), tls_verified
        except TimeoutError as exc:
            raise _Stop(Outcome.TIMEOUT, "the check ran out of time") from exc
        except ssl.SSLError as exc:
            raise _Stop(Outcome.ERROR, f"TLS failed: {exc.reason or exc}") from exc
        except OSError as exc:
            raise _Stop(Outcome.ERROR, f"the connection failed: {exc.strerror or exc}") from exc
        finally:
            # Whatever followed the headers is never read.
            with contextlib.suppress(OSError):
                sock.close()
    raise _Stop(Outcome.ERROR, "TLS failed")  # not reached: the unverified try returns or raises


def check_liveness(url: str, policy: FetchPolicy) -> LivenessResult:
    """Follow `url` (and its redirects) far enough to tell whether its content is online."""
    deadline = _Deadline(policy.deadline_seconds)
    hops: list[Hop] = []
    tls_verified: bool | None = None
    current = url
    try:
        for _hop in range(policy.max_redirects + 1):
            target = parse_target(current)
            address = _validated_addresses(target, policy, deadline)[0]
            response, verified = _exchange(address, target, "HEAD", policy, deadline)
            if response.status_code in {405, 501}:
                response, verified = _exchange(address, target, "GET", policy, deadline)
            tls_verified = verified if tls_verified is None else (tls_verified and bool(verified))
            status = response.status_code
            hops.append(Hop(url=current, address=str(address), status=status))
            location = _header(response, b"location")
            if status in REDIRECT_STATUSES and location:
                current = urllib.parse.urljoin(current, location)
                continue
            return LivenessResult(
                outcome=_outcome_of(status),
                status=status,
                reason=f"answered {status}",
                hops=tuple(hops),
                tls_verified=tls_verified,
            )
        return LivenessResult(
            outcome=Outcome.ERROR,
            status=hops[-1].status if hops else None,
            reason=f"more than {policy.max_redirects} redirects",
            hops=tuple(hops),
            tls_verified=tls_verified,
        )
    except _Stop as stop:
        if not hops or stop.outcome is not Outcome.REFUSED:
            hops.append(Hop(url=current, address="", status=None))
        return LivenessResult(
            outcome=stop.outcome,
            status=None,
            reason=stop.reason,
            hops=tuple(hops),
            tls_verified=tls_verified,
        )


def _header(response: h11.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _outcome_of(status: int) -> Outcome:
    if status in GONE_STATUSES:
        return Outcome.GONE
    if status >= 500:
        return Outcome.ERROR
    return Outcome.ONLINE


def policy_from_settings() -> FetchPolicy:
    """Build the policy from Django settings (HOTLINE_FETCH_*; defaults when unset)."""
    from django.conf import settings

    proxy = str(getattr(settings, "HOTLINE_FETCH_PROXY", "") or "")
    proxy_address: tuple[str, int] | None = None
    if proxy:
        host, _, port = proxy.rpartition(":")
        proxy_address = (host.strip("[]"), int(port))
    return FetchPolicy(
        deadline_seconds=float(getattr(settings, "HOTLINE_FETCH_DEADLINE_SECONDS", 15.0)),
        proxy=proxy_address,
        nameservers=tuple(getattr(settings, "HOTLINE_FETCH_NAMESERVERS", ())),
        allowed_test_networks=tuple(
            ipaddress.ip_network(network)
            for network in getattr(settings, "HOTLINE_FETCH_ALLOWED_TEST_NETWORKS", ())
        ),
    )
