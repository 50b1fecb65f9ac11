"""In a real browser at 1366x768: the staff statistics dashboard shows every chart (the SVG
images load from our own URLs, nothing from another host, no CSP violation) with its table, and
axe-core finds nothing on the page, with figures and with invalid filters."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Session, axe_on_copy

from hotline.statistics.dashboard import TABLE_NAMES
from staff_login import browser_log_in, make_staff

sys.path.insert(0, str(Path(__file__).parents[1] / "statistics"))
from dashboard_data import build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
    assert axe_on_copy(session, viewport={"width": 1366, "height": 768}) == []
    page.goto(session.url("/staff/statistics/?start=2026-03-01&end=2026-01-01"))
    assert page.locator("#filter-errors").is_visible()
    assert axe_on_copy(session, viewport={"width": 1366, "height": 768}) == []
    assert session.foreign == []
    assert session.csp_violations == []
    charts = [url for url in session.requests if "/staff/statistics/chart/" in url]
    assert len(charts) >= len(TABLE_NAMES)
