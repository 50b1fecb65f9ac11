"""On-device hashing on the real report and status pages, in chromium on a 360 px phone.

With JavaScript the reporter picks a picture, the page sends only its fingerprints (PDQ, MD5,
SHA-256), and the stored report has those hashes and no file. Without JavaScript the picker is
not shown at all and the form works as before.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from e2e_support import PHONE_VIEWPORT, Session, choose_evidence_way, open_section
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Page, Request, expect

from hotline.hashing.hashers import hash_image_bytes
from hotline.hashing.models import VictimSubmission
from hotline.intake.models import EvidenceFile, EvidenceHash, Report
from hotline.intake.tasks import report_process

pytestmark = [
    pytest.mark.e2e,
    # Transactional: the live server commits in its own thread.
    pytest.mark.django_db(transaction=True),
]

OpenSession = Callable[..., Session]
BOX = "[data-hotline-device-hash]"
PICKER = "[data-hotline-device-hash-input]"


def generated_png(seed: int) -> bytes:
    """Draw a synthetic PNG (shapes only, no real imagery)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.integers(0, 256, 3).tolist()))
    draw = ImageDraw.Draw(image)
    for _ in range(20):
        x0, x1 = sorted(rng.integers(0, 640, 2).tolist())
        y0, y1 = sorted(rng.integers(0, 480, 2).tolist())
        fill = tuple(rng.integers(0, 256, 3).tolist())
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(1.0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def assert_only_local(session: Session) -> None:
    assert session.foreign == [], f"requests to other hosts: {session.foreign}"
    assert session.requests
    assert all(url.startswith("http://127.0.0.1:") for url in session.requests), session.requests


def pick(page: Page, name: str, data: bytes) -> None:
    """Choose one picture in the on-device picker and wait until its fingerprint is listed."""
    before = page.locator("[data-hotline-device-hash-list] li").count()
    page.set_input_files(PICKER, files=[{"name": name, "mimeType": "image/png", "buffer": data}])
    expect(page.locator("[data-hotline-device-hash-list] li")).to_have_count(before + 1)


def test_report_form_sends_only_the_fingerprints_of_a_picked_picture(
    browser_session: OpenSession,
) -> None:
    session = browser_session()
    page = session.page
    assert page.viewport_size == PHONE_VIEWPORT
    picture = generated_png(seed=7)
    server = hash_image_bytes(picture)

    page.goto(session.url("/report/"))
    box = page.locator(BOX)
    choose_evidence_way(page, "fingerprint")
    expect(box).to_be_visible()  # the script revealed it once this way was chosen
    expect(page.locator("[data-hotline-evidence-no-fingerprint]")).to_be_hidden()
    # The page says, in Khmer by default, that only a fingerprint leaves the phone.
    expect(box).to_contain_text("រូបភាពនៅតែនៅលើទូរស័ព្ទរបស់អ្នក")
    assert page.locator(PICKER).get_attribute("name") is None
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="nonconsensual"]')
    pick(page, "private-photo.png", picture)
    session.shot("picked")
    assert session.scroll_width() <= PHONE_VIEWPORT["width"]

    posts: list[Request] = []
    page.on("request", lambda req: posts.append(req) if req.method == "POST" else None)
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible()

    # Neither the picture's bytes nor its name were in what the browser sent.
    assert len(posts) == 1
    body = posts[0].post_data_buffer or b""
    assert picture[100:164] not in body
    assert b"private-photo.png" not in body
    assert len(body) < len(picture)

    report = Report.objects.get()
    assert not EvidenceFile.objects.filter(report=report).exists()
    stored = {h.kind: h for h in EvidenceHash.objects.filter(report=report)}
    assert set(stored) == {"pdq", "md5", "sha256"}
    assert stored["md5"].value == server.md5
    assert stored["sha256"].value == server.sha256
    # A lossless PNG decodes to the same pixels in the browser and on the server, and pdq.js
    # follows the reference exactly: the fingerprints are equal, bit for bit.
    assert stored["pdq"].value == server.pdq_hex
    assert stored["pdq"].quality == server.quality
    # The worker's job puts every submitted hash in the victim-submitted bank, linked to the report.
    report_process(report.pk)
    assert VictimSubmission.objects.filter(report=report).count() == 3
    assert_only_local(session)


