"""In a real browser: an administrator previews a finished quarter, types it to confirm,
publishes it from the staff page, and then finds it on the public figures page; axe-core finds
nothing on the preview or the list."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Session, axe_on_copy, staff_log_in

from hotline.statistics.models import PublishedQuarter
from staff_login import make_staff

sys.path.insert(0, str(Path(__file__).parents[1] / "statistics"))
from public_support import add_reports, at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_publishes_a_quarter_and_sees_it_on_the_public_page(
    browser_session: Callable[..., Session],
) -> None:
    add_reports(86, at(2025, 2), victim_age="under_13")
    add_reports(3, at(2025, 3), categories=["grooming"], victim_age="under_13")
    admin = make_staff("browser-publisher", role="administrator")
    session = browser_session(name="publish", locale="en-GB", javascript=False)
    page = session.page
    page.set_viewport_size({"width": 1366, "height": 768})
    staff_log_in(session, admin)

    page.click("nav >> text=Publish figures")
    page.click("text=Preview and publish 2025-Q1")
    assert page.locator("#preview-total").inner_text() == "89"
    assert "86" not in page.locator("#preview").inner_text()
    assert page.locator("#publish-warning").is_visible()
    session.shot("preview")
    assert axe_on_copy(session, viewport={"width": 1366, "height": 768}) == []
    page.fill("input[name=confirm]", "2025-Q1")
    page.click("#publish-button")

    page.wait_for_url("**/staff/statistics/publish/#q-2025-Q1")
    assert "2025-Q1 is published" in page.locator("#publish-message").inner_text()
    assert "Published on" in page.locator("#q-2025-Q1").inner_text()
    assert PublishedQuarter.objects.filter(year=2025, quarter=1).count() == 1
    session.shot("published")
    assert axe_on_copy(session, viewport={"width": 1366, "height": 768}) == []
    page.click("text=See 2025-Q1 on the public page")

    page.wait_for_url("**/figures/#q-2025-Q1")
    quarter = page.locator("#q-2025-Q1")
    assert quarter.is_visible()
    assert quarter.locator(".stats-total strong").inner_text() == "89"
    assert "86" not in quarter.inner_text()
    assert session.foreign == []
    assert session.csp_violations == []
