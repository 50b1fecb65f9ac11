"""axe-core finds nothing on any public page or state, in Khmer and English, with and without JS.

The pages are reached the way a reporter reaches them (the form filled and sent, the receipt's
buttons pressed, the status page opened with the code), on a 360 px phone. axe-core is the
vendored copy (tests/e2e/vendor/axe-core), put into each page through Playwright's evaluate:
nothing is loaded from another host and the page's Content-Security-Policy stays untouched.

Without JavaScript, axe cannot run in the page itself (Chromium then runs no timers, and
axe.run never finishes). The page the no-JavaScript browser shows (its DOM, with what was
ticked and typed) is copied, without its scripts, into a second, JavaScript-enabled page at the
same address and origin (so the same stylesheet and font), and axe runs there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from e2e_support import Session, open_section
from playwright.sync_api import Page, Route, expect

from hotline.core.views import service_unavailable_for
from hotline.intake.models import Message, Report
from hotline.intake.services import message_add

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OpenSession = Callable[..., Session]
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# Every rule axe runs by default (WCAG 2.0-2.2 A/AA and best practices); none is turned off.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary).slice(0, 5),
  }));
}"""


# Copy what the reporter ticked and typed into the attributes, so the copied page shows it.
FREEZE_FORM_STATE = """() => {
  for (const input of document.querySelectorAll("input")) {
    if (input.type === "checkbox" || input.type === "radio") {
      input.toggleAttribute("checked", input.checked);
    } else if (input.type !== "file") {
      input.setAttribute("value", input.value);
    }
  }
  for (const area of document.querySelectorAll("textarea")) area.textContent = area.value;
  for (const option of document.querySelectorAll("option")) {
    option.toggleAttribute("selected", option.selected);
  }
}"""
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)


class Audit:
    """Run axe on the page as it is now; collect what it finds, by state."""

    def __init__(self, session: Session, replay: Session | None) -> None:
        self.session = session
        self.replay = replay  # a JavaScript-enabled page to audit a no-JavaScript one in
        self.states: list[str] = []
        self.violations: dict[str, list[dict[str, Any]]] = {}

    def _audited_page(self) -> Page:
        page = self.session.page
        page.wait_for_load_state("load")
        if self.replay is None:
            return page
        page.evaluate(FREEZE_FORM_STATE)
        html = SCRIPT.sub("", page.content())
        assert "<script" not in html.lower()
        replay = self.replay.page
        url = page.url

        def serve(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        replay.route(url, serve)
        replay.goto(url)
        replay.unroute(url, serve)
        replay.wait_for_load_state("load")
        return replay

    def __call__(self, state: str) -> None:
        page = self._audited_page()
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE)
        found = page.evaluate(RUN_AXE)
        self.states.append(state)
        if found:
            self.violations[f"{state} ({self.session.page.url})"] = found


def submit_report(page: Page) -> None:
    page.locator('form.report button[type="submit"]').click()


def fill_minimal_report(page: Page) -> None:
    page.check('input[name="in_danger"][value="yes"]')
    page.check('input[name="reporter_role"][value="my_child"]')
    page.check('input[name="categories"][value="sextortion"]')
    page.fill('textarea[name="narrative"]', "Someone asks my son for money or he shares a video.")


def unavailable_html(language: str) -> str:
    """Return the outage page exactly as the real view renders it (no database needed)."""
    request = RequestFactory().get("/", headers={"accept-language": language})
    response = service_unavailable_for(request, OperationalError("database gone"))
    assert response is not None
    assert response.status_code == 503
    return response.content.decode()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["km", "en"])
