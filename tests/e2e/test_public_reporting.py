"""The public path in a real browser on a 360 px phone, with and without JavaScript.

Report in Khmer (the default) or English → receipt code → status page → reply → a message
from the hotline shows up. Every test also checks that the pages fit the phone's width and
that the browser never contacts a host other than the hotline itself.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from e2e_support import PHONE_VIEWPORT, Session, open_section
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from hotline.core.models import EmergencyContact
from hotline.intake.choices import ReportStatus
from hotline.intake.models import Message, Report
from hotline.intake.receipts import ALPHABET
from hotline.intake.selectors import report_details, status_view_data
from hotline.intake.services import message_add

pytestmark = [
    pytest.mark.e2e,
    # Transactional: the live server commits in its own thread.
    pytest.mark.django_db(transaction=True),
]

OpenSession = Callable[..., Session]
CODE = re.compile(rf"^[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{3}}-[{ALPHABET}]$")
PHONE_WIDTH = PHONE_VIEWPORT["width"]


def synthetic_png(seed: int) -> bytes:
    """Draw a small synthetic PNG (shapes only, no real imagery)."""
    image = Image.new("RGB", (160, 120), (20 + seed * 40 % 200, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10 + seed, 10, 80, 70), fill=(240, 200, 40))
    draw.ellipse((70, 40, 150, 110 - seed), fill=(30, 160, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def label_in(language: str, label: object) -> str:
    with translation.override(language):
        return str(label)


def assert_fits_phone(session: Session) -> None:
    width = session.scroll_width()
    assert width <= PHONE_WIDTH, f"{session.page.url} scrolls sideways: {width}px > {PHONE_WIDTH}px"


def assert_stayed_local(session: Session) -> None:
    assert session.foreign == [], f"requests to other hosts: {session.foreign}"
    origin = urlsplit(session.base_url).netloc
    assert session.requests, "no requests were recorded"
    others = [u for u in session.requests if urlsplit(u).netloc != origin]
    assert others == []


def expect_language(page: Page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)


def switch_language(page: Page, language: str) -> None:
    """Press the header's language button."""
    page.locator(f'header form.lang button[name="language"][value="{language}"]').click()
    expect_language(page, language)


def fill_report(page: Page, *, narrative: str, png: bytes) -> None:
    """Answer the main questions of the report form, selecting fields by name."""
    page.check('input[name="in_danger"][value="no"]')
    page.check('input[name="reporter_role"][value="myself"]')
    page.select_option('select[name="victim_age"]', "13_15")
    page.check('input[name="categories"][value="sextortion"]')
    page.check('input[name="categories"][value="nonconsensual"]')
    page.fill('textarea[name="narrative"]', narrative)
    open_section(page, "where")  # the optional sections are folded: open each, as a person would
    page.check('input[name="platforms"][value="facebook"]')
    page.check('input[name="platforms"][value="telegram"]')
    page.fill('textarea[name="links"]', "https://example.invalid/profile/123")
    page.fill('textarea[name="usernames"]', "@example_offender")
    page.fill('textarea[name="phones"]', "012 345 678")
    page.fill('input[name="started"]', "last week")
    open_section(page, "money")
    page.check('input[name="money"][value="demanded"]')
    page.fill('input[name="amount"]', "200 USD")
    page.check('input[name="payment_methods"][value="wing"]')
    page.fill('textarea[name="payment_accounts"]', "Wing 098 765 432")
    open_section(page, "evidence")
    way = page.locator('input[name="evidence_way"][value="file"]')
    if way.is_visible():  # with JavaScript: choose to send the picture itself
        way.check()
    page.set_input_files(
        'input[name="evidence_files"]',
        files=[{"name": "screenshot.png", "mimeType": "image/png", "buffer": png}],
    )
    open_section(page, "help")
    page.check('input[name="help_wanted"][value="counsellor"]')
    page.fill('input[name="contact"]', "Telegram @example_reporter")
    page.check('input[name="consent_contact"]')
    open_section(page, "person")
    page.select_option('select[name="victim_gender"]', "female")
    page.select_option('select[name="province"]', "battambang")


