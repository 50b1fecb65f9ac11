"""A form that guides, in chromium on a 360x740 phone, in Khmer and English.

The error summary opens the page and its links take the reporter to each question; optional
sections fold and unfold without JavaScript; the evidence picker lists fingerprints with a
thumbnail drawn on the phone and chosen files, each removable, and the server receives exactly
what is left; a progress bar shows the upload of a photo reaching 100 %.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable

import numpy as np
import pytest
from e2e_support import PHONE_VIEWPORT, Session, choose_evidence_way, open_section
from PIL import Image
from playwright.sync_api import ConsoleMessage, Page, Request, expect
from test_device_hashing import generated_png

from hotline.hashing.hashers import hash_image_bytes
from hotline.intake.models import EvidenceFile, EvidenceHash, Report

pytestmark = [
    pytest.mark.e2e,
    # Transactional: the live server commits in its own thread.
    pytest.mark.django_db(transaction=True),
]

OpenSession = Callable[..., Session]
FOLDED = ["where", "money", "evidence", "help", "person"]
SUMMARY = "#form-errors"
HASH_ITEMS = "[data-hotline-device-hash-list] li"
FILE_ITEMS = "[data-hotline-evidence-file-list] li"
SEND = 'form.report button[type="submit"]'


def open_form(session: Session, language: str) -> Page:
    page = session.page
    page.goto(session.url("/report/"))
    if language != "km":
        page.locator(f'header form.lang button[name="language"][value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] >= -1 and box["y"] + min(box["height"], 40) <= PHONE_VIEWPORT["height"]


def noise_png(megabytes: float, seed: int = 3) -> bytes:
    """Generate random pixels as a PNG of about `megabytes` (noise does not compress)."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["km", "en"])
def test_error_summary_opens_the_page_and_its_links_move_to_the_question(
    browser_session: OpenSession, language: str, javascript: bool
) -> None:
    session = browser_session(javascript=javascript)
    page = open_form(session, language)
    # Two questions to fix: the category (never chosen) and the consent box of a contact
    # given in a folded section. The role is answered: the browser itself asks for that one.
    page.check('input[name="reporter_role"][value="myself"]')
    page.fill('textarea[name="narrative"]', "my words stay")
    open_section(page, "help")
    page.fill('input[name="contact"]', "Telegram @me")
    page.locator(SEND).click()

    summary = page.locator(SUMMARY)
    expect(summary).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator('textarea[name="narrative"]')).to_have_value("my words stay")
    # The page opens at the summary: on the first screen, and focused when scripts run.
    assert in_viewport(page, SUMMARY)
    if javascript:
        expect(summary).to_be_focused()
    session.shot("summary")
    assert session.scroll_width() <= PHONE_VIEWPORT["width"]
    links = summary.locator("a")
    expect(links).to_have_count(2)
    # The folded section holding an error is open.
    expect(page.locator("details:has(#s-help)")).to_have_attribute("open", "")

    for index, target, question in [
        (0, "id_categories_0", "#s-what"),
        (1, "id_consent_contact", "label:has(#id_consent_contact)"),
    ]:
        page.evaluate("window.scrollTo(0, 0)")
        links.nth(index).click()
        if javascript:
            expect(page.locator(f"#{target}")).to_be_focused()
        else:
            # Without scripts the browser follows the #id link to the input.
            expect(page).to_have_url(re.compile(f"#{target}$"))
        assert in_viewport(page, f"#{target}"), target
        assert in_viewport(page, question), question
    session.shot("after-links")
    assert session.csp_violations == []