def test_status_reply_adds_fingerprints_without_the_picture(browser_session: OpenSession) -> None:
    session = browser_session(locale="en-US")
    page = session.page
    page.goto(session.url("/report/"))
    page.check('input[name="reporter_role"][value="saw_online"]')
    page.check('input[name="categories"][value="child_images"]')
    page.locator('form.report button[type="submit"]').click()
    code = page.locator("#receipt-code").inner_text().strip()
    report = Report.objects.get()
    assert not EvidenceHash.objects.filter(report=report).exists()

    # This browser session remembers the code: "Check my report" opens the report.
    page.goto(session.url("/status/"))
    expect(page.locator("#status-forget")).to_be_visible()
    page.locator("#status-forget").click()
    page.fill('input[name="code"]', code)
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    page.check('input[name="evidence_way"][value="fingerprint"]')
    expect(page.locator(BOX)).to_be_visible()
    picture = generated_png(seed=8)
    pick(page, "later.png", picture)
    posts: list[Request] = []
    page.on("request", lambda req: posts.append(req) if req.method == "POST" else None)
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    expect(page.locator('.ok[role="status"]')).to_be_visible()
    # The picture (its bytes or its name) was not in what the browser sent.
    assert len(posts) == 1
    body = posts[0].post_data_buffer or b""
    assert picture[100:164] not in body
    assert b"later.png" not in body

    server = hash_image_bytes(picture)
    values = dict(EvidenceHash.objects.filter(report=report).values_list("kind", "value"))
    assert values == {"md5": server.md5, "sha256": server.sha256, "pdq": server.pdq_hex}
    assert not EvidenceFile.objects.filter(report=report).exists()
    assert_only_local(session)


def test_without_javascript_there_is_no_picker_and_the_form_still_works(
    browser_session: OpenSession,
) -> None:
    session = browser_session(javascript=False)
    page = session.page
    page.goto(session.url("/report/"))
    open_section(page, "evidence")
    expect(page.locator(BOX)).to_be_hidden()
    expect(page.locator('input[name="evidence_way"]').first).to_be_hidden()
    expect(page.locator('input[name="evidence_files"]')).to_be_visible()
    # The page says gently why only upload is possible here.
    expect(page.locator("[data-hotline-evidence-no-fingerprint]")).to_be_visible()
    expect(page.locator("[data-hotline-evidence-no-fingerprint]")).to_contain_text("JavaScript")
    page.check('input[name="reporter_role"][value="saw_online"]')
    page.check('input[name="categories"][value="child_images"]')
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible()
    report = Report.objects.get()
    assert not EvidenceHash.objects.filter(report=report).exists()
    assert_only_local(session)


def large_png(seed: int) -> bytes:
    """A 3000x3000 synthetic picture: hashing it in the browser takes a noticeable moment."""
    small = Image.open(io.BytesIO(generated_png(seed)))
    out = io.BytesIO()
    small.resize((3000, 3000)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def test_submit_while_a_picture_is_still_being_hashed_waits_for_it(
    browser_session: OpenSession,
) -> None:
    session = browser_session()
    page = session.page
    picture = large_png(seed=11)
    server = hash_image_bytes(picture)
    page.goto(session.url("/report/"))
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="nonconsensual"]')
    choose_evidence_way(page, "fingerprint")
    # No waiting for the fingerprint: submit at once, as an impatient reporter would.
    page.set_input_files(
        PICKER, files=[{"name": "big.png", "mimeType": "image/png", "buffer": picture}]
    )
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#receipt-code")).to_be_visible(timeout=60_000)
    report = Report.objects.get()
    stored = {h.kind: h.value for h in EvidenceHash.objects.filter(report=report)}
    assert stored.get("md5") == server.md5
    assert stored.get("pdq") == server.pdq_hex
    assert_only_local(session)
