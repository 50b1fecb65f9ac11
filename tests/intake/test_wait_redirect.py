"""Flood control's "please wait" follows post/redirect/get like every other public answer.

A refused POST is a 303 to its form's page; that GET answers 429 with Retry-After, shows the
answers kept in the sealed draft and says how long to wait in the reporter's language and
digits. Reloading it (another GET) sends nothing. The browser test is
tests/e2e/test_wait_browser.py.
"""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from reporter_support import browser_post, good_report, receipt_code, within_one_window

from hotline.entities.models import EscrowedIdentifier
from hotline.intake.flood import Refusal
from hotline.intake.models import FormDraft, Message, Report
from hotline.intake.waiting import Waiting, duration_text, waiting_read

pytestmark = pytest.mark.django_db

LATIN_DIGIT = re.compile(r"[0-9]")
KHMER_DIGIT = re.compile(r"[\u17e0-\u17e9]")
WAIT_BOX = re.compile(r'<div class="error" role="alert" id="please-wait">(.*?)</div>', re.S)


def _english() -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _wait_box(html: str) -> str:
    match = WAIT_BOX.search(html)
    assert match, "no please-wait box"
    return re.sub(r"<[^>]+>", " ", match.group(1))  # the text a reader sees


def test_a_refused_report_is_redirected_to_the_form_with_its_answers_and_a_khmer_wait(
    settings: object,
) -> None:
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0  # type: ignore[attr-defined]
    within_one_window(600)
    client = Client()
    data = good_report(client, solve=False, narrative="ការគំរាមកំហែងតាម Telegram")
    posted = client.post("/report/", data)
    assert posted.status_code == 303
    assert posted["Location"] == "/report/"
    page = client.get("/report/")
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= 600
    html = page.content.decode()
    box = _wait_box(html)
    assert "ឥឡូវនេះ" not in box  # this client's budget, not everyone's
    assert "យើងបានទទួលសំណើច្រើនពេកពីការតភ្ជាប់នេះ។" in box
    assert "គ្មានអ្វីត្រូវបានរក្សាទុកទេ។" in box
    assert "នាទី" in box
    assert KHMER_DIGIT.search(box)
    assert not LATIN_DIGIT.search(box.replace("JavaScript", ""))
    assert "ការគំរាមកំហែងតាម Telegram" in html  # the narrative is shown again
    # Reload: the same page again, nothing sent, nothing stored.
    again = client.get("/report/")
    assert again.status_code == 429
    assert "ការគំរាមកំហែងតាម Telegram" in again.content.decode()
    assert Report.objects.count() == 0
    # The answers are kept sealed in the database, never in clear.
    draft = FormDraft.objects.get()
    assert b"Telegram" not in bytes(draft.ciphertext)


def test_the_wait_says_how_long_in_english_with_latin_digits(settings: object) -> None:
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    client = _english()
    response = browser_post(client, "/report/", good_report(client, solve=False))
    assert response.redirect_chain == [("/report/", 303)]
    assert response.status_code == 429
    box = _wait_box(response.content.decode())
    seconds = int(response["Retry-After"])
    assert "Many reports are arriving right now." in box
    if seconds < 60:
        expected = f"{seconds} second" + ("s" if seconds != 1 else "")
        assert f"Please wait {expected}, then send it again." in box, box
    else:
        assert "Please wait 1 minute, then send it again." in box, box
    assert not KHMER_DIGIT.search(box)


def test_after_the_wait_the_kept_form_is_sent_once(settings: object) -> None:
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    client = Client()
    data = good_report(client, solve=False)
    assert browser_post(client, "/report/", data).status_code == 429
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 20  # type: ignore[attr-defined]
    sent = browser_post(client, "/report/", data)
    assert receipt_code(sent.content.decode())
    assert Report.objects.count() == 1
    assert FormDraft.objects.count() == 0  # the draft went with the report