def open_status(session: Session, code: str) -> None:
    """Enter the receipt code on /status/ (closing the report this browser remembers, if any)."""
    page = session.page
    page.goto(session.url("/status/"))
    if page.locator("#status-forget").count():
        page.locator("#status-forget").click()
    page.fill('input[name="code"]', code)
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    expect(page.locator("#report-status")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["km", "en"])
def test_report_receipt_status_reply_on_a_phone(
    browser_session: OpenSession, language: str, javascript: bool
) -> None:
    session = browser_session(javascript=javascript)
    page = session.page
    narrative = f"Browser test ({language}, js={javascript}): he recorded our video call."
    png = synthetic_png(seed=2 if javascript else 1)

    page.goto(session.url("/report/"))
    expect_language(page, "km")  # Khmer unless the reporter chooses otherwise
    if language == "en":
        switch_language(page, "en")
        assert urlsplit(page.url).path == "/report/"
    session.shot("form")
    assert_fits_phone(session)

    fill_report(page, narrative=narrative, png=png)
    session.shot("form-filled")
    page.locator('form.report button[type="submit"]').click()

    receipt = page.locator("#receipt-code")
    expect(receipt).to_be_visible()
    expect_language(page, language)
    code = receipt.inner_text().strip()
    assert CODE.match(code), code
    session.shot("receipt")
    assert_fits_phone(session)

    report = Report.objects.get()
    assert report.language == language
    assert report.reporter_role == "myself"
    assert report.victim_age == "13_15"
    assert (report.victim_gender, report.province) == ("female", "battambang")
    assert report.categories == ["sextortion", "nonconsensual"]
    assert report.platforms == ["facebook", "telegram"]
    assert report.money == "demanded"
    assert report.payment_methods == ["wing"]
    assert report.help_wanted == ["counsellor"]
    assert report.consent_contact is True
    assert report.in_danger is False
    details = report_details(report)
    assert details["narrative"] == narrative
    assert details["phones"] == ["012 345 678"]
    assert details["payment_accounts"] == ["Wing 098 765 432"]
    evidence = report.files.get()
    assert evidence.sha256 == hashlib.sha256(png).hexdigest()  # the bytes arrived intact

    # Right after reporting, "Check my report" opens this report without the code.
    page.locator('footer a[href="/status/"]').click()
    expect(page.locator("#report-status")).to_be_visible()
    expect_language(page, language)
    expect(page.locator("#report-status")).to_have_text(
        label_in(language, ReportStatus.RECEIVED.label)
    )
    session.shot("status")
    assert_fits_phone(session)

    reply = f"More details from the reporter ({language})."
    page.fill('textarea[name="message"]', reply)
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    expect(page.locator('.ok[role="status"]')).to_be_visible()
    expect(page.locator(".message.from-you")).to_contain_text(reply)
    session.shot("replied")
    assert_fits_phone(session)
    stored = status_view_data(report).messages
    assert [(m.from_hotline, m.body) for m in stored] == [(False, reply)]

    answer = f"Thank you, we are looking at it ({language})."
    message_add(report=report, author=Message.Author.STAFF, body=answer)
    open_status(session, code.lower().replace("-", " "))  # as a reporter might type it
    expect(page.locator(".message.from-hotline")).to_contain_text(answer)
    expect(page.locator(".message.from-you")).to_contain_text(reply)
    session.shot("hotline-message")
    assert_fits_phone(session)

    assert_stayed_local(session)


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_danger_question_shows_emergency_contacts(
    browser_session: OpenSession, javascript: bool
) -> None:
    # One number added to the directory: the page must show the directory, not fixed text.
    EmergencyContact.objects.create(
        name_en="Test shelter", name_km="ផ្ទះសុវត្ថិភាព", phone="099111222", position=9
    )
    numbers = list(EmergencyContact.objects.filter(active=True).values_list("phone", flat=True))
    assert {"117", "1280", "099111222"} <= set(numbers)
    session = browser_session(javascript=javascript)
    page = session.page
    page.goto(session.url("/report/"))
    emergency = page.locator(".danger-question .emergency")
    yes = page.locator('input[name="in_danger"][value="yes"]')
    no = page.locator('input[name="in_danger"][value="no"]')

    expect(no).to_be_checked()
    expect(emergency).to_be_hidden()

    yes.check()
    expect(emergency).to_be_visible()
    expect(emergency.locator("a.phone")).to_have_text(numbers)  # the directory, in its order
    for link in emergency.locator("a.phone").all():
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", re.compile(r"^tel:\+?[0-9 ]+$"))
    emergency.scroll_into_view_if_needed()
    session.shot("danger-yes")
    assert_fits_phone(session)

    no.check()
    expect(emergency).to_be_hidden()
    session.shot("danger-no")

    # Answering "yes" and sending: the receipt page repeats the numbers above everything else.
    yes.check()
    page.check('input[name="reporter_role"][value="someone_i_know"]')
    page.check('input[name="categories"][value="live_abuse"]')
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible()
    shown = page.locator(".emergency.shown")
    expect(shown).to_be_visible()
    expect(shown.locator("a.phone")).to_have_text(numbers)
    session.shot("receipt-in-danger")
    assert Report.objects.get().in_danger is True

    assert_stayed_local(session)


PUBLIC_PAGES = [
    "/",
    "/report/",
    "/danger/",
    "/status/",
    "/help/",
    "/help/extortion/",
    "/help/parents/",
    "/help/evidence/",
]


@pytest.mark.parametrize("language", ["km", "en"])
def test_public_pages_fit_a_phone_and_stay_local(
    browser_session: OpenSession, language: str
) -> None:
    session = browser_session(javascript=True)
    page = session.page
    page.goto(session.url("/"))
    if language != "km":
        switch_language(page, language)
    too_wide = []
    for path in PUBLIC_PAGES:
        response = page.goto(session.url(path))
        assert response is not None
        assert response.status == 200, path
        expect_language(page, language)
        session.shot(path.strip("/").replace("/", "-") or "home")
        if session.scroll_width() > PHONE_WIDTH:
            too_wide.append((path, session.scroll_width()))
    assert too_wide == []

    # A wrong code gets the generic answer, which must fit as well.
    page.goto(session.url("/status/"))
    page.fill('input[name="code"]', "2222-2222-2222-2222-2")
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    expect(page.locator('main .error[role="alert"]')).to_be_visible()
    session.shot("status-unknown-code")
    assert_fits_phone(session)

    assert_stayed_local(session)


def test_khmer_is_the_default_for_browsers_asking_for_other_languages(
    browser_session: OpenSession,
) -> None:
    session = browser_session(javascript=False, locale="fr-FR")
    session.page.goto(session.url("/report/"))
    expect_language(session.page, "km")
    assert_stayed_local(session)
