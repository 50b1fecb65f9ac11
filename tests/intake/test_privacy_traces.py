"""After a report, neither its words nor the reporter's address may be found anywhere we keep.

Three depths: the test client against the test database (SQLite or PostgreSQL, every table and
every log record); a fresh process writing a real SQLite file with its WAL; and the production
server (`hotline run`: gunicorn with its access log, plus the worker that processes the report)
reached from a distinctive loopback address.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from reporter_support import browser_post, good_report, receipt_code, run_file_db_scenario, upload

from hotline.intake.models import Report
from hotline.intake.selectors import report_details
from process_helpers import RUN_STOP_SECONDS

ADDRESS = "203.0.113.77"  # TEST-NET-3: never a real reporter
LOOPBACK_ADDRESS = "127.0.0.77"  # a loopback address a local test can really connect from
HOTLINE = str(Path(sys.executable).with_name("hotline"))  # the operator's command
PUBLIC_PATHS = ["/", "/report/", "/danger/", "/status/", "/help/", "/help/extortion/"]


def secrets_of_a_report() -> dict[str, str]:
    """Return distinctive texts (new each run) that must stay encrypted wherever they go."""
    tag = uuid.uuid4().hex[:12]
    return {
        "narrative": f"narrative-{tag} គាត់គំរាមខ្ញុំ-{tag} he wants 200 dollars",
        "narrative_khmer": f"គាត់គំរាមខ្ញុំ-{tag}",
        "reply": f"reply-{tag} more details",
        "contact": f"reporter-{tag}@example.org",
        "file_text": f"file-{tag} chat log",
        "username": f"@offender_{tag}",
    }


def needles(secrets: dict[str, str], address: str) -> dict[str, bytes]:
    """What must not be found: the secrets (UTF-8) and the address."""
    found = {key: value.encode() for key, value in secrets.items() if key != "username"}
    found["address"] = address.encode()
    return found


def search_tree(folder: Path, wanted: dict[str, bytes]) -> list[str]:
    """Return 'file: needle' for every needle found in any file under `folder`."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        hits += [
            f"{path.relative_to(folder)}: {name}" for name, n in wanted.items() if n in content
        ]
    return hits


