"""A real web server whose database goes away: kind 503 pages, emergency numbers, JSON API.

The database is made unusable under a running `hotline run --no-worker`: on PostgreSQL new
connections are refused and the open ones terminated; on SQLite the file is moved and a
folder put in its place. Then it comes back, and the same server serves normally again.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from process_helpers import (
    Install,
    WebClient,
    _pg_admin,
    free_port,
    http_get,
    log_of,
    on_postgresql,
    wait_for,
)

pytestmark = pytest.mark.slow

KHMER = re.compile(r"[\u1780-\u17ff]")
# A number an operator set: the outage page must show it, not the install's default.
OPERATOR_NUMBER = "012 345 678"


def start_web(install: Install) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    web = install.start(
        "run", "--no-worker", "--port", str(port), "--processes", "1", "--threads", "2"
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz", alive=web)
    return web, base


def fetch(
    url: str, *, headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, dict[str, str], str]:
    """Return status, headers and body of a request (errors included)."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


@contextlib.contextmanager
def database_unavailable(install: Install) -> Iterator[None]:
    """Make the install's database refuse every use, then restore it."""
    if on_postgresql():
        name = install.env["HOTLINE_DATABASE_URL"].rsplit("/", 1)[1]
        with _pg_admin() as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        try:
            yield
        finally:
            with _pg_admin() as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    else:
        # Each request opens the SQLite file anew; a folder in its place cannot be opened.
        database = install.data_dir / "hotline.sqlite3"
        moved = install.data_dir / "moved.sqlite3"
        database.rename(moved)
        database.mkdir()
        try:
            yield
        finally:
            database.rmdir()
            moved.rename(database)


def test_database_outage_answers_503_pages_with_emergency_numbers_and_json_on_the_api(
    install: Install,
) -> None:
    install.shell(
        "from hotline.core.models import EmergencyContact\n"
        f"EmergencyContact.objects.filter(phone='117').update(phone={OPERATOR_NUMBER!r})"
    )
    web, base = start_web(install)
    reporter = WebClient(base)
    form = reporter.form_fields("/report/")  # opened before the outage, sent during it

    with database_unavailable(install):
        for path in ("/danger/", "/", "/report/"):
            status, headers, page = fetch(base + path, headers={"Cookie": "hotline_lang=km"})
            assert status == 503, (path, page)
            assert headers["Retry-After"] == "60"
            assert '<html lang="km">' in page
            assert "សូមព្យាយាមម្តងទៀត" in page  # "please try again"
            assert OPERATOR_NUMBER in page  # the numbers this server read before the outage
            assert "នគរបាល" in page  # the police, named in Khmer

        # A page that needs no database still works (the receipt-code form).
        assert http_get(f"{base}/status/")[0] == 200

        status, _, page = fetch(f"{base}/danger/", headers={"Cookie": "hotline_lang=en"})
        assert status == 503
        assert '<html lang="en">' in page
        assert "Please try again in a few minutes" in page
        assert "If you were sending a report, it was not saved" in page
        assert "Police" in page
        assert OPERATOR_NUMBER in page
        assert not KHMER.search(page.split("<footer")[0].split("<main>")[1])

        sent = {
            **form,
            "in_danger": "no",
            "reporter_role": "myself",
            "categories": ["sextortion"],
            "narrative": "sent while the database is away",
        }
        status, _, page = reporter.request("/report/", sent)
        assert status == 503
        assert "receipt-code" not in page

        status, headers, body = fetch(
            f"{base}/api/v1/reports", headers={"Authorization": "Bearer some-partner-token"}
        )
        assert status == 503
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body)["error"] == "unavailable"

        status, body = http_get(f"{base}/healthz")
        assert status == 503
        assert json.loads(body)["database"] == "error"

    # Back: the same server serves again, and the report sent during the outage is not there.
    wait_for(lambda: http_get(f"{base}/danger/")[0] == 200, timeout=30, what="/danger/ again")
    assert http_get(f"{base}/healthz")[0] == 200
    assert (
        install.shell("from hotline.intake.models import Report; print(Report.objects.count())")
        == "0"
    )
    assert web.poll() is None
    output = log_of(web)
    assert "503: the database cannot be used (OperationalError)" in output
    assert "Traceback" not in output
