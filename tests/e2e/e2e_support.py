"""Shared pieces of the browser tests: the phone-sized session and Chromium's settings."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, ViewportSize

from staff_login import Staff, browser_log_in

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
# The Khmer web font we serve (static/core/fonts).
FONT = Path(__file__).parents[2] / "src/hotline/static/core/fonts/noto-sans-khmer.woff2"
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


def staff_log_in(session: Session, staff: Staff, *, next_path: str = "/staff/") -> None:
    """Log `staff` (enrolled, tests/staff_login.py) in through the login pages, then open
    `next_path`.

    The one place the workspace's browser tests log staff in; it forwards to
    staff_login.browser_log_in (password, then a TOTP code).
    """
    browser_log_in(session.page, session.base_url, staff)
    if next_path != "/staff/":
        session.page.goto(session.url(next_path))


def open_section(page: Page, name: str) -> None:
    """Open one of the report form's folded sections by its heading, as a reporter would."""
    section = page.locator(f"details:has(> summary #s-{name})")
    if section.get_attribute("open") is None:
        page.locator(f"summary:has(#s-{name})").click()
    assert section.get_attribute("open") is not None


def choose_evidence_way(page: Page, way: str) -> None:
    """Open the evidence section and choose "file" (send the picture) or "fingerprint"."""
    open_section(page, "evidence")
    page.check(f'input[name="evidence_way"][value="{way}"]')


def khmer_fonts_installed(env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["fc-list", ":lang=km", "family"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()


AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
_RUN_AXE = """async (selector) => {
  const result = await axe.run(
    selector ? {include: [selector]} : document, {resultTypes: ["violations"]}
  );
  return result.violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")));
}"""


def axe_on_copy(
    session: Session, *, selector: str | None = None, viewport: ViewportSize | None = None
) -> list[Any]:
    """Run axe-core on a copy of the page as shown (the session itself may run no JavaScript):
    the whole page, or only `selector`; in a context of `viewport` (Chromium's default if None).
    Returns the violations, "rule: targets" each."""
    html = session.page.content()
    browser = session.context.browser
    assert browser is not None
    audit = browser.new_context(java_script_enabled=True, bypass_csp=True, viewport=viewport)
    try:
        page = audit.new_page()
        page.route(
            session.page.url, lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto(session.page.url)
        page.evaluate(AXE_SOURCE)
        return list(page.evaluate(_RUN_AXE, selector))
    finally:
        audit.close()
