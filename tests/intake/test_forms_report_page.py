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
FILES_NOT_KEPT_KM = "ឯកសារដែលអ្នកបានជ្រើសរើស មិនត្រូវបានរក្សាទុកទេ។"
REQUIRED_KM = "(ចាំបាច់)"


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
    assert sections == ["about", "what", "where", "money", "evidence", "help", "person"]
    positions = [
        html.index('name="in_danger"'),
        html.index('name="reporter_role"'),
        html.index('name="categories"'),
        html.index('name="narrative"'),
        html.index('name="links"'),
        html.index('name="money"'),
        html.index('name="evidence_files"'),
        html.index('name="contact"'),
        html.index('name="victim_gender"'),
        html.index('name="province"'),
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
    # Said plainly, in the summary at the top and beside the file input, not silently dropped.
    assert html.count(FILES_NOT_KEPT_KM) == 2
    summary = re.search(r'id="form-errors">(.*?)</div>', html, re.S)
    assert summary
    assert FILES_NOT_KEPT_KM in summary.group(1)
    # The section holding the file input is open, so the reporter sees where to choose again.
    assert re.search(r'<details class="part"[^>]*aria-labelledby="s-evidence"[^>]* open>', html)
    assert Report.objects.count() == 0


def _file() -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("note.txt", b"plain words", content_type="text/plain")


# --- a form that guides: error summary, required marks, folded optional sections -------------

FIELD_BOX = re.compile(r'<div class="field(?: has-error)?" id="f-(\w+)">(.*?)\n</div>', re.S)


def field_boxes(html: str) -> dict[str, str]:
    return dict(FIELD_BOX.findall(html))


def element_ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def details_state(html: str) -> dict[str, bool]:
    """Return each folded section's name and whether it opens at once."""
    found = re.findall(r'<details class="part[^"]*" aria-labelledby="s-(\w+)"( open)?>', html)
    return {name: bool(opened) for name, opened in found}


def test_error_summary_comes_first_and_links_each_question_with_an_error() -> None:
    client = Client()
    response = browser_post(
        client,
        "/report/",
        {
            "submission_token": token(client),
            "narrative": "my words",
            "contact": "Telegram @me",  # without the consent box: an error in a folded section
        },
    )
    assert shown_again(response)
    html = response.content.decode()
    main = html[html.index("<main>") + len("<main>") :]
    # First in <main>, focusable by script, announced, headed in Khmer.
    assert main.lstrip().startswith('<div class="error" role="alert" tabindex="-1"')
    summary = re.search(r'id="form-errors">(.*?)</div>', html, re.S)
    assert summary
    assert '<h2 id="error-summary-title">មានបញ្ហា</h2>' in summary.group(1)
    # The title says so too: it is the first thing a screen reader reads of a new page.
    assert re.search(r"<title>មានបញ្ហា៖ ", html)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(1))
    # One link per question with an error, in page order, to the question's first input.
    assert [target for target, _text in links] == [
        "id_reporter_role_0",
        "id_categories_0",
        "id_consent_contact",
    ]
    ids = element_ids(html)
    for target, text in links:
        assert target in ids, f"the summary links to #{target}, which is not on the page"
        assert re.search(rf'<input [^>]*id="{target}"', html), f"#{target} is not an input"
        assert re.search(r"[\u1780-\u17ff]", text)
    assert "សូមឆ្លើយសំណួរនេះ។" in links[0][1]
    # Each question still says what is wrong beside it.
    boxes = field_boxes(html)
    for name in ("reporter_role", "categories", "consent_contact"):
        assert f'id="id_{name}_error"' in boxes[name], name
    assert "id_narrative_error" not in html


def test_error_summary_is_absent_from_a_fresh_form() -> None:
    html = Client().get("/report/").content.decode()
    assert 'id="form-errors"' not in html
    assert "error-summary.js" not in html