@pytest.mark.parametrize("language", ["km", "en"])
def test_optional_sections_open_and_close_without_javascript(
    browser_session: OpenSession, language: str
) -> None:
    session = browser_session(javascript=False)
    page = open_form(session, language)
    first_question = {
        "where": 'input[name="platforms"]',
        "money": 'input[name="money"]',
        "evidence": 'input[name="evidence_files"]',
        "help": 'input[name="help_wanted"]',
        "person": 'select[name="victim_gender"]',
    }
    for name in FOLDED:
        section = page.locator(f"details:has(#s-{name})")
        question = page.locator(first_question[name]).first
        expect(section).not_to_have_attribute("open", "")
        expect(question).to_be_hidden()
        heading = page.locator(f"summary:has(#s-{name})")
        expect(heading).to_be_visible()
        heading.click()
        expect(section).to_have_attribute("open", "")
        expect(question).to_be_visible()
        heading.click()
        expect(section).not_to_have_attribute("open", "")
        expect(question).to_be_hidden()
    # The form, all sections folded, is a few screens long (about 7 before folding).
    height = int(page.evaluate("document.body.scrollHeight"))
    assert height / PHONE_VIEWPORT["height"] < 4.5, height


def canvas_is_drawn(page: Page, item: int) -> bool:
    """Tell whether the thumbnail canvas of fingerprint `item` has a size and visible pixels."""
    return bool(
        page.locator(HASH_ITEMS)
        .nth(item)
        .locator("canvas.thumb")
        .evaluate(
            """canvas => {
                if (!canvas.width || !canvas.height || canvas.hidden) return false;
                const data = canvas.getContext("2d").getImageData(
                    0, 0, canvas.width, canvas.height).data;
                for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
                return false;
            }"""
        )
    )


@pytest.mark.parametrize("language", ["km", "en"])
def test_removing_a_fingerprint_sends_exactly_the_remaining_hashes(
    browser_session: OpenSession, language: str
) -> None:
    session = browser_session()
    page = open_form(session, language)
    page.check('input[name="reporter_role"][value="my_child"]')
    page.check('input[name="categories"][value="sextortion"]')
    choose_evidence_way(page, "fingerprint")
    kept, dropped = generated_png(seed=21), generated_png(seed=22)
    for name, data in [("dropped-one.png", dropped), ("kept-one.png", kept)]:
        before = page.locator(HASH_ITEMS).count()
        page.set_input_files(
            "[data-hotline-device-hash-input]",
            files=[{"name": name, "mimeType": "image/png", "buffer": data}],
        )
        expect(page.locator(HASH_ITEMS)).to_have_count(before + 1)
    items = page.locator(HASH_ITEMS)
    expect(items.nth(0)).to_contain_text("dropped-one.png")
    expect(items.nth(1)).to_contain_text("kept-one.png")
    # Thumbnails drawn on the phone, on a canvas: no image was fetched or uploaded for them.
    for item in (0, 1):
        page.wait_for_function(
            "i => { const c = document.querySelectorAll('canvas.thumb')[i];"
            " return c && c.width > 0; }",
            arg=item,
        )
        assert canvas_is_drawn(page, item)
    session.shot("fingerprints")
    assert session.scroll_width() <= PHONE_VIEWPORT["width"]

    items.nth(0).get_by_role("button").click()
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text("kept-one.png")
    server_kept, server_dropped = hash_image_bytes(kept), hash_image_bytes(dropped)
    field = page.locator('input[name="device_hashes"]').input_value()
    assert server_dropped.md5 not in field
    assert server_kept.md5 in field

    posts: list[Request] = []
    page.on("request", lambda req: posts.append(req) if req.method == "POST" else None)
    page.locator(SEND).click()
    expect(page.locator("#receipt-code")).to_be_visible()
    body = posts[-1].post_data_buffer or b""
    assert kept[100:164] not in body
    assert dropped[100:164] not in body
    report = Report.objects.get()
    stored = dict(EvidenceHash.objects.filter(report=report).values_list("kind", "value"))
    assert stored == {
        "md5": server_kept.md5,
        "sha256": server_kept.sha256,
        "pdq": server_kept.pdq_hex,
    }
    assert not EvidenceFile.objects.filter(report=report).exists()
    assert session.csp_violations == []


