"""Browser-test set-up: Debian's chromium driven by Playwright against pytest-django's live server.

Every browser context records each request it makes and aborts any request to another host,
so a test can assert that nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps as django_apps
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FONT,
    PHONE_VIEWPORT,
    TIMEOUT_MS,
    Session,
    khmer_fonts_installed,
)
from fontTools.ttLib import TTFont
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Request,
    Route,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer


class _OneRequestAtATimeServer(ThreadedWSGIServer):
    """Django's live server, answering one request at a time when threads share a connection.

    With an in-memory SQLite database every request thread is handed the test's one connection
    (connections_override), and a page that loads several images at once (the statistics
    charts) then used it from two threads together: sqlite3's "bad parameter or other API
    misuse", a 503, once in a while. Each request, its body and its closing run under one lock;
    connections stay threaded, so a browser's idle keep-alive connection blocks nobody.
    """

    _lock = threading.Lock()

    def set_app(self, application: Any) -> None:
        if not self.connections_override:
            super().set_app(application)
            return
        lock = self._lock

        def one_at_a_time(environ: Any, start_response: Any) -> list[bytes]:
            with lock:
                result = application(environ, start_response)
                try:
                    return [b"".join(result)]
                finally:
                    if hasattr(result, "close"):
                        result.close()

        super().set_app(one_at_a_time)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """Serve on 127.0.0.1 (not "localhost", which may resolve elsewhere) unless told otherwise."""
    original = LiveServerThread.server_class
    LiveServerThread.server_class = _OneRequestAtATimeServer
    try:
        server = LiveServer(request.config.getvalue("liveserver") or "127.0.0.1")
        yield server
        server.stop()
    finally:
        LiveServerThread.server_class = original


@pytest.fixture(autouse=True)
def _default_emergency_contacts(transactional_db: None) -> None:
    """Put back the shipped emergency contacts (each transactional test's flush drops them).

    Serialized rollback cannot do this here: while Playwright's loop runs, Django hands this
    thread a fresh connection object, without the serialized copy made at database set-up.
    """
    seed = importlib.import_module("hotline.core.migrations.0002_default_contacts").seed
    seed(django_apps, None)


@pytest.fixture(scope="module")
def _async_unsafe_allowed() -> Iterator[None]:
    """Let test code use the ORM while Playwright's event loop runs in this thread.

    The sync Playwright API keeps an asyncio loop running (in a greenlet), which makes Django
    refuse database access from the test thread. Module-scoped (like the browser) so the loop
    is gone and Django's check is back before any other test runs: "package" scope would last
    the whole session here, as tests/ folders are not Python packages.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        yield


@pytest.fixture(scope="module")
def chromium(_async_unsafe_allowed: None) -> Iterator[Browser]:
    """Start Debian's chromium once per test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def chromium_with_khmer_font(tmp_path: Path, chromium: Browser) -> Iterator[Browser]:
    """Start a chromium whose fontconfig also lists a Khmer font (ours, as a local file)."""
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    # As a TrueType file: chromium takes only TrueType/OpenType files from fontconfig.
    font = TTFont(FONT)
    font.flavor = None
    font.save(fonts / "NotoSansKhmer-Regular.ttf")
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<include>/etc/fonts/fonts.conf</include>"
        f"<dir>{fonts}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    assert "Noto Sans Khmer" in khmer_fonts_installed(env)
    # The module's Playwright (one per thread) starts this second browser.
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env
    )
    yield browser
    browser.close()


@pytest.fixture
def browser_session(
    chromium: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Session]]:
    """Return a factory of phone-sized browser sessions (closed at the end of the test)."""
    artifacts_root = request.config.rootpath / "test-artifacts" / "e2e"
    test_dir = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    origin = urlsplit(live_server.url).netloc
    contexts: list[BrowserContext] = []

    def open_session(*, javascript: bool = True, locale: str = "km-KH", name: str = "") -> Session:
        context = chromium.new_context(
            viewport=PHONE_VIEWPORT,
            java_script_enabled=javascript,
            locale=locale,
            service_workers="block",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        artifacts = artifacts_root / test_dir / name if name else artifacts_root / test_dir
        artifacts.mkdir(parents=True, exist_ok=True)
        for old in artifacts.glob("*.png"):
            old.unlink()
        session = Session(
            context=context,
            page=context.new_page(),
            base_url=live_server.url,
            artifacts=artifacts,
        )

        def record(req: Request) -> None:
            session.requests.append(req.url)

        def only_local(route: Route) -> None:
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} and parts.netloc == origin:
                route.continue_()
            else:
                session.foreign.append(url)
                route.abort("blockedbyclient")

        def console(message: ConsoleMessage) -> None:
            # Chromium reports every blocked script, style, image or form under the CSP here.
            if "Content Security Policy" in message.text:
                session.csp_violations.append(message.text)

        context.on("request", record)
        context.on("console", console)
        context.route("**/*", only_local)
        sessions.append(session)
        return session

    sessions: list[Session] = []
    yield open_session
    for context in contexts:
        context.close()
    violations = [text for session in sessions for text in session.csp_violations]
    assert not violations, f"pages broke the Content-Security-Policy: {violations}"
