"""Flood control through a real forwarding proxy in front of a real `hotline run`.

Every client reaches the web server through the proxy, so the server's socket sees one address
(127.0.0.1) for all of them, as behind nginx, a carrier NAT or a Tor onion service. The clients
connect to the proxy from different loopback addresses (127.0.0.2, 127.0.0.3, ...), and the proxy
appends the address it saw to X-Forwarded-For, as nginx's `$proxy_add_x_forwarded_for` does.
"""

from __future__ import annotations

import http.client
import http.server
import re
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from html import unescape

import pytest

from process_helpers import Install, free_port, http_get, log_of, wait_for

pytestmark = pytest.mark.slow

RECEIPT = re.compile(r'<p class="receipt" id="receipt-code">([^<]+)</p>')
HIDDEN = re.compile(r"<input[^>]*>")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHALLENGE = re.compile(r'data-hotline-pow="([^"]+)"')
# Cheap proofs in tests (the cost is a setting); the mechanism is the real one.
CHEAP_POW = {"HOTLINE_POW_ITERATIONS": "1", "HOTLINE_POW_MAX_COUNTER": "50"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


class ForwardingProxy(http.server.ThreadingHTTPServer):
    """A minimal reverse proxy: forward each request, append the client's address."""

    daemon_threads = True

    def __init__(self, port: int, backend_port: int) -> None:
        self.backend_port = backend_port
        super().__init__(("127.0.0.1", port), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: ForwardingProxy
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: the test reports what matters

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        earlier = self.headers.get("X-Forwarded-For")
        peer = self.client_address[0]
        headers["X-Forwarded-For"] = f"{earlier}, {peer}" if earlier else peer
        backend = http.client.HTTPConnection("127.0.0.1", self.server.backend_port, timeout=60)
        try:
            backend.request(self.command, self.path, body=body, headers=headers)
            answer = backend.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            backend.close()

    do_GET = _forward  # noqa: N815 (the names http.server looks for)
    do_POST = _forward  # noqa: N815


class Reporter:
    """A browser-like client with its own source address and cookies."""

    def __init__(self, proxy_port: int, source: str) -> None:
        self.proxy_port = proxy_port
        self.source = source
        self.cookies: dict[str, str] = {}
        self.csrf = ""  # the form token of the last page, sent with the next POST

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.proxy_port, timeout=60, source_address=(self.source, 0)
        )
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.csrf} | data if self.csrf else data
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request("POST" if data is not None else "GET", path, body, headers)
            answer = connection.getresponse()
            for value in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            page = answer.read().decode(errors="replace")
            location = answer.headers.get("Location", "")
            csrf = CSRF.search(page)
            if csrf:
                self.csrf = csrf.group(1)
        finally:
            connection.close()
        if answer.status == 303:
            # Public forms answer 303 to a fixed page (docs/decisions/public-navigation.md):
            # follow it as a browser does, with the cookies just set.
            return self.request(location)
        return answer.status, page

    def report_form(self, *, solve: bool, waiting: bool = False) -> dict[str, str]:
        """Open the report form; return its hidden fields, the proof of work solved if asked.

        A client whose last report was refused gets its form back refilled with 429 while
        the wait lasts (docs/decisions/public-navigation.md): allowed only if `waiting`.
        """
        status, page = self.request("/report/")
        assert status in ({200, 429} if waiting else {200}), page
        assert 'id="report-form"' in page, page
        fields: dict[str, str] = {}
        for tag in HIDDEN.findall(page):
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name and 'type="hidden"' in tag:
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
        challenge = CHALLENGE.search(page)
        # (A form without a challenge - before proofs of work existed - is sent as it is.)
        if solve and challenge:
            fields["proof"] = solve_proof(unescape(challenge.group(1)))
        return fields

    def submit(self, *, solve: bool, waiting: bool = False) -> tuple[int, str]:
        """Send a report from the form; the answer after the 303, as a browser shows it."""
        data = self.report_form(solve=solve, waiting=waiting) | {
            "in_danger": "no",
            "reporter_role": "myself",
            "categories": "sextortion",
            "narrative": "He says he will send my photos to my school unless I pay.",
        }
        return self.request("/report/", data)