def test_a_refused_reply_is_redirected_to_the_status_page_with_the_message_kept(
    settings: object,
) -> None:
    client = Client()
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    settings.HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR = 0  # type: ignore[attr-defined]
    posted = client.post("/status/reply/", {"code": code, "message": "គណនីថ្មីរបស់គាត់"})
    assert posted.status_code == 303
    assert posted["Location"] == "/status/"
    page = client.get("/status/")
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    html = page.content.decode()
    box = _wait_box(html)
    assert "មានសារច្រើនត្រូវបានបន្ថែមទៅរបាយការណ៍នេះក្នុងរយៈពេលខ្លី។" in box
    assert "JavaScript" not in box  # a proof of work would not help here
    assert 'id="report-status"' in html
    assert "គណនីថ្មីរបស់គាត់" in html
    assert client.get("/status/").status_code == 429
    assert Message.objects.filter(author="reporter").count() == 0


def test_a_refused_deposit_is_redirected_to_the_escrow_page_with_the_identifier_kept(
    settings: object,
) -> None:
    client = Client()
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    settings.HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR = 0  # type: ignore[attr-defined]
    posted = client.post("/escrow/", {"code": code, "identifier": "@offender_handle"})
    assert posted.status_code == 303
    assert posted["Location"] == "/escrow/"
    page = client.get("/escrow/")
    assert page.status_code == 429
    html = page.content.decode()
    assert "@offender_handle" in html
    assert code in html  # the remembered code is filled in
    assert "មានសារច្រើន" in _wait_box(html)
    assert EscrowedIdentifier.objects.count() == 0


@pytest.mark.parametrize(
    ("seconds", "english"),
    [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"), (600, "10 minutes")],
)
def test_durations_are_rounded_up_and_written_in_the_pages_digits(
    seconds: int, english: str
) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert duration_text(seconds) == english
    with translation.override("km"):
        khmer = duration_text(seconds)
    assert not LATIN_DIGIT.search(khmer)
    assert KHMER_DIGIT.search(khmer)


@pytest.mark.parametrize(
    "draft",
    [
        None,
        {},
        {"wait": "soon"},
        {"wait": {"reason": "made_up", "until": time.time() + 60}},
        {"wait": {"reason": "all_busy", "until": "tomorrow"}},
        {"wait": {"reason": "all_busy", "until": time.time() - 1}},
    ],
)
def test_a_missing_damaged_or_finished_wait_shows_no_wait(draft: dict[str, object] | None) -> None:
    assert waiting_read(draft) is None


def test_a_wait_in_force_counts_the_seconds_left() -> None:
    waiting = waiting_read({"wait": {"reason": "all_busy", "until": time.time() + 30.2}})
    assert waiting == Waiting(reason=Refusal.ALL_BUSY, seconds=31)


def test_a_browser_refused_again_and_again_keeps_one_draft(settings: object) -> None:
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    client = Client()
    for _ in range(5):
        assert browser_post(client, "/report/", good_report(client, solve=False)).status_code == 429
    assert FormDraft.objects.count() == 1


def test_a_flood_without_cookies_makes_a_bounded_number_of_drafts(settings: object) -> None:
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_WAIT_DRAFTS_PER_MIN = 2  # type: ignore[attr-defined]
    within_one_window(60)
    answers = []
    for _ in range(6):
        client = Client()
        data = good_report(client, solve=False)
        answers.append(Client().post("/report/", data))  # a fresh client: no draft cookie
    assert [a.status_code for a in answers] == [303, 303, 429, 429, 429, 429]
    assert FormDraft.objects.count() == 2
    # Past the budget the wait is answered at once, still saying how long, writing nothing.
    refused = answers[-1]
    assert int(refused["Retry-After"]) > 0
    box = _wait_box(refused.content.decode())
    assert "យើងបានទទួលសំណើច្រើនពេកពីការតភ្ជាប់នេះ។" in box  # all from 127.0.0.1 here
    assert "ចម្លើយរបស់អ្នក" not in box  # no "your answers are kept below": there is no form
    assert "នាទី" in box
    assert Report.objects.count() == 0
