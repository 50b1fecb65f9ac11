"""Shared pieces of the browser tests: the phone-sized session and Chromium's settings."""

from __future__ import annotations

import subprocess
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