def database_rows() -> list[tuple[str, bytes]]:
    """Return every value of every table as bytes, with its table's name."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                    values.append((table, raw if raw is not None else str(value).encode()))
    return values


def assert_privacy_headers(headers: dict[str, str], where: str) -> None:
    assert headers.get("Cache-Control") == "no-store", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp, where
    assert "frame-ancestors 'none'" in csp, where
    for other_host in re.findall(r"[\w-]+\.[\w.-]+|https?:|\*", csp):
        pytest.fail(f"{where}: the CSP allows another host: {other_host}")


@pytest.mark.django_db
def test_no_trace_in_database_uploads_or_logs(
    caplog: pytest.LogCaptureFixture, settings: object
) -> None:
    for name in ("", "django", "django.request", "django.security", "django.server", "hotline"):
        caplog.set_level(logging.DEBUG, logger=name)
    secrets = secrets_of_a_report()
    wanted = needles(secrets, ADDRESS)
    client = Client(
        REMOTE_ADDR=ADDRESS,
        HTTP_X_FORWARDED_FOR=ADDRESS,
        HTTP_X_REAL_IP=ADDRESS,
        HTTP_FORWARDED=f"for={ADDRESS}",
    )
    data = good_report(
        client,
        narrative=secrets["narrative"],
        usernames=secrets["username"],
        contact=secrets["contact"],
        consent_contact="on",
        keep_original_for_police="on",
        evidence_files=[upload("chat.txt", secrets["file_text"].encode(), "text/plain")],
    )
    response = browser_post(client, "/report/", data)
    code = receipt_code(response.content.decode())
    assert code
    assert browser_post(client, "/status/", {"code": code}).status_code == 200
    assert browser_post(
        client, "/status/reply/", {"code": code, "message": secrets["reply"]}
    ).status_code
    # Paths that log: a wrong code, a page that does not exist, a CSRF failure, an oversize POST.
    browser_post(client, "/status/", {"code": "2345-6789-ABCD-EFGH-J"})
    client.get("/no-such-page/")
    Client(enforce_csrf_checks=True, REMOTE_ADDR=ADDRESS).post("/report/", {"narrative": "x"})
    browser_post(client, "/report/", {"narrative": "y" * 3_000_000})

    # The report really arrived, so finding nothing below means something.
    report = Report.objects.get()
    assert report_details(report)["narrative"] == secrets["narrative"]
    assert report.files.count() == 1

    hits = [
        f"{table}: {name}"
        for table, value in database_rows()
        for name, n in wanted.items()
        if n in value
    ]
    assert hits == []
    upload_dir = Path(settings.UPLOAD_DIR)  # type: ignore[attr-defined]
    assert len(list(upload_dir.iterdir())) == 2  # working copy and original, both encrypted
    assert search_tree(upload_dir, wanted) == []

    assert caplog.records  # the error paths above did log something
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        request = getattr(record, "request", None)
        if request is not None:
            text += repr(getattr(request, "META", {}))
        for name, needle in wanted.items():
            assert needle.decode() not in text, f"{name} in log record {record.name}"


@pytest.mark.django_db
def test_every_response_carries_the_privacy_headers() -> None:
    client = Client()
    for path in PUBLIC_PATHS:
        assert_privacy_headers(dict(client.get(path).headers), path)
    posted = browser_post(client, "/report/", good_report(client))
    assert_privacy_headers(dict(posted.headers), "receipt")
    code = receipt_code(posted.content.decode())
    assert_privacy_headers(dict(browser_post(client, "/status/", {"code": code}).headers), "status")
    for where, response in {
        "invalid form": browser_post(client, "/report/", {}),
        "wrong code": browser_post(client, "/status/", {"code": "x"}),
        "not found": client.get("/nothing/"),
        "csrf": browser_post(Client(enforce_csrf_checks=True), "/report/", {}),
        "too large": browser_post(client, "/report/", {"narrative": "z" * 3_000_000}),
    }.items():
        assert_privacy_headers(dict(response.headers), where)
    static = client.get("/static/core/site.css")
    assert static.headers["Referrer-Policy"] == "no-referrer"
    b"".join(static.streaming_content)  # type: ignore[attr-defined]


def test_sqlite_file_wal_uploads_and_logs_hold_no_trace(tmp_path: Path) -> None:
    secrets = secrets_of_a_report()
    result, logs = run_file_db_scenario(
        "report_with_secrets", tmp_path, address=ADDRESS, process=True, **secrets
    )
    assert result["statuses"] == [200, 200, 200, 404]
    assert result["reports"] == 1
    assert result["processed"] is True
    # The WAL was still there when the files were copied, so it was searched too.
    assert "hotline.sqlite3-wal" in result["snapshot"]
    assert (tmp_path / "snapshot" / "hotline.sqlite3-wal").stat().st_size > 0
    assert_privacy_headers(result["headers"], "receipt (file database)")
    wanted = needles(secrets, ADDRESS)
    assert search_tree(tmp_path, wanted) == []
    assert len(logs) > 0
    for name, needle in wanted.items():
        assert needle.decode() not in logs, f"{name} in the logs"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(LOOPBACK_ADDRESS, 0)
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        merged: dict[str, str] = {}  # several Set-Cookie headers: keep them all
        for name, value in response.getheaders():
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        return response.status, merged, response.read()
    finally:
        conn.close()


def _raw(port: int, data: bytes) -> bytes:
    """Send raw bytes from the distinctive address; return what the server answers."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=30, source_address=(LOOPBACK_ADDRESS, 0)
    ) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