def solve_proof(challenge_json: str) -> str:
    """Solve a challenge as the browser's script does; return the form's `proof` value."""
    import json

    from altcha import Challenge, Payload, solve_challenge

    challenge = Challenge.from_dict(json.loads(challenge_json))
    solution = solve_challenge(challenge)
    assert solution is not None
    return Payload(challenge, solution).to_base64()


@pytest.fixture
def proxied(install: Install, request: pytest.FixtureRequest) -> Iterator[int]:
    """Start `hotline run` (one web process) behind a forwarding proxy; yield the proxy's port."""
    env: dict[str, str] = dict(CHEAP_POW)
    env.update(getattr(request, "param", {}))
    port, proxy_port = free_port(), free_port()
    run = install.start(
        "run", "--port", str(port), "--processes", "1", "--threads", "4", log="run.log", **env
    )
    wait_for(
        lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200 or run.poll() is not None,
        timeout=120,
        what="/healthz to answer",
    )
    assert run.poll() is None, log_of(run)
    proxy = ForwardingProxy(proxy_port, port)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy_port
    finally:
        proxy.shutdown()
        proxy.server_close()
        _assert_no_address_logged(run)


def _assert_no_address_logged(run: subprocess.Popen[bytes]) -> None:
    log = log_of(run)
    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert address not in log


def _flood(flooder: Reporter, rounds: int) -> None:
    """Send what locked everyone out before: report posts and receipt-code guesses."""
    for attempt in range(rounds):
        flooder.submit(solve=False, waiting=True)
        flooder.request("/status/", {"code": f"2345-6789-ABCD-EFGH-{attempt % 10 + 2}"})
        flooder.request(
            "/escrow/", {"code": "2345-6789-ABCD-EFGH-J", "identifier": "@somebody_else"}
        )
        flooder.request("/status/reply/", {"code": "wrong", "message": "hello"})


@pytest.mark.parametrize(
    "proxied",
    [{}, {"HOTLINE_TRUSTED_PROXIES": "127.0.0.1"}],
    ids=["proxy-not-declared", "proxy-declared"],
    indirect=True,
)
def test_one_client_flooding_does_not_stop_another_from_reporting_or_reading(
    proxied: int,
) -> None:
    flooder = Reporter(proxied, "127.0.0.2")
    reporter = Reporter(proxied, "127.0.0.3")
    # The reporter sends a report before the flood, to read its status during the flood.
    status, page = reporter.submit(solve=True)
    assert status == 200, page
    earlier_code = RECEIPT.search(page)
    assert earlier_code
    _flood(flooder, 45)
    # The other reporter still submits (with a solved proof of work) ...
    status, page = reporter.submit(solve=True)
    assert status == 200, page
    assert RECEIPT.search(page)
    # ... and still opens, answers and uses their report.
    code = earlier_code.group(1)
    status, page = reporter.request("/status/", {"code": code})
    assert status == 200, page
    status, page = reporter.request("/status/reply/", {"code": code, "message": "One more thing."})
    assert status == 200, page
    status, page = reporter.request("/escrow/", {"code": code, "identifier": "@offender_handle"})
    assert status == 200, page


@pytest.mark.parametrize(
    "proxied", [{"HOTLINE_TRUSTED_PROXIES": "127.0.0.1"}], ids=["proxy-declared"], indirect=True
)
def test_behind_a_declared_proxy_a_no_javascript_flood_stops_only_the_flooder(
    proxied: int,
) -> None:
    flooder = Reporter(proxied, "127.0.0.2")
    other = Reporter(proxied, "127.0.0.4")
    refused = 0
    for _ in range(30):
        # A refused report answers 303 to the form, which answers 429 while the wait lasts.
        status, page = flooder.submit(solve=False, waiting=True)
        if status == 429:
            assert 'id="please-wait"' in page, page
            assert "receipt-code" not in page
            refused += 1
    assert refused > 0  # the flooder's own per-client budget ran out
    # Another reporter without JavaScript, behind the same proxy, is not refused.
    status, page = other.submit(solve=False)
    assert status == 200, page
    assert RECEIPT.search(page)
