"""The public figures page in a real browser: 360 px wide, nothing from other hosts, axe clean.

Chromium (Debian's, through Playwright) opens /figures/ with published quarters, in Khmer and
English; every request to another host is aborted and recorded. axe-core is the vendored copy
(tests/e2e/vendor), put into the page through Playwright's evaluate (the page has no script).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, sync_playwright
from public_support import add_reports, administrator, at
from pytest_django.live_server_helper import LiveServer

from hotline.statistics.public import QuarterKey, quarter_publish

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parents[1] / "e2e" / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread: let the test's ORM
    # calls through (as tests/e2e/conftest.py does), for this module only.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.mark.parametrize("locale", ["km-KH", "en-US"])
def test_the_figures_page_fits_a_phone_loads_nothing_foreign_and_passes_axe(
    chromium: Browser, live_server: LiveServer, locale: str
) -> None:
    add_reports(9, at(2025, 2), victim_age="under_13")
    add_reports(3, at(2025, 2), categories=["grooming"], platforms=["telegram"])
    add_reports(2, at(2025, 5))
    admin = administrator()
    quarter_publish(actor=admin, key=QuarterKey(2025, 1))
    quarter_publish(actor=admin, key=QuarterKey(2025, 2))
    origin = urlsplit(live_server.url).netloc
    foreign: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort("blockedbyclient")

    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale=locale)
    context.route("**/*", only_local)
    page = context.new_page()
    response = page.goto(live_server.url + "/figures/")

    assert response is not None
    assert response.status == 200
    assert page.locator("table.stats").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert foreign == []
    page.evaluate(AXE)
    assert page.evaluate(RUN_AXE) == []
    context.close()
