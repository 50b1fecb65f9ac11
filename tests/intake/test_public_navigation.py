"""Post/redirect/get on the public pages: a sealed cookie for the code, sealed drafts for answers.

docs/decisions/public-navigation.md. Every POST of a public page is answered 303 to a fixed
address; what the next GET shows comes from a vault-sealed session cookie (the receipt code or
opened report) or a sealed server-side draft (typed answers), never from the URL.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from reporter_support import (
    SAFE_LOCATIONS,
    browser_post,
    good_report,
    receipt_code,
    upload,
)

from hotline.intake.drafts import drafts_purge
from hotline.intake.models import FormDraft, Message, ReplyOnce, Report
from hotline.intake.remember import CODE_COOKIE, DRAFT_COOKIE
from hotline.intake.services import replies_once_purge

pytestmark = pytest.mark.django_db

NARRATIVE = "He threatens to post the video of my daughter unless we pay 300 dollars."


def _english() -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _sent(client: Client, **changes: Any) -> str:
    """Send a valid report (without following); return its code read from the receipt page."""
    response = client.post("/report/", good_report(client, **changes))
    assert response.status_code == 303
    assert response["Location"] == "/report/receipt/"
    code = receipt_code(client.get("/report/receipt/").content.decode())
    assert code
    return code


def _bare(code: str) -> str:
    return code.replace("-", "")


# --- the report and its receipt ---------------------------------------------------------------


def test_report_post_answers_303_to_the_receipt_without_the_code_in_the_location() -> None:
    client = _english()
    response = client.post("/report/", good_report(client))
    assert response.status_code == 303
    assert response["Location"] == "/report/receipt/"
    assert response.content == b""
    page = client.get("/report/receipt/")
    code = receipt_code(page.content.decode())
    assert code
    assert _bare(code) not in response["Location"].upper()
    assert Report.objects.count() == 1


def test_code_cookie_is_httponly_lax_session_only_and_sealed() -> None:
    client = _english()
    response = client.post("/report/", good_report(client))
    morsel = response.cookies[CODE_COOKIE]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["expires"]  # gone when the browser session ends
    assert not morsel["max-age"]
    code = receipt_code(client.get("/report/receipt/").content.decode())
    value = morsel.value
    assert code not in value
    assert _bare(code) not in value.upper().replace("-", "")
    assert _bare(code).lower() not in value.lower()
    # Sealed, not merely encoded: another cookie of the same code is different bytes.
    other = Client()
    other.cookies[CODE_COOKIE] = value
    assert receipt_code(other.get("/report/receipt/").content.decode()) == code
    again = browser_post(other, "/status/", {"code": code})
    assert again.status_code == 200
    assert other.cookies[CODE_COOKIE].value != value


def test_receipt_page_shows_the_code_again_on_reload_and_back() -> None:
    client = _english()
    code = _sent(client)
    for _ in range(3):
        assert receipt_code(client.get("/report/receipt/").content.decode()) == code
    assert Report.objects.count() == 1


def test_a_tampered_cookie_opens_nothing() -> None:
    client = _english()
    code = _sent(client)
    value = client.cookies[CODE_COOKIE].value
    flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
    for forged in (flipped, value[:-4], "x" * 2000, code, ""):
        stranger = _english()
        stranger.cookies[CODE_COOKIE] = forged
        receipt = stranger.get("/report/receipt/")
        assert receipt.status_code == 303
        assert receipt["Location"] == "/status/"
        lookup = stranger.get("/status/").content.decode()
        assert 'name="code"' in lookup
        assert code not in lookup


def test_expired_code_cookie_shows_the_lookup_box(settings: Any) -> None:
    client = _english()
    code = _sent(client)
    settings.HOTLINE_PUBLIC_CODE_SECONDS = -1  # the next cookie set is expired at once
    browser_post(client, "/status/", {"code": code})
    receipt = client.get("/report/receipt/")
    assert receipt.status_code == 303
    assert receipt["Location"] == "/status/"
    lookup = client.get("/status/").content.decode()
    assert "Check my report" in lookup
    assert 'name="code"' in lookup
    assert 'id="report-status"' not in lookup
    assert code not in lookup


def test_receipt_of_a_reporter_in_danger_shows_the_emergency_contacts() -> None:
    client = _english()
    code = _sent(client, in_danger="yes")
    page = client.get("/report/receipt/").content.decode()
    assert receipt_code(page) == code
    assert "You said someone is in danger" in page


def test_resent_report_form_still_shows_the_first_receipt() -> None:
    client = _english()
    data = good_report(client)
    first = browser_post(client, "/report/", data)
    second = browser_post(client, "/report/", data)
    assert receipt_code(first.content.decode()) == receipt_code(second.content.decode()) != ""
    assert first.redirect_chain == second.redirect_chain == [("/report/receipt/", 303)]
    assert Report.objects.count() == 1


def test_footer_check_my_report_opens_the_remembered_report_then_closing_forgets_it() -> None:
    client = _english()
    code = _sent(client)
    status = client.get("/status/").content.decode()
    assert 'id="report-status"' in status
    assert 'id="status-forget"' in status
    closed = browser_post(client, "/status/forget/", {"then": "status"})
    assert closed.redirect_chain == [("/status/", 303)]
    page = closed.content.decode()
    assert 'id="report-status"' not in page
    assert 'name="code"' in page
    assert code not in page
    assert client.get("/report/receipt/").status_code == 303


def test_forget_on_the_receipt_page_goes_home_and_the_receipt_is_gone() -> None:
    client = _english()
    code = _sent(client)
    page = client.get("/report/receipt/").content.decode()
    assert 'id="receipt-forget"' in page
    response = client.post("/status/forget/", {"then": "home"})
    assert response.status_code == 303
    assert response["Location"] == "/"
    assert response.cookies[CODE_COOKIE].value == ""
    assert code not in client.get("/status/").content.decode()


def test_report_form_after_sending_offers_the_receipt_again() -> None:
    client = _english()
    _sent(client)
    form = client.get("/report/").content.decode()
    assert 'id="recent-receipt"' in form
    assert 'href="/report/receipt/"' in form
    assert 'id="recent-receipt"' not in _english().get("/report/").content.decode()


# --- drafts of the report form ----------------------------------------------------------------


def test_form_with_errors_comes_back_by_get_with_the_answers_and_errors() -> None:
    client = _english()
    data = good_report(client, narrative=NARRATIVE, reporter_role="", usernames="@bad_guy_kh")
    response = client.post("/report/", data)
    assert response.status_code == 303
    assert response["Location"] == "/report/"
    page = client.get("/report/").content.decode()
    assert 'id="form-errors"' in page
    assert NARRATIVE in page
    assert "@bad_guy_kh" in page
    assert "Please answer this question." in page
    # The same one-time token: a later send is still the same form.
    assert f'value="{data["submission_token"]}"' in page
    assert Report.objects.count() == 0
    # Reload shows it again.
    assert NARRATIVE in client.get("/report/").content.decode()


def test_draft_is_sealed_and_its_cookie_is_httponly() -> None:
    client = _english()
    response = client.post("/report/", good_report(client, narrative=NARRATIVE, reporter_role=""))
    morsel = response.cookies[DRAFT_COOKIE]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert not morsel["expires"]
    draft = FormDraft.objects.get()
    blob = bytes(draft.ciphertext)
    assert b"daughter" not in blob
    assert "daughter".encode("utf-16-le") not in blob
    assert morsel.value not in draft.key_digest
    # Without the browser's id the draft opens for nobody.
    stranger = _english()
    assert NARRATIVE not in stranger.get("/report/").content.decode()
    stranger.cookies[DRAFT_COOKIE] = morsel.value[:-1] + ("A" if morsel.value[-1] != "A" else "B")
    assert NARRATIVE not in stranger.get("/report/").content.decode()


def test_files_are_never_kept_and_the_page_says_to_choose_them_again() -> None:
    client = _english()
    photo = upload("photo.jpg", b"\xff\xd8\xff not really a photo")
    response = client.post("/report/", good_report(client, reporter_role="", evidence_files=photo))
    assert response.status_code == 303
    page = client.get("/report/").content.decode()
    assert "The files you chose were not kept. Please choose them again before you send." in page
    assert b"not really a photo" not in bytes(FormDraft.objects.get().ciphertext)
    assert "photo.jpg" not in page


def test_refused_proof_of_work_comes_back_by_get_with_the_answers() -> None:
    client = _english()
    data = good_report(client, narrative=NARRATIVE)
    data["proof"] = "bm90IGEgcHJvb2Y="  # a proof that is not one
    response = client.post("/report/", data)
    assert response.status_code == 303
    assert response["Location"] == "/report/"
    page = client.get("/report/").content.decode()
    assert NARRATIVE in page
    assert "Please press “Send my report” again." in page
    assert Report.objects.count() == 0


def test_draft_is_deleted_when_the_form_is_sent() -> None:
    client = _english()
    data = good_report(client, narrative=NARRATIVE, reporter_role="")
    client.post("/report/", data)
    assert FormDraft.objects.count() == 1
    fixed = browser_post(client, "/report/", {**data, "reporter_role": "myself"})
    assert receipt_code(fixed.content.decode())
    assert FormDraft.objects.count() == 0
    form = client.get("/report/").content.decode()
    assert NARRATIVE not in form
    assert 'id="form-errors"' not in form


def test_draft_expires(settings: Any) -> None:
    client = _english()
    settings.HOTLINE_DRAFT_SECONDS = -1
    client.post("/report/", good_report(client, narrative=NARRATIVE, reporter_role=""))
    assert FormDraft.objects.count() == 1
    page = client.get("/report/").content.decode()
    assert NARRATIVE not in page
    assert FormDraft.objects.count() == 0  # deleted when read after expiry
    _english_other = Client()
    _english_other.post("/report/", good_report(_english_other, reporter_role=""))
    assert drafts_purge() == 1
    assert FormDraft.objects.count() == 0


def test_drafts_purge_keeps_drafts_that_have_not_expired() -> None:
    client = _english()
    client.post("/report/", good_report(client, narrative=NARRATIVE, reporter_role=""))
    assert drafts_purge() == 0
    assert NARRATIVE in client.get("/report/").content.decode()


# --- language switch --------------------------------------------------------------------------


def test_language_buttons_on_the_report_form_send_it_to_be_kept() -> None:
    page = Client().get("/report/").content.decode()
    assert 'id="report-form"' in page
    buttons = re.findall(r'<button type="submit" name="language"[^>]*>', page)
    assert len(buttons) == 2
    for button in buttons:
        assert 'form="report-form"' in button
        assert 'formaction="/report/switch/"' in button
        assert "formnovalidate" in button
    # Elsewhere they only switch.
    assert 'formaction="/report/switch/"' not in Client().get("/status/").content.decode()


def test_switching_language_keeps_a_half_filled_form_without_errors() -> None:
    client = Client()  # Khmer
    token = re.search(
        r'name="submission_token" value="([^"]+)"', client.get("/report/").content.decode()
    )
    assert token
    half = {
        "submission_token": token.group(1),
        "in_danger": "no",
        "categories": ["sextortion", "grooming"],
        "narrative": NARRATIVE,
        "usernames": "@bad_guy_kh",
        "language": "en",
    }
    response = client.post("/report/switch/", half)
    assert response.status_code == 303
    assert response["Location"] == "/report/"
    assert response.cookies["hotline_lang"].value == "en"
    page = client.get("/report/").content.decode()
    assert '<html lang="en">' in page
    assert NARRATIVE in page
    assert "@bad_guy_kh" in page
    assert re.search(r'value="sextortion"[^>]*checked', page)
    assert re.search(r'value="grooming"[^>]*checked', page)
    assert re.search(r'value="no"[^>]*checked', page)
    assert 'id="form-errors"' not in page
    assert f'value="{token.group(1)}"' in page
    assert Report.objects.count() == 0
    # Back to Khmer: still there.
    client.post("/report/switch/", {**half, "language": "km"})
    again = client.get("/report/").content.decode()
    assert '<html lang="km">' in again
    assert NARRATIVE in again


def test_switching_language_with_files_says_they_must_be_chosen_again() -> None:
    client = Client()
    photo = upload("photo.jpg", b"\xff\xd8\xff")
    client.post(
        "/report/switch/", {"narrative": NARRATIVE, "language": "en", "evidence_files": photo}
    )
    page = client.get("/report/").content.decode()
    assert 'id="files-lost"' in page
    assert "please choose your files again" in page


def test_switching_language_on_an_opened_report_stays_on_it() -> None:
    client = Client()
    code = _sent(client)
    browser_post(client, "/status/", {"code": code})
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/status/"}, follow=True)
    page = switched.content.decode()
    assert '<html lang="en">' in page
    assert 'id="report-status"' in page
    assert "Your report" in page


# --- status page, replies, escrow -------------------------------------------------------------


def test_status_lookup_redirects_and_the_code_is_in_no_location() -> None:
    client = _english()
    code = _sent(client)
    fresh = _english()
    response = fresh.post("/status/", {"code": code.lower()})
    assert response.status_code == 303
    assert response["Location"] == "/status/"
    assert 'id="report-status"' in fresh.get("/status/").content.decode()
    wrong = fresh.post("/status/", {"code": "2345-6789-ABCD-EFGH-J"})
    assert wrong.status_code == 303
    assert wrong["Location"] == "/status/?not-found"
    assert fresh.get(wrong["Location"]).status_code == 404


def _reply_form(page: str) -> dict[str, str]:
    once = re.search(r'name="once" value="([^"]+)"', page)
    code = re.search(r'name="code" value="([^"]+)" id="id_code"', page)
    assert once
    assert code
    return {"once": once.group(1), "code": code.group(1)}


def test_the_same_reply_sent_twice_adds_one_message() -> None:
    client = _english()
    _sent(client)
    form = _reply_form(client.get("/status/").content.decode())
    for _ in range(3):  # Reload, double tap, Back and Send
        response = browser_post(client, "/status/reply/", {**form, "message": "Here is more."})
        assert response.redirect_chain == [("/status/", 303)]
        assert "We have received your message." in response.content.decode()
    assert Message.objects.filter(author="reporter").count() == 1
    # A new page gives a new token: a new message is a new message.
    again = _reply_form(client.get("/status/").content.decode())
    assert again["once"] != form["once"]
    browser_post(client, "/status/reply/", {**again, "message": "And one more thing."})
    assert Message.objects.filter(author="reporter").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_reply_sent_at_once_from_four_threads_adds_one_message() -> None:
    if connection.vendor == "sqlite":
        # The in-memory test database locks whole tables across threads at once (no busy
        # wait): the race is run on PostgreSQL; SQLite has one writer at a time anyway.
        pytest.skip("concurrent writers need PostgreSQL (HOTLINE_DATABASE_URL)")
    client = _english()
    _sent(client)
    form = _reply_form(client.get("/status/").content.decode())
    cookie = client.cookies[CODE_COOKIE].value
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send() -> None:
        other = Client()
        other.cookies[CODE_COOKIE] = cookie
        barrier.wait()
        statuses.append(other.post("/status/reply/", {**form, "message": "Twice?"}).status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 4
    assert Message.objects.filter(author="reporter").count() == 1
    assert ReplyOnce.objects.count() == 1


def test_sent_notice_is_shown_once() -> None:
    client = _english()
    _sent(client)
    form = _reply_form(client.get("/status/").content.decode())
    response = browser_post(client, "/status/reply/", {**form, "message": "Hello."})
    assert "We have received your message." in response.content.decode()
    reload = client.get("/status/").content.decode()
    assert "We have received your message." not in reload
    assert "Hello." in reload


def test_reply_with_errors_comes_back_with_its_text() -> None:
    client = _english()
    _sent(client)
    form = _reply_form(client.get("/status/").content.decode())
    long_text = "x" * 20_001
    response = browser_post(client, "/status/reply/", {**form, "message": long_text})
    assert response.redirect_chain == [("/status/", 303)]
    page = response.content.decode()
    assert "Your message was not sent." in page
    assert long_text in page
    assert Message.objects.filter(author="reporter").count() == 0


def test_reply_tokens_are_purged_after_a_day() -> None:
    client = _english()
    _sent(client)
    form = _reply_form(client.get("/status/").content.decode())
    browser_post(client, "/status/reply/", {**form, "message": "Hello."})
    assert replies_once_purge() == 0
    ReplyOnce.objects.update(created_at=ReplyOnce.objects.get().created_at.replace(year=2000))
    assert replies_once_purge() == 1


def test_escrow_start_redirects_and_fills_in_the_remembered_code() -> None:
    client = _english()
    code = _sent(client)
    response = client.post("/escrow/", {"code": code, "start": "1"})
    assert response.status_code == 303
    assert response["Location"] == "/escrow/"
    assert f'value="{code}"' in client.get("/escrow/").content.decode()
    deposit = browser_post(client, "/escrow/", {"code": code, "identifier": "t.me/someone_kh"})
    assert deposit.redirect_chain == [("/escrow/done/", 303)]
    assert 'id="escrow-kept"' in deposit.content.decode()


def test_wrong_escrow_code_keeps_the_identifier_but_not_the_code() -> None:
    client = _english()
    response = client.post("/escrow/", {"code": "2345-6789-ABCD-EFGH-J", "identifier": "t.me/x_kh"})
    assert response.status_code == 303
    page = client.get("/escrow/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "t.me/x_kh" in html
    assert "2345-6789-ABCD-EFGH-J" not in html


def test_no_location_of_any_public_post_carries_a_code() -> None:
    client = _english()
    code = _sent(client)
    form = _reply_form(client.get("/status/").content.decode())
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/report/", good_report(client, reporter_role="")),
        ("/report/switch/", {"narrative": code, "language": "km"}),
        ("/status/", {"code": code}),
        ("/status/", {"code": "2345-6789-ABCD-EFGH-J"}),
        ("/status/reply/", {**form, "message": f"my code is {code}"}),
        ("/status/reply/", {**form, "message": ""}),
        ("/status/answer/", {"code": code, "question": "1", "answer": "yes"}),
        ("/escrow/", {"code": code, "start": "1"}),
        ("/escrow/", {"code": code, "identifier": ""}),
        ("/escrow/", {"code": code, "identifier": "t.me/someone_kh"}),
        ("/status/forget/", {"then": "status"}),
        ("/report/", good_report(client)),
    ]
    for path, data in posts:
        response = client.post(path, data)
        assert response.status_code == 303, path
        location = response["Location"]
        assert location in SAFE_LOCATIONS, (path, location)
        assert _bare(code) not in location.upper().replace("-", "")
        for morsel in response.cookies.values():
            assert _bare(code) not in morsel.value.upper().replace("-", ""), morsel.key
        client.get(location)


def test_a_code_typed_loosely_is_remembered_as_shown_on_the_receipt() -> None:
    client = _english()
    code = _sent(client)
    fresh = _english()
    browser_post(fresh, "/status/", {"code": code.lower().replace("-", " ")})
    assert _reply_form(fresh.get("/status/").content.decode())["code"] == code
    browser_post(fresh, "/escrow/", {"code": code.lower(), "start": "1"})
    assert f'value="{code}"' in fresh.get("/escrow/").content.decode()


def test_a_reply_typed_on_one_report_does_not_appear_on_another() -> None:
    client = _english()
    first = _sent(client)
    second = _sent(_english())
    form = _reply_form(client.get("/status/").content.decode())
    browser_post(client, "/status/reply/", {**form, "message": "y" * 20_001})
    assert "y" * 20_001 in client.get("/status/").content.decode()
    browser_post(client, "/status/", {"code": second})
    page = client.get("/status/").content.decode()
    assert _reply_form(page)["code"] == second != first
    assert "y" * 100 not in page


def test_the_workers_purge_drafts_and_reply_tokens_periodically() -> None:
    from django.utils.module_loading import import_string

    from hotline.tasks.services import PERIODIC

    jobs = {job.func_path: job.minutes for job in PERIODIC}
    for path in (
        "hotline.intake.drafts.drafts_purge",
        "hotline.intake.services.replies_once_purge",
    ):
        assert jobs[path] <= 60
        assert import_string(path)() == 0


def test_switching_language_on_an_opened_report_keeps_a_half_typed_reply() -> None:
    client = Client()  # Khmer
    _sent(client)
    page = client.get("/status/").content.decode()
    buttons = re.findall(r'<button type="submit" name="language"[^>]*>', page)
    assert buttons
    assert all('form="reply-form"' in b and 'formaction="/status/switch/"' in b for b in buttons)
    form = _reply_form(page)
    response = client.post(
        "/status/switch/", {**form, "message": "Half of what I wanted to say", "language": "en"}
    )
    assert response.status_code == 303
    assert response["Location"] == "/status/"
    assert response.cookies["hotline_lang"].value == "en"
    english = client.get("/status/").content.decode()
    assert '<html lang="en">' in english
    assert 'id="report-status"' in english
    assert "Half of what I wanted to say" in english
    assert "Your message was not sent." not in english
    assert Message.objects.count() == 0
    browser_post(client, "/status/reply/", {**_reply_form(english), "message": "All of it."})
    assert "Half of what I wanted to say" not in client.get("/status/").content.decode()
    assert Message.objects.filter(author="reporter").count() == 1
