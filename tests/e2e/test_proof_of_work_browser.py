"""The report form's proof of work in a real browser (Debian's chromium) on a 360 px phone."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from e2e_support import Session
from playwright.sync_api import expect

from hotline.intake.models import Report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OpenSession = Callable[..., Session]


def _fill_minimal(session: Session) -> None:
    page = session.page
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="sextortion"]')
    page.fill('textarea[name="narrative"]', "He threatens to send my photos to my school.")


def test_a_javascript_reporter_solves_the_proof_of_work_and_submits(
    browser_session: OpenSession, settings: object
) -> None:
    # The shipped cost, and no room at all for reports without a proof: only a solved proof
    # can get this report through.
    settings.HOTLINE_POW_ITERATIONS = 1000  # type: ignore[attr-defined]
    settings.HOTLINE_POW_MAX_COUNTER = 1000  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0  # type: ignore[attr-defined]
    session = browser_session(javascript=True, locale="en-US")
    page = session.page
    started = time.monotonic()
    page.goto(session.url("/report/"))
    # (An expectation, not wait_for_function: the page's CSP forbids evaluating strings.)
    expect(page.locator('form.report input[name="proof"]')).not_to_have_value("", timeout=60_000)
    solved_after = time.monotonic() - started
    print(f"proof of work solved {solved_after:.2f} s after the form was opened")
    _fill_minimal(session)
    posted: list[str] = []
    page.on(
        "request",
        lambda request: (
            posted.append(request.post_data or "")
            if request.method == "POST" and request.url.endswith("/report/")
            else None
        ),
    )
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible()
    assert Report.objects.count() == 1
    assert posted
    proof = re.search(r'name="proof"\r\n\r\n([^\r]*)', posted[0])
    assert proof
    assert len(proof.group(1)) > 100
    assert session.foreign == []


def test_a_submit_before_the_proof_is_solved_waits_for_it(
    browser_session: OpenSession, settings: object
) -> None:
    # Costly enough (a second or more here) that Send is usually pressed before it is solved;
    # a lucky challenge solved at once is drawn again, so the test always sees the wait.
    settings.HOTLINE_POW_ITERATIONS = 5000  # type: ignore[attr-defined]
    settings.HOTLINE_POW_MAX_COUNTER = 1000  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0  # type: ignore[attr-defined]
    session = browser_session(javascript=True, locale="en-US")
    page = session.page
    for _attempt in range(10):
        page.goto(session.url("/report/"))
        _fill_minimal(session)
        unsolved = page.evaluate(
            """() => {
                const form = document.querySelector("form.report");
                if (form.querySelector('input[name="proof"]').value !== "") return false;
                form.querySelector('button[type="submit"]').click();
                return true;
            }"""
        )
        if unsolved:
            break
    assert unsolved, "every challenge was solved before Send could be pressed"
    expect(page.locator("[data-hotline-pow-wait]")).to_be_visible()
    expect(page.locator("#receipt-code")).to_be_visible(timeout=60_000)
    assert Report.objects.count() == 1


def test_without_javascript_the_form_still_submits(browser_session: OpenSession) -> None:
    session = browser_session(javascript=False, locale="en-US")
    page = session.page
    page.goto(session.url("/report/"))
    _fill_minimal(session)
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible()
    assert Report.objects.count() == 1


def test_a_form_open_past_its_challenges_expiry_renews_it_and_submits(
    browser_session: OpenSession, settings: object
) -> None:
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0  # type: ignore[attr-defined]
    # The form is served with a challenge that has already expired, as after hours of writing.
    settings.HOTLINE_POW_EXPIRES_SECONDS = -5  # type: ignore[attr-defined]
    session = browser_session(javascript=True, locale="en-US")
    page = session.page
    page.goto(session.url("/report/"))
    expect(page.locator('form.report input[name="proof"]')).not_to_have_value("")
    settings.HOTLINE_POW_EXPIRES_SECONDS = 3600  # type: ignore[attr-defined]
    _fill_minimal(session)
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible(timeout=60_000)
    assert Report.objects.count() == 1
    assert any("/report/challenge/?token=" in url for url in session.requests)