def test_required_questions_say_so_in_words_and_optional_ones_do_not() -> None:
    html = Client().get("/report/").content.decode()
    boxes = field_boxes(html)
    required = {name for name, box in boxes.items() if REQUIRED_KM in box}
    assert required == {"reporter_role", "categories"}
    # The radio group carries the requirement for screen readers as well as the text.
    assert re.search(
        r'<fieldset role="radiogroup" aria-required="true"><legend>[^<]*'
        r'<span class="required">\(ចាំបាច់\)</span></legend>',
        boxes["reporter_role"],
    )
    assert re.search(r'<input type="radio" name="reporter_role"[^>]* required', html)
    # The intro says what the mark means, with the same word.
    lead = re.search(r'<p class="lead">(.*?)</p>', html)
    assert lead
    assert "ចាំបាច់" in lead.group(1)
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = field_boxes(client.get("/report/").content.decode())
    assert {name for name, box in english.items() if "(required)" in box} == required


def test_what_happened_is_asked_once_as_the_sections_heading() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/report/").content.decode()
    assert html.count("What happened") == 1
    legend = re.search(r'<legend><h2 id="s-what">(.*?)</h2></legend>', html)
    assert legend
    assert "What happened?" in legend.group(1)
    assert html.index('id="s-what"') < html.index('name="categories"')


def test_optional_sections_are_folded_until_they_hold_an_error_or_an_answer() -> None:
    client = Client()
    fresh = client.get("/report/").content.decode()
    assert details_state(fresh) == {
        "where": False,
        "money": False,
        "evidence": False,
        "help": False,
        "person": False,
    }
    # Each folded section's heading is its <summary>, usable without JavaScript.
    for name in ("where", "money", "evidence", "help", "person"):
        assert re.search(rf'<summary><h2 id="s-{name}">', fresh), name

    def sent(**answers: object) -> dict[str, bool]:
        data = {"submission_token": token(client), **answers}  # no role or category: redisplay
        response = browser_post(client, "/report/", data)
        assert shown_again(response)
        return details_state(response.content.decode())

    # money's default "none" is no answer; nothing else was touched.
    assert sent(money="none") == {
        "where": False,
        "money": False,
        "evidence": False,
        "help": False,
        "person": False,
    }
    assert sent(links="https://example.invalid/x", money="paid") == {
        "where": True,
        "money": True,
        "evidence": False,
        "help": False,
        "person": False,
    }
    # An error inside a folded section opens it (contact without the consent box).
    assert sent(contact="012 345 678") == {
        "where": False,
        "money": False,
        "evidence": False,
        "help": True,
        "person": False,
    }
    assert sent(device_hashes="md5:" + "a" * 32)["evidence"] is True
    assert sent(device_hashes="not a fingerprint")["evidence"] is True


def test_evidence_picker_offers_fingerprints_only_with_javascript() -> None:
    html = Client().get("/report/").content.decode()
    picker = html[html.index("data-hotline-evidence ") : html.index('id="s-help"')]
    # Both ways are offered in one place; the choice and the fingerprint part stay hidden until
    # the script shows them; without it a gentle note (hidden by the script) says why only
    # upload is possible.
    assert re.search(r"<fieldset [^>]*data-hotline-evidence-choice hidden>", picker)
    assert re.search(r"<div [^>]*data-hotline-device-hash hidden>", picker)
    assert 'name="evidence_files"' in picker
    assert "ផ្ញើតែកូដសម្គាល់របស់វា (រូបភាពនៅតែនៅលើទូរស័ព្ទរបស់អ្នក)" in picker
    note = re.search(r"<p [^>]*data-hotline-evidence-no-fingerprint>(.*?)</p>", picker, re.S)
    assert note
    assert "JavaScript" in note.group(1)
    # The fingerprint picker has no name: the browser can never send that picture.
    assert re.search(r'<input type="file" id="device-hash-pick" accept="image/\*" multiple', html)
    assert not re.search(r'<input type="file"[^>]*name="[^"]*"[^>]*id="device-hash-pick"', html)