@pytest.mark.parametrize("language", ["km", "en"])
def test_removing_a_chosen_file_leaves_it_out_of_what_is_sent(
    browser_session: OpenSession, language: str
) -> None:
    session = browser_session()
    page = open_form(session, language)
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="nonconsensual"]')
    choose_evidence_way(page, "file")
    first, second = generated_png(seed=31), generated_png(seed=32)
    picker = 'input[name="evidence_files"]'
    # Two separate picks add up (a file input alone would forget the first).
    page.set_input_files(
        picker, files=[{"name": "a.png", "mimeType": "image/png", "buffer": first}]
    )
    page.set_input_files(
        picker, files=[{"name": "b.png", "mimeType": "image/png", "buffer": second}]
    )
    items = page.locator(FILE_ITEMS)
    expect(items).to_have_count(2)
    assert page.locator(picker).evaluate("input => input.files.length") == 2
    items.filter(has_text="a.png").get_by_role("button").click()
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text("b.png")
    assert page.locator(picker).evaluate("input => input.files.length") == 1
    session.shot("files")
    page.locator(SEND).click()
    expect(page.locator("#receipt-code")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    report = Report.objects.get()
    assert [f.sha256 for f in report.files.all()] == [hashlib.sha256(second).hexdigest()]
    assert session.csp_violations == []


@pytest.mark.parametrize("language", ["km", "en"])
def test_upload_progress_bar_reaches_100_percent(
    browser_session: OpenSession, language: str
) -> None:
    session = browser_session()
    page = open_form(session, language)
    photo = noise_png(1.0)
    assert 900_000 < len(photo) < 1_300_000
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="sextortion"]')
    choose_evidence_way(page, "file")
    page.set_input_files(
        'input[name="evidence_files"]',
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo}],
    )
    # What the bar shows, as it changes: reported on the console, which outlives the page.
    shown: list[str] = []

    def progress(message: ConsoleMessage) -> None:
        if message.text.startswith("upload-progress:"):
            shown.append(message.text.split(":", 1)[1])

    page.on("console", progress)
    page.evaluate(
        """() => {
            const percent = document.querySelector("[data-hotline-upload-percent]");
            new MutationObserver(() => console.log("upload-progress:" + percent.textContent))
                .observe(percent, {childList: true, characterData: true, subtree: true});
        }"""
    )
    # A slow mobile link (about 2 Mbit/s up): the upload takes a few seconds.
    cdp = session.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 100,
            "downloadThroughput": 1_000_000,
            "uploadThroughput": 250_000,
        },
    )
    page.locator(SEND).click()
    expect(page.locator("[data-hotline-upload-progress]")).to_be_visible()
    session.shot("uploading")
    expect(page.locator("#receipt-code")).to_be_visible(timeout=60_000)
    assert shown, "the progress bar never moved"
    values = [int(text.rstrip("%")) for text in shown]  # int() reads Khmer digits too
    assert values[-1] == 100
    # Numbers in the page's digits (docs/decisions/i18n.md): Khmer on Khmer pages.
    latin = [text for text in shown if any(c in "0123456789" for c in text)]
    assert latin == ([] if language == "km" else shown)
    assert any(0 < value < 100 for value in values), values  # a sign of life on the way
    assert values == sorted(values)
    report = Report.objects.get()
    assert report.files.count() == 1
    assert session.csp_violations == []


