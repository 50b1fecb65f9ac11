"""Public pages: clear sections, the danger question, nothing inline, nothing from other hosts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from reporter_support import browser_post, shown_again

from hotline.core.models import EmergencyContact
from hotline.intake.models import Message, Report
from hotline.intake.services import message_add

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r'<p class="receipt" id="receipt-code">([^<]+)</p>')
NEVER_UPLOAD_EN = "You never have to send us the photos or videos themselves."
NEVER_UPLOAD_KM = "អ្នកមិនចាំបាច់ផ្ញើរូបថត ឬវីដេអូទាំងនោះមកយើងទេ។"


def token(client: Client) -> str:
    match = re.search(
        r'name="submission_token" value="([^"]+)"', client.get("/report/").content.decode()
    )
    assert match
    return match.group(1)


def every_public_page(client: Client) -> dict[str, tuple[int, str, dict[str, str]]]:
    """Render every page a reporter can reach, including receipt, status and error pages."""
    pages = {}
    for path in (
        "/",
        "/report/",
        "/danger/",
        "/status/",
        "/help/",
        "/help/extortion/",
        "/help/parents/",
        "/help/evidence/",
        "/no-such-page/",
    ):
        response = client.get(path)
        pages[path] = (response.status_code, response.content.decode(), dict(response.headers))
    receipt = browser_post(
        client,
        "/report/",
        {
            "submission_token": token(client),
            "in_danger": "yes",
            "reporter_role": "myself",
            "categories": ["sextortion"],
        },
    )
    pages["receipt"] = (receipt.status_code, receipt.content.decode(), dict(receipt.headers))
    match = CODE_RE.search(receipt.content.decode())
    assert match
    message_add(report=Report.objects.get(), author=Message.Author.STAFF, body="Hello")
    status = browser_post(client, "/status/", {"code": match.group(1)})
    pages["status"] = (status.status_code, status.content.decode(), dict(status.headers))
    invalid = browser_post(client, "/report/", {"reporter_role": "x"})
    pages["invalid form"] = (invalid.status_code, invalid.content.decode(), dict(invalid.headers))
    return pages


def test_no_inline_style_or_script_and_nothing_from_other_hosts() -> None:
    pages = every_public_page(Client())
    assert pages["receipt"][0] == pages["status"][0] == 200
    for name, (_status, html, headers) in pages.items():
        assert "style=" not in html, name
        assert "<style" not in html, name
        assert not re.search(r"<script(?![^>]*\bnonce=)", html), name
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler on {name}"
        assert "javascript:" not in html, name
        for url in re.findall(r'(?:src|href|action|srcset|poster|data)="([^"]*)"', html):
            assert url.startswith(("/", "#", "tel:")), f"{name} points elsewhere: {url}"
            assert not url.startswith("//"), f"{name} points to another host: {url}"
        csp = headers["Content-Security-Policy"]
        for forbidden in ("http", "*", "unsafe-inline", "unsafe-eval"):
            assert forbidden not in csp, csp
        for required in ("default-src 'none'", "style-src 'self'", "object-src 'none'"):
            assert required in csp, csp


def test_stylesheet_is_local_and_fits_a_360_px_phone() -> None:
    css = (Path(settings.BASE_DIR) / "static" / "core" / "site.css").read_text()
    assert "@import" not in css  # no fonts or images from anywhere
    # The only url() is our own Khmer font, beside the stylesheet (tests/core/test_khmer_font.py).
    assert re.findall(r"url\(([^)]*)\)", css) == ['"fonts/noto-sans-khmer.woff2"']
    for value in re.findall(r"(?<![-\w])(?:min-)?width:\s*(\d+)px", css):
        assert int(value) <= 320, f"fixed width {value}px does not fit a 360 px screen"
    assert 'meta name="viewport" content="width=device-width, initial-scale=1"' in (
        Client().get("/report/").content.decode()
    )
    # The danger question works without JavaScript: CSS hides the numbers only on "No".
    assert '.danger-question:has(input[value="no"]:checked) .emergency { display: none; }' in css


def test_report_page_has_clear_sections_in_order() -> None:
    html = Client().get("/report/").content.decode()
    sections = re.findall(r'<h2 id="s-(\w+)">', html)
    assert sections == ["about", "what", "where", "money", "evidence", "help"]
    positions = [
        html.index('name="in_danger"'),
        html.index('name="reporter_role"'),
        html.index('name="categories"'),
        html.index('name="narrative"'),
        html.index('name="links"'),
        html.index('name="money"'),
        html.index('name="evidence_files"'),
        html.index('name="contact"'),
        html.index('type="submit" class="button primary"'),
    ]
    assert positions == sorted(positions)
    assert 'autocomplete="off"' in html  # shared phones must not remember what was typed
    assert 'enctype="multipart/form-data"' in html


def test_danger_question_comes_first_and_shows_contacts_from_the_directory() -> None:
    EmergencyContact.objects.create(
        name_en="Night line", name_km="ខ្សែពេលយប់", phone="088 123 456", position=0
    )
    EmergencyContact.objects.filter(phone="1280").update(active=False)
    html = Client().get("/report/").content.decode()
    form = html[html.index('<form method="post" enctype') :]
    question = form.index('name="in_danger"')
    assert question < form.index('name="reporter_role"')
    block = re.search(r'<div class="emergency".*?</div>', form, re.S)
    assert block
    assert question < form.index(block.group(0))
    for contact in EmergencyContact.objects.filter(active=True):
        assert f'href="tel:{contact.phone.replace(" ", "")}"' in block.group(0)
        assert contact.name_km in block.group(0)
    assert "tel:1280" not in html
    assert re.search(r'value="no"[^>]*checked|checked[^>]*value="no"', form)


def test_form_says_plainly_that_images_are_never_needed() -> None:
    client = Client()
    for path in ("/", "/report/"):
        assert NEVER_UPLOAD_KM in client.get(path).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/report/").content.decode()
    assert html.count(NEVER_UPLOAD_EN) == 2  # at the top and next to the file input
    assert "Up to 5 files, 10 MB each" in html


def test_receipt_repeats_contacts_when_someone_is_in_danger() -> None:
    client = Client()
    receipt = browser_post(
        client,
        "/report/",
        {
            "submission_token": token(client),
            "in_danger": "yes",
            "reporter_role": "someone_i_know",
            "categories": ["live_abuse"],
        },
    ).content.decode()
    shown = receipt.index('class="emergency shown"')
    assert shown < receipt.index('id="receipt-code"')
    assert 'href="tel:117"' in receipt


def test_invalid_report_keeps_answers_and_asks_to_choose_files_again() -> None:
    client = Client()
    response = browser_post(
        client,
        "/report/",
        {
            "submission_token": token(client),
            "narrative": "my words stay here",
            "evidence_files": [_file()],
        },
    )
    html = response.content.decode()
    assert shown_again(response)
    assert "my words stay here" in html
    assert "បើអ្នកបានជ្រើសរើសឯកសារ សូមជ្រើសរើសវាម្តងទៀត។" in html
    assert Report.objects.count() == 0


def _file() -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("note.txt", b"plain words", content_type="text/plain")
