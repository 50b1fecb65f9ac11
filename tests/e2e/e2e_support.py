"""Shared pieces of the browser tests: the phone-sized session and Chromium's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000


@dataclass
class Session:
    """One browser context on a 360 px phone, with its request log and screenshot folder."""

    context: BrowserContext
    page: Page
    base_url: str
    artifacts: Path
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    _shots: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot of the current page, numbered in step order."""
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def scroll_width(self) -> int:
        return int(self.page.evaluate("document.documentElement.scrollWidth"))


def staff_log_in(
    session: Session, *, username: str, password: str, next_path: str = "/staff/"
) -> None:
    """Log a staff member in through the login page and wait for `next_path`.

    The one place browser tests log staff in: when the login gains steps (a second factor),
    only this changes.
    """
    page = session.page
    page.goto(session.url(next_path))
    assert "/staff/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(session.url(next_path))
