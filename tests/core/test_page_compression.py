"""Pages travel compressed; static files get hashed names, compressed copies and long caching.

The manifest storage (hashed names) needs `collectstatic`, which `hotline run` does at every
start: the static-file tests therefore run against a real `hotline run`, with no manual step.
"""

from __future__ import annotations

import gzip
import html
import http.cookiejar
import re
import urllib.parse
import urllib.request
from email.message import Message

import pytest
from django.test import Client

from process_helpers import Install, free_port, http_get, wait_for

ONE_YEAR = 365 * 24 * 60 * 60


@pytest.mark.django_db
def test_public_page_is_gzipped_when_asked_and_identity_otherwise(client: Client) -> None:
    plain = client.get("/report/")
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]

    packed = client.get("/report/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(packed.content).decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert len(packed.content) < len(page.encode()) / 2


class GzipClient:
    """A cookie-keeping client that asks for gzip, as every phone browser does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.opener.addheaders = [("Accept-Encoding", "gzip")]

    def get(self, path: str, data: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
        """GET (or POST `data`); return status, headers and the decoded body."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            raw = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            return response.status, response.headers, raw


@pytest.fixture
def server(install: Install) -> str:
    port = free_port()
    web = install.start(
        "run", "--no-worker", "--port", str(port), "--processes", "1", "--threads", "2"
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz", alive=web)
    return base


@pytest.mark.slow
def test_hotline_run_serves_hashed_static_files_compressed_and_immutable(server: str) -> None:
    client = GzipClient(server)
    status, headers, page = client.get("/report/")
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    stylesheet = re.search(r'href="(/static/core/site\.[0-9a-f]{12}\.css)"', page.decode())
    assert stylesheet, "the page does not name the stylesheet by its hashed name"
    scripts = re.findall(r'src="(/static/[^"]+\.[0-9a-f]{12}\.js)"', page.decode())
    assert scripts, "the page does not name its scripts by their hashed names"

    for path in [stylesheet.group(1), *scripts]:
        status, headers, _ = client.get(path)
        assert status == 200, path
        assert headers["Content-Encoding"] == "gzip", path
        cache = headers["Cache-Control"]
        assert "immutable" in cache, (path, cache)
        max_age = int(re.search(r"max-age=(\d+)", cache).group(1))  # type: ignore[union-attr]
        assert max_age >= ONE_YEAR, (path, cache)


@pytest.mark.slow
def test_khmer_font_is_served_by_us_with_a_hashed_name_and_long_caching(server: str) -> None:
    client = GzipClient(server)
    _, _, page = client.get("/report/")
    stylesheet = re.search(r'href="(/static/core/site\.[0-9a-f]{12}\.css)"', page.decode())
    assert stylesheet
    _, _, css = client.get(stylesheet.group(1))
    font = re.search(r'url\("(fonts/noto-sans-khmer\.[0-9a-f]{12}\.woff2)"\)', css.decode())
    assert font, "site.css does not name the Khmer font by its hashed name"

    status, headers, body = client.get(f"/static/core/{font.group(1)}")
    assert status == 200
    assert headers["Content-Type"] == "font/woff2"
    assert body[:4] == b"wOF2"
    assert "immutable" in headers["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"]).group(1))  # type: ignore[union-attr]
    assert max_age >= ONE_YEAR
    status, _, licence = client.get("/static/core/fonts/OFL.txt")
    assert status == 200
    assert b"SIL OPEN FONT LICENSE Version 1.1" in licence


@pytest.mark.slow
def test_report_submitted_through_compressed_pages_gets_its_receipt(server: str) -> None:
    """CSRF token and one-time token read from a gzipped form are accepted; the receipt shows."""
    client = GzipClient(server)
    _, _, form = client.get("/report/")
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.decode()
        )
    }
    assert "csrfmiddlewaretoken" in fields
    fields.update(
        in_danger="no",
        reporter_role="myself",
        categories="sextortion",
        narrative="He says he will send the video to my class unless I pay.",
    )
    status, headers, receipt = client.get("/report/", data=fields)
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    code = re.search(r'<p class="receipt" id="receipt-code">([^<]+)</p>', receipt.decode())
    assert code, receipt.decode()[:2000]
    assert "SLOT" not in code.group(1)