@pytest.mark.parametrize("language", ["km", "en"])
def test_files_sent_with_an_answer_to_fix_are_said_to_be_lost_and_the_summary_takes_focus(
    browser_session: OpenSession, language: str
) -> None:
    session = browser_session()
    page = open_form(session, language)
    page.check('input[name="reporter_role"][value="someone_i_know"]')  # no category chosen
    page.fill('textarea[name="narrative"]', "kept words")
    choose_evidence_way(page, "file")
    page.set_input_files(
        'input[name="evidence_files"]',
        files=[{"name": "shot.png", "mimeType": "image/png", "buffer": generated_png(seed=41)}],
    )
    page.locator(SEND).click()  # sent with its progress bar; the answer replaces the page
    summary = page.locator(SUMMARY)
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("html")).to_have_attribute("lang", language)
    not_kept = {
        "km": "ឯកសារដែលអ្នកបានជ្រើសរើស មិនត្រូវបានរក្សាទុកទេ។",
        "en": "The files you chose were not kept.",
    }[language]
    expect(summary).to_contain_text(not_kept)
    # Beside the file input too, in view: the evidence section is open on "Send the picture".
    beside = page.locator("details:has(#s-evidence) [data-hotline-evidence-file] p.error")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text(not_kept)
    expect(page.locator("details:has(#s-evidence)")).to_have_attribute("open", "")
    expect(page.locator('textarea[name="narrative"]')).to_have_value("kept words")
    assert Report.objects.count() == 0
    session.shot("files-lost")
    assert session.csp_violations == []


def test_an_upload_answered_with_a_redirect_opens_where_it_leads(
    browser_session: OpenSession,
) -> None:
    """Post/redirect/get through the progress script: the browser ends at the redirect target.

    The language switch is a real view that answers a POST with a redirect: a form sending a
    file to it, marked for upload progress, stands for any form answered that way.
    """
    session = browser_session()
    page = session.page
    page.goto(session.url("/report/"))
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.enctype = "multipart/form-data";
            form.action = "/i18n/setlang/";
            form.setAttribute("data-hotline-upload", "");
            form.innerHTML = '<input type="hidden" name="language" value="en">'
                + '<input type="hidden" name="next" value="/help/">'
                + '<input type="file" name="attachment" id="redirect-file">'
                + '<button type="submit" id="redirect-send">Send</button>'
                + '<div data-hotline-upload-progress hidden><progress max="100" value="0">'
                + '</progress><span data-hotline-upload-percent>0%</span></div>';
            const token = document.querySelector('input[name="csrfmiddlewaretoken"]');
            form.appendChild(token.cloneNode());
            document.querySelector("main").appendChild(form);
        }"""
    )
    page.set_input_files(
        "#redirect-file",
        files=[{"name": "x.png", "mimeType": "image/png", "buffer": generated_png(seed=51)}],
    )
    posts: list[Request] = []
    page.on("request", lambda req: posts.append(req) if req.method == "POST" else None)
    page.locator("#redirect-send").click()
    expect(page).to_have_url(re.compile(r"/help/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Sent once, by the script (a plain form post would have been a navigation, not XHR).
    assert [req.resource_type for req in posts] == ["xhr"]
    assert session.csp_violations == []


def test_a_connection_lost_while_sending_is_said_and_sending_again_works(
    browser_session: OpenSession,
) -> None:
    session = browser_session(locale="en-US")
    page = open_form(session, "en")
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="sextortion"]')
    choose_evidence_way(page, "file")
    photo = generated_png(seed=61)
    page.set_input_files(
        'input[name="evidence_files"]',
        files=[{"name": "shot.png", "mimeType": "image/png", "buffer": photo}],
    )
    expect(page.locator('input[name="proof"]')).not_to_have_value("")  # ready to send
    session.context.set_offline(True)
    page.locator(SEND).click()
    lost = page.locator("[data-hotline-upload-error]")
    expect(lost).to_be_visible()
    expect(lost).to_be_focused()
    expect(lost).to_contain_text("The connection was lost")
    expect(page.locator(SEND)).to_be_enabled()
    expect(page.locator("[data-hotline-upload-progress]")).to_be_hidden()
    assert page.locator('input[name="evidence_files"]').evaluate("i => i.files.length") == 1
    session.context.set_offline(False)
    page.locator(SEND).click()
    expect(page.locator("#receipt-code")).to_be_visible()
    report = Report.objects.get()
    assert [f.sha256 for f in report.files.all()] == [hashlib.sha256(photo).hexdigest()]