def test_axe_finds_no_violation_on_any_public_page_or_state(
    browser_session: OpenSession, language: str, javascript: bool, settings: Any
) -> None:
    session = browser_session(javascript=javascript)
    page = session.page
    audit = Audit(session, None if javascript else browser_session(javascript=True, name="replay"))

    page.goto(session.url("/"))
    if language == "en":
        page.locator('header form.lang button[value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    audit("home")
    page.locator('a[href="/danger/"]').first.click()
    audit("danger")

    page.goto(session.url("/report/"))
    audit("report form, empty")
    page.check('input[name="in_danger"][value="yes"]')
    expect(page.locator(".danger-question .emergency")).to_be_visible()
    audit("report form, danger box open")
    # The browser checks the required answers itself; the server then asks for the consent
    # box that goes with a contact, and the form comes back with its errors.
    fill_minimal_report(page)
    open_section(page, "help")
    page.fill('input[name="contact"]', "Telegram @a_parent")
    open_section(page, "person")  # answered, so it comes back open and is audited open
    page.select_option('select[name="province"]', "kampot")
    submit_report(page)
    expect(page.locator(".has-error").first).to_be_visible()
    audit("report form, with errors")
    page.check('input[name="consent_contact"]')
    submit_report(page)
    expect(page.locator("#receipt-code")).to_be_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    audit("receipt (someone in danger)")

    page.locator("#receipt-check").click()
    expect(page.locator("#report-status")).to_be_visible()
    audit("status page, no messages")
    page.fill('textarea[name="message"]', "He wrote again today.")
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    expect(page.locator(".message.from-you")).to_be_visible()
    audit("reply sent")
    report = Report.objects.get()
    message_add(report=report, author=Message.Author.STAFF, body="We asked the platform.")
    # This phone keeps the opened report for a while: close it to get the empty code box.
    page.locator("#status-forget").click()
    expect(page.locator('main form[action="/status/"] input[name="code"]')).to_be_visible()
    audit("status lookup, empty")
    page.fill('main form[action="/status/"] input[name="code"]', "AAAA-AAAA-AAAA-AAAA-A")
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    expect(page.locator('main .error[role="alert"]')).to_be_visible()
    audit("status lookup, wrong code")
    page.fill('main form[action="/status/"] input[name="code"]', code)
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    expect(page.locator(".message.from-hotline")).to_be_visible()
    audit("status page with messages")

    page.locator("#escrow-link").click()
    expect(page.locator('input[name="identifier"]')).to_be_visible()
    audit("escrow form from the status page")
    page.fill('input[name="identifier"]', "?? !!")  # not a name, number or link
    page.locator('main form[action="/escrow/"] button[type="submit"]').click()
    expect(page.locator(".has-error").first).to_be_visible()
    audit("escrow form with errors")
    page.fill('input[name="identifier"]', "t.me/someone_else_here")
    page.locator('main form[action="/escrow/"] button[type="submit"]').click()
    expect(page.locator("#escrow-kept")).to_be_visible()
    audit("escrow done")
    page.goto(session.url("/escrow/"))
    audit("escrow form, empty")

    page.goto(session.url("/help/"))
    audit("guidance index")
    for slug in ("extortion", "parents", "evidence"):
        page.goto(session.url(f"/help/{slug}/"))
        audit(f"guidance {slug}")

    page.goto(session.url("/no-such-page/"))
    audit("page not found")

    # "Please wait": a reply beyond the report's hourly budget (any browser), and without
    # JavaScript a report beyond this connection's budget.
    settings.HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR = 0
    page.goto(session.url("/status/"))  # the report this phone opened a moment ago
    expect(page.locator("#report-status")).to_be_visible()
    page.fill('textarea[name="message"]', "One more thing.")
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    expect(page.locator("h1")).not_to_have_text("")
    audit("please wait (report busy)")
    if not javascript:
        settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0
        page.goto(session.url("/report/"))
        fill_minimal_report(page)
        submit_report(page)
        audit("please wait (this connection)")

    # A form sent without its cookie (a page left open for days): the CSRF failure page.
    page.goto(session.url("/status/"))
    page.locator("#status-forget").click()  # the empty code box
    kept = [c for c in session.context.cookies() if c["name"] != "csrftoken"]
    session.context.clear_cookies()
    session.context.add_cookies(kept)  # type: ignore[arg-type]
    page.fill('main form[action="/status/"] input[name="code"]', code)
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    audit("form refused (CSRF)")

    # The outage page, as the real view renders it, served from the test server's origin.
    outage = unavailable_html(language)

    def serve_outage(route: Route) -> None:
        route.fulfill(status=503, content_type="text/html; charset=utf-8", body=outage)

    page.route("**/outage-for-axe/", serve_outage)
    page.goto(session.url("/outage-for-axe/"))
    audit("service unavailable")

    assert len(audit.states) == (23 if javascript else 24), audit.states
    assert audit.violations == {}, "\n".join(
        f"{state}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for state, found in audit.violations.items()
        for v in found
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_audit_reports_a_violation_it_is_shown(
    browser_session: OpenSession, javascript: bool
) -> None:
    """The audit itself would fail: a field without a label, served at the test server."""
    session = browser_session(javascript=javascript)
    audit = Audit(session, None if javascript else browser_session(javascript=True, name="replay"))
    broken = (
        '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        '<h1>Broken</h1><input type="text" name="x"></main></body></html>'
    )

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=broken)

    session.page.route("**/broken-for-axe/", serve)
    session.page.goto(session.url("/broken-for-axe/"))
    audit("broken page")
    [found] = audit.violations.values()
    assert "label" in {v["id"] for v in found}


def test_axe_finds_no_violation_on_the_staff_pages(browser_session: OpenSession) -> None:
    """The staff login, the code page, the queue (filtered, searched, refused) and a report."""
    from hotline.intake.services import ReportInput, report_submit
    from hotline.intake.tasks import report_process
    from staff_login import make_staff

    staff = make_staff("axe_analyst", role="senior_analyst")
    for narrative, danger in (("He wants money for my photos", True), ("A fake account", False)):
        data = ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            narrative=narrative,
            in_danger=danger,
            links=["https://t.me/axe_demo_group"],
        )
        report_process(report_submit(data=data, evidence=[]).report.pk)
    session = browser_session(locale="en-GB")
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})  # the staff desk
    audit = Audit(session, None)

    page.goto(session.url("/staff/login/"))
    audit("staff login")
    page.fill("input[name=login]", staff.user.username)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("input[name=password]")).to_be_visible()
    audit("staff login, wrong password")
    page.fill("input[name=login]", staff.user.username)
    page.fill("input[name=password]", staff.password)
    page.click("button[type=submit]")
    expect(page.locator("input[name=code]")).to_be_visible()
    audit("staff two-factor code")
    page.fill("input[name=code]", staff.device.code())
    page.click("button[type=submit] >> text=Log in")
    expect(page.locator("#queue")).to_be_visible()
    audit("staff queue")
    page.goto(session.url("/staff/?category=sextortion&state=all"))
    audit("staff queue, filtered")
    page.fill("input[name=q]", "money photos")
    page.locator("#queue-filters button").click()
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    audit("staff queue, searched")
    page.fill("input[name=q]", "!!!")
    page.locator("#queue-filters button").click()
    expect(page.locator("#filter-errors")).to_be_visible()
    audit("staff queue, search refused")
    page.goto(session.url("/staff/"))
    page.locator("#queue tbody tr a").first.click()
    expect(page.locator("h1")).to_contain_text("Report")
    audit("staff report page")

    assert len(audit.states) == 8, audit.states
    assert audit.violations == {}, "\n".join(
        f"{state}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for state, found in audit.violations.items()
        for v in found
    )