# Requests that servers log as errors: malformed, with bad headers, too large.
MALFORMED_REQUESTS = {
    "bad request line": b"GARBAGE\r\n\r\n",
    "bad method": b"G\x01T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "bad version": b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "bad header name": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n",
    "control character in a header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x01b\r\n\r\n",
    "two hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "bad content length": (
        b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x1\r\n\r\n"
    ),
    "length and chunked": (
        b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "bad chunk": (
        b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n"
    ),
    "oversize headers": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
    + b"a" * 100_000
    + b"\r\n\r\n",
    "oversize body": (
        b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 999999999\r\n\r\n"
        + b"a="
        + b"b" * 10_000
    ),
    "wrong host": b"GET / HTTP/1.1\r\nHost: 127.0.0.77\r\nConnection: close\r\n\r\n",
    "forged forwarded address": (
        b"GET /no-such-page/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"X-Forwarded-For: 203.0.113.77\r\nForwarded: for=203.0.113.77\r\n\r\n"
    ),
}


def _multipart(fields: list[tuple[str, str]], boundary: str) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def _wait_for_the_worker(log_path: Path) -> None:
    """Wait until the worker says it has processed the report's task."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if re.search(r"Processed .*report_process", log_path.read_text(errors="replace")):
            return
        time.sleep(0.3)
    pytest.fail("the worker did not process the report:\n" + log_path.read_text()[-3000:])


@pytest.mark.slow
def test_production_server_logs_no_address_and_keeps_no_trace(tmp_path: Path) -> None:
    secrets = secrets_of_a_report()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATA_DIR=str(tmp_path / "data"), HOTLINE_LOG_LEVEL="DEBUG")
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [HOTLINE, "run", "--port", str(port), "--processes", "1", "--threads", "2"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                ready = _request(port, "GET", "/healthz")[0] == 200
            except OSError:  # not listening yet
                ready = False
            if ready:
                break
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)

        status, headers, page = _request(port, "GET", "/report/")
        assert status == 200
        assert_privacy_headers(headers, "report form (gunicorn)")
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        token = re.search(rb'name="submission_token" value="([^"]+)"', page)
        assert cookie
        assert csrf
        assert token
        boundary = uuid.uuid4().hex
        body = _multipart(
            [
                ("csrfmiddlewaretoken", csrf.group(1).decode()),
                ("submission_token", token.group(1).decode()),
                ("reporter_role", "myself"),
                ("categories", "sextortion"),
                ("narrative", secrets["narrative"]),
                ("contact", secrets["contact"]),
                ("consent_contact", "on"),
            ],
            boundary,
        )
        status, headers, page = _request(
            port,
            "POST",
            "/report/",
            body,
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": f"csrftoken={cookie.group(1)}",
                "X-Forwarded-For": ADDRESS,
            },
        )
        assert status == 303, page[-2000:]
        assert headers["Location"] == "/report/receipt/"
        assert_privacy_headers(headers, "report redirect (gunicorn)")
        sealed = re.search(r"hotline_code=([^;]+)", headers.get("Set-Cookie", ""))
        assert sealed
        status, headers, page = _request(
            port,
            "GET",
            "/report/receipt/",
            b"",
            {"Cookie": f"csrftoken={cookie.group(1)}; hotline_code={sealed.group(1)}"},
        )
        assert status == 200, page[-2000:]
        assert receipt_code(page.decode())
        assert_privacy_headers(headers, "receipt (gunicorn)")
        _request(port, "GET", "/no-such-page/")
        answers = {name: _raw(port, data) for name, data in MALFORMED_REQUESTS.items()}
        for name, answer in answers.items():
            assert re.match(rb"HTTP/1\.[01] 4\d\d ", answer), f"{name}: {answer[:200]!r}"
        _wait_for_the_worker(log_path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=RUN_STOP_SECONDS)

    logs = log_path.read_text(errors="replace")
    assert '"POST /report/" 303' in logs  # the access log is on, so its silence means something
    assert "Invalid request" in logs  # so are the server's errors about malformed requests
    wanted = needles(secrets, LOOPBACK_ADDRESS)
    wanted["forwarded address"] = ADDRESS.encode()
    for name, needle in wanted.items():
        assert needle.decode() not in logs, f"{name} in the server's logs"
    assert search_tree(tmp_path / "data", wanted) == []
