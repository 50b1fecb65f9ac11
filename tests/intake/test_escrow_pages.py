"""The public escrow page and the consent question on the status page."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.test import Client
from reporter_support import KHMER, browser_post, good_report, receipt_code, shown_again

from hotline.accounts.services import staff_create
from hotline.audit.models import AuditEvent
from hotline.entities.models import EscrowedIdentifier
from hotline.entities.services import escrow_ask_consent
from hotline.entities.tasks import report_extract
from hotline.intake.models import Report

pytestmark = pytest.mark.django_db

HANDLE = "t.me/Escrow_Target_Kh"
CANONICAL = "https://t.me/escrow_target_kh"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _english() -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _report(client: Client, **changes: str) -> str:
    response = browser_post(client, "/report/", good_report(client, **changes))
    code = receipt_code(response.content.decode())
    assert code
    return code


def _other_report_naming(text: str) -> Report:
    """File a second, independent report that names `text` and link its entities."""
    other = Client()
    _report(other, narrative=f"He sells videos in {text}")
    report = Report.objects.order_by("-pk").first()
    assert report is not None
    report_extract(report.pk)
    return report


def _page(html: bytes) -> str:
    """Return a page without its per-response CSRF tokens."""
    return CSRF.sub("", html.decode())


def _rows_containing(needle: str) -> list[str]:
    """Return every database row (any app) whose text or bytes hold `needle`."""
    hits = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            for name, value in row.items():
                raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                if needle.lower().encode() in raw.lower():
                    hits.append(f"{model._meta.label}.{name}")
    return hits


def test_page_speaks_khmer_needs_no_script_and_nothing_from_other_hosts() -> None:
    html = Client().get("/escrow/").content.decode()
    assert '<html lang="km">' in html
    assert len(KHMER.findall(html)) > 50
    assert "<script" not in html
    assert not re.search(r'(src|href|action)="(https?:)?//', html)
    assert 'name="code"' in html
    assert 'name="identifier"' in html


def test_deposit_stores_only_a_digest_and_says_thank_you() -> None:
    client = _english()
    code = _report(client)
    response = browser_post(client, "/escrow/", {"code": code, "identifier": HANDLE})
    assert response.status_code == 200
    assert 'id="escrow-kept"' in response.content.decode()
    escrow = EscrowedIdentifier.objects.get()
    assert escrow.state == EscrowedIdentifier.State.WAITING
    assert escrow.report == Report.objects.get()
    assert len(bytes(escrow.digest)) == 32
    # Neither what was typed nor its canonical form is anywhere in the database.
    assert _rows_containing("escrow_target_kh") == []
    assert _rows_containing(CANONICAL) == []
    assert AuditEvent.objects.filter(action="entities.escrow_deposited").count() == 1


def test_same_answer_whether_or_not_the_identifier_was_reported() -> None:
    client = _english()
    code = _report(client)
    _other_report_naming(HANDLE)
    matched = browser_post(client, "/escrow/", {"code": code, "identifier": HANDLE})
    unknown = browser_post(
        client, "/escrow/", {"code": code, "identifier": "t.me/nobody_named_this"}
    )
    again = browser_post(
        client, "/escrow/", {"code": code, "identifier": "https://t.me/escrow_target_kh"}
    )
    assert matched.status_code == unknown.status_code == again.status_code == 200
    assert _page(matched.content) == _page(unknown.content) == _page(again.content)
    states = sorted(EscrowedIdentifier.objects.values_list("state", flat=True))
    assert states == ["matched", "waiting"]  # the repeat deposit is the same escrow


def test_a_later_report_matches_the_escrow() -> None:
    client = _english()
    code = _report(client)
    browser_post(
        client,
        "/escrow/",
        {"code": code, "identifier": "My abuser is @Escrow_Target_Kh on Telegram"},
    )
    later = _other_report_naming(HANDLE)
    escrow = EscrowedIdentifier.objects.get()
    assert escrow.state == EscrowedIdentifier.State.MATCHED
    assert escrow.matched_report == later


def test_wrong_codes_get_one_generic_answer_and_nothing_is_stored() -> None:
    client = _english()
    _report(client)
    answers = [
        browser_post(client, "/escrow/", {"code": code, "identifier": HANDLE})
        for code in ("AAAA-BBBB-CCCC-DDDD-E", "garbage", "💥" * 20, "7KQ4-M2XD-9FTB-R6HC-W")
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({_page(a.content) for a in answers}) == 1
    assert "We could not open a report with this code" in answers[0].content.decode()
    assert EscrowedIdentifier.objects.count() == 0


@pytest.mark.parametrize(
    "identifier",
    [
        "",
        "hello there",
        "1234567890",  # not a phone number
        "x" * 501,  # oversize
        "t.me/a_first_one and t.me/a_second_one",  # one at a time
        "t.me/\x00nul",
        "\ufffd\ufffd",
    ],
)
def test_bad_identifiers_get_a_plain_khmer_error_and_nothing_is_stored(identifier: str) -> None:
    client = Client()
    code = _report(client)
    response = browser_post(client, "/escrow/", {"code": code, "identifier": identifier})
    assert shown_again(response, "/escrow/")
    html = response.content.decode()
    error = re.search(r'<div class="error" role="alert" id="id_identifier_error">(.*?)</div>', html)
    assert error, html
    assert KHMER.search(error.group(1))
    assert "មិនទាន់បានរក្សាទុកអ្វីទេ" in html  # "nothing was saved"
    assert EscrowedIdentifier.objects.count() == 0


def test_an_oversize_post_is_refused_without_a_lookup() -> None:
    client = Client()
    code = _report(client)
    response = browser_post(client, "/escrow/", {"code": code + "X" * 100, "identifier": HANDLE})
    assert shown_again(response, "/escrow/")
    assert 'id="id_code_error"' in response.content.decode()
    assert EscrowedIdentifier.objects.count() == 0


def test_receipt_and_status_pages_lead_to_the_escrow_form_with_the_code() -> None:
    client = _english()
    receipt = browser_post(client, "/report/", good_report(client)).content.decode()
    code = receipt_code(receipt)
    assert 'action="/escrow/"' in receipt
    status = browser_post(client, "/status/", {"code": code}).content.decode()
    assert 'action="/escrow/"' in status
    assert 'id="escrow-link"' in status
    opened = browser_post(client, "/escrow/", {"code": code, "start": "1"})
    assert opened.status_code == 200
    assert f'value="{code}"' in opened.content.decode()
    assert "error" not in _page(opened.content).split("<main>")[1]


def _asked(client: Client) -> tuple[str, EscrowedIdentifier]:
    code = _report(client)
    browser_post(client, "/escrow/", {"code": code, "identifier": HANDLE})
    _other_report_naming(HANDLE)
    analyst = staff_create(username="analyst", password="a long enough passphrase 42")
    escrow = escrow_ask_consent(escrow=EscrowedIdentifier.objects.get(), actor=analyst)
    return code, escrow


def test_no_question_until_an_analyst_asks() -> None:
    client = _english()
    code = _report(client)
    browser_post(client, "/escrow/", {"code": code, "identifier": HANDLE})
    _other_report_naming(HANDLE)
    assert EscrowedIdentifier.objects.get().state == EscrowedIdentifier.State.MATCHED
    status = browser_post(client, "/status/", {"code": code}).content.decode()
    assert "A question for you" not in status
    assert 'action="/status/answer/"' not in status


@pytest.mark.parametrize(("answer", "state"), [("yes", "consented"), ("no", "declined")])
def test_reporter_answers_the_consent_question(answer: str, state: str) -> None:
    client = _english()
    code, escrow = _asked(client)
    status = browser_post(client, "/status/", {"code": code}).content.decode()
    assert f'id="escrow-question-{escrow.pk}"' in status
    assert f'name="question" value="{escrow.pk}"' in status
    response = browser_post(
        client, "/status/answer/", {"code": code, "question": escrow.pk, "answer": answer}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="escrow-answered"' in html
    assert f'id="escrow-question-{escrow.pk}"' not in html
    escrow.refresh_from_db()
    assert escrow.state == state
    assert AuditEvent.objects.filter(action="entities.escrow_answered").count() == 1
    # A second answer changes nothing.
    again = browser_post(
        client, "/status/answer/", {"code": code, "question": escrow.pk, "answer": "yes"}
    )
    assert again.redirect_chain == [("/status/", 303)]
    assert "We could not save this answer" in again.content.decode()
    escrow.refresh_from_db()
    assert escrow.state == state


def test_the_question_is_in_khmer_by_default() -> None:
    client = Client()
    code, _escrow = _asked(client)
    status = browser_post(client, "/status/", {"code": code}).content.decode()
    assert "សំណួរមួយសម្រាប់អ្នក" in status
    assert "A question for you" not in status


def test_answers_need_the_right_code_and_question() -> None:
    client = _english()
    code, escrow = _asked(client)
    other_code = _report(Client())
    wrong_code = browser_post(
        client,
        "/status/answer/",
        {"code": "AAAA-BBBB-CCCC-DDDD-E", "question": escrow.pk, "answer": "yes"},
    )
    assert wrong_code.status_code == 404
    # Another reporter's code cannot answer this reporter's question.
    stranger = browser_post(
        client, "/status/answer/", {"code": other_code, "question": escrow.pk, "answer": "yes"}
    )
    assert stranger.redirect_chain == [("/status/", 303)]
    assert "We could not save this answer" in stranger.content.decode()
    for bad in (
        {"question": "abc", "answer": "yes"},
        {"question": escrow.pk, "answer": "maybe"},
        {"question": "9" * 40, "answer": "yes"},
        {},
    ):
        response = browser_post(client, "/status/answer/", {"code": code, **bad})
        assert response.redirect_chain == [("/status/", 303)]
        assert "We could not save this answer" in response.content.decode()
    escrow.refresh_from_db()
    assert escrow.state == EscrowedIdentifier.State.CONSENT_ASKED
    assert client.get("/status/answer/").status_code == 405
