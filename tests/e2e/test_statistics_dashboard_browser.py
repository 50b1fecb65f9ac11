"""In a real browser at 1366x768: the staff statistics dashboard shows every chart (the SVG
images load from our own URLs, nothing from another host, no CSP violation) with its table, and
axe-core finds nothing on the page, with figures and with invalid filters."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Session

from hotline.statistics.dashboard import TABLE_NAMES
from staff_login import browser_log_in, make_staff

sys.path.insert(0, str(Path(__file__).parents[1] / "statistics"))
from dashboard_data import build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")));
}"""


def _axe(session: Session) -> list[Any]:
    """Run axe on a copy of the page as shown (the session itself runs no JavaScript)."""
    html = session.page.content()
    browser = session.context.browser
    assert browser is not None
    audit = browser.new_context(
        java_script_enabled=True, bypass_csp=True, viewport={"width": 1366, "height": 768}
    )
    try:
        page = audit.new_page()
        page.route(
            session.page.url, lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto(session.page.url)
        page.evaluate(AXE)
        return list(page.evaluate(RUN_AXE))
    finally:
        audit.close()


def test_the_dashboard_shows_its_charts_and_passes_axe(
    browser_session: Callable[..., Session],
) -> None:
    build()
    analyst = make_staff("stats-analyst", role="analyst")
    session = browser_session(name="statistics", locale="en-GB", javascript=False)
    page = session.page
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_log_in(page, session.base_url, analyst)
    page.click("nav >> text=Statistics")
    page.goto(session.url("/staff/statistics/?start=2026-01-01&end=2026-03-31&bucket=month"))
    page.wait_for_load_state("load")
    for name in TABLE_NAMES:
        image = page.locator(f"#s-{name} img")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name
        assert page.locator(f"#table-{name}").is_visible()
    session.shot("dashboard")
    assert _axe(session) == []
    page.goto(session.url("/staff/statistics/?start=2026-03-01&end=2026-01-01"))
    assert page.locator("#filter-errors").is_visible()
    assert _axe(session) == []
    assert session.foreign == []
    assert session.csp_violations == []
    charts = [url for url in session.requests if "/staff/statistics/chart/" in url]
    assert len(charts) >= len(TABLE_NAMES)
