"""An analyst's day, end to end, against a real install: `hotline run` (gunicorn and the real
worker process) with its own database, Debian's chromium, nothing mocked.

A reporter sends a report with a picture on the public form; the worker processes it; an analyst
logs in with a TOTP code, finds it in the queue with why it ranks there, claims it, reads it,
reveals the blurred picture on purpose, assesses it (the case moves to "assessed"), adds a
staff note, writes to the reporter and records the removal notice; the reporter's status page
says so in plain words with the message; an administrator's audit viewer shows the trail and
`hotline audit verify` says the chain is whole.
"""

from __future__ import annotations

import io
import re
import time
import types
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from e2e_support import TIMEOUT_MS, open_section
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from process_helpers import Install, _install_template, free_port, http_get, install, wait_for
from staff_login import PASSWORD, Device, Staff, browser_log_in

__all__ = ["_install_template", "install"]
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 768}
NARRATIVE = "He wants 100 dollars by tonight or I will send your photos to your school, he says."
NOTE = "Called the school counsellor; she will follow up on Monday."
MESSAGE = "Thank you. We have asked the website to remove the pictures."


def synthetic_png() -> bytes:
    """A generated picture (shapes and stripes, no real imagery) with detail to blur."""
    image = Image.new("RGB", (320, 240), (30, 90, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, 320, 4):
        draw.line([(x, 0), (x, 240)], fill=(0, 0, 0) if x % 8 else (255, 255, 255))
    draw.ellipse((60, 40, 220, 200), fill=(240, 200, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _staff_in(install: Install, username: str, role: str) -> Staff:
    """Create a staff account with TOTP in the install's own database; return its device."""
    secret = install.shell(
        "from hotline.accounts.services import staff_create\n"
        "from hotline.accounts.mfa import staff_totp_enroll\n"
        f"user = staff_create(username={username!r}, password={PASSWORD!r}, role={role!r})\n"
        "print(staff_totp_enroll(user=user))"
    ).splitlines()[-1]
    account = types.SimpleNamespace(username=username)
    return Staff(user=account, password=PASSWORD, device=Device(secret))  # type: ignore[arg-type]


@pytest.fixture
def server(install: Install) -> str:
    port = free_port()
    process = install.start("run", "--port", str(port), "--processes", "1", "--threads", "2")
    base = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: http_get(base + "/healthz")[0] == 200,
        timeout=90,
        what="the server to answer",
        alive=process,
    )
    return base


@pytest.fixture
def contexts(chromium: Browser, server: str) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _page(chromium: Browser, server: str, opened: list[BrowserContext], **options: object) -> Page:
    """A browser context that may only talk to the install's server."""
    context = chromium.new_context(service_workers="block", **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    origin = urlsplit(server).netloc
    foreign: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_local)
    opened.append(context)
    page = context.new_page()
    page.foreign = foreign  # type: ignore[attr-defined]
    return page


def test_an_analysts_day(
    chromium: Browser, install: Install, server: str, contexts: list[BrowserContext]
) -> None:
    analyst = _staff_in(install, "dara", "analyst")
    admin = _staff_in(install, "sophea", "administrator")

    # The reporter, on a phone, in English, sends a report with a picture.
    reporter = _page(chromium, server, contexts, viewport={"width": 360, "height": 740})
    reporter.goto(server + "/report/")
    reporter.locator('header form.lang button[name="language"][value="en"]').click()
    expect(reporter.locator("html")).to_have_attribute("lang", "en")
    reporter.check('input[name="in_danger"][value="no"]')
    reporter.check('input[name="reporter_role"][value="myself"]')
    reporter.select_option('select[name="victim_age"]', "13_15")
    reporter.check('input[name="categories"][value="sextortion"]')
    reporter.fill('textarea[name="narrative"]', NARRATIVE)
    open_section(reporter, "money")
    reporter.check('input[name="money"][value="demanded"]')
    open_section(reporter, "evidence")
    way = reporter.locator('input[name="evidence_way"][value="file"]')
    if way.is_visible():
        way.check()
    reporter.set_input_files(
        'input[name="evidence_files"]',
        files=[{"name": "screenshot.png", "mimeType": "image/png", "buffer": synthetic_png()}],
    )
    reporter.locator('form.report button[type="submit"]').click()
    receipt = reporter.locator("#receipt-code")
    expect(receipt).to_be_visible()
    code = receipt.inner_text().strip()

    # The analyst logs in with a TOTP code; the worker has ranked the report, with reasons.
    staff = _page(chromium, server, contexts, viewport=LAPTOP, locale="en-GB")
    browser_log_in(staff, server, analyst)
    row = staff.locator("#queue tbody tr").first

    seen = [""]
    deadline = time.monotonic() + 45
    # The deadline in the narrative is found by the worker (it decrypts the text), not at intake.
    while "a deadline in the threat" not in seen[-1]:
        assert time.monotonic() < deadline, f"the worker did not rank the report: {seen[-1]!r}"
        time.sleep(1.0)
        staff.reload()
        seen.append(row.inner_text() if row.count() else staff.locator("main").inner_text())
    expect(row).to_contain_text("money:")
    expect(row).to_contain_text("the victim is a child")
    public_id = row.get_attribute("data-report")
    assert public_id
    report_url = f"{server}/staff/reports/{public_id}/"

    staff.click(f"#queue a[href='/staff/reports/{public_id}/']")
    expect(staff.locator("#case-state")).to_have_text("Received")
    staff.click("#case-claim")
    expect(staff.locator("#case-assignee")).to_have_text("dara (you)")
    expect(staff.locator("main")).to_contain_text(NARRATIVE)

    # The picture is blurred until the analyst reveals it on purpose.
    expect(staff.locator("#exposure-today")).to_have_text("0 pictures revealed today")
    reveal = staff.locator("button[id^='reveal-']").first
    with staff.expect_response(lambda r: r.url.endswith("/image/")):
        reveal.click()
    expect(staff.locator("#revealed-image")).to_be_visible()
    staff.click("#reveal-done")
    staff.wait_for_url(re.compile(re.escape(report_url)))
    expect(staff.locator("#exposure-today")).to_have_text("1 picture revealed today")

    # Assessing moves the case to "assessed" (hotline.assessment → hotline.cases).
    for label, value in {
        "Report type": "Sextortion",
        "Legal status": "Illegal nationally",
        "Victim age group": "Pubescent",
        "Victim gender": "Female",
        "Severity category": "C: other indecent images",
        "Hosting country": "Cambodia",
        "Content type": "Image",
    }.items():
        staff.get_by_label(label, exact=True).select_option(label=value)
    staff.click("#assessment-save")
    expect(staff.locator("#assessment-current")).to_contain_text("Sextortion")
    expect(staff.locator("#case-state")).to_have_text("Assessed: action needed")

    staff.fill("#id_note_body", NOTE)
    staff.click("#note-form button")
    expect(staff.locator("#staff-note-list")).to_contain_text(NOTE)

    staff.fill("#reply textarea[name='body']", MESSAGE)
    staff.click("#reply button")
    expect(staff.locator("main")).to_contain_text(MESSAGE)

    staff.select_option("#id_to_state", label="Action taken: removal notice sent")
    staff.click("#case-state-change")
    expect(staff.locator("#case-state")).to_have_text("Action taken: removal notice sent")
    expect(staff.locator("#case-history")).to_contain_text("Assessed: action needed → Action taken")

    # The reporter reads the new state in plain words, and the message.
    reporter.goto(server + "/status/")
    if reporter.locator("#status-forget").count():
        reporter.locator("#status-forget").click()
    reporter.fill('input[name="code"]', code)
    reporter.locator('main form[action="/status/"] button[type="submit"]').click()
    expect(reporter.locator("#report-status")).to_have_text(
        "We have asked for the content to be removed."
    )
    expect(reporter.locator("main")).to_contain_text(MESSAGE)
    expect(reporter.locator("main")).not_to_contain_text(NOTE)  # staff notes stay staff-only

    # The administrator's audit viewer shows the trail; the chain is whole.
    auditor = _page(chromium, server, contexts, viewport=LAPTOP, locale="en-GB")
    browser_log_in(auditor, server, admin)
    auditor.goto(server + "/staff/audit/")
    trail = auditor.locator("main")
    for action in (
        "intake.submit",
        "report.assign",
        "evidence.reveal",
        "report.assess",
        "report.state_change",
        "report.message",
        "report.note_add",
    ):
        expect(trail).to_contain_text(action)
    expect(trail).not_to_contain_text(NARRATIVE)
    verified = install.run("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "The audit chain is whole" in verified.stdout
    for page in (reporter, staff, auditor):
        assert page.foreign == []  # type: ignore[attr-defined]
