"""The escrow form's identifier survives a language switch, Khmer to English and back.

The page's language buttons send the escrow form to /escrow/switch/ (as the report and reply
forms go to their switch addresses): the identifier is kept in a sealed draft, the code stays
remembered, and the browser is sent 303 to /escrow/ in the new language without any error.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from reporter_support import browser_post, good_report, receipt_code

from hotline.entities.models import EscrowedIdentifier
from hotline.intake.models import FormDraft

pytestmark = pytest.mark.django_db

IDENTIFIER = "ABA ០០០ ១២៣ ៤៥៦"


def _identifier_value(page: str) -> str:
    match = re.search(r'<input[^>]*name="identifier"[^>]*>', page)
    assert match, "no identifier field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def _escrow_page_with_code(client: Client) -> str:
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    assert browser_post(client, "/escrow/", {"code": code, "start": "1"}).status_code == 200
    return code


@pytest.mark.parametrize(("first", "then"), [("km", "en"), ("en", "km")])
def test_the_identifier_is_kept_across_a_language_switch_both_ways(first: str, then: str) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": first, "next": "/"})
    code = _escrow_page_with_code(client)
    page = client.get("/escrow/").content.decode()
    assert f'<html lang="{first}">' in page
    # The language buttons send the escrow form to its own switch address.
    assert 'form="escrow-form" formaction="/escrow/switch/"' in page
    switched = client.post(
        "/escrow/switch/", {"code": code, "identifier": IDENTIFIER, "language": then}
    )
    assert switched.status_code == 303
    assert switched["Location"] == "/escrow/"
    page = client.get("/escrow/").content.decode()
    assert f'<html lang="{then}">' in page
    assert _identifier_value(page) == IDENTIFIER
    assert f'value="{code}"' in page
    assert 'class="error"' not in page  # kept, not refused
    # And back again.
    client.post("/escrow/switch/", {"code": code, "identifier": IDENTIFIER, "language": first})
    page = client.get("/escrow/").content.decode()
    assert f'<html lang="{first}">' in page
    assert _identifier_value(page) == IDENTIFIER
    # Sealed in the database, never in clear; nothing deposited by switching.
    assert IDENTIFIER.encode() not in b"".join(bytes(d.ciphertext) for d in FormDraft.objects.all())
    assert EscrowedIdentifier.objects.count() == 0
    # Sent after the switch: deposited once, and the draft goes.
    done = browser_post(client, "/escrow/", {"code": code, "identifier": IDENTIFIER})
    assert done.redirect_chain == [("/escrow/done/", 303)]
    assert EscrowedIdentifier.objects.count() == 1
    assert _identifier_value(client.get("/escrow/").content.decode()) == ""


def test_a_switch_with_a_wrong_code_keeps_the_identifier_but_never_echoes_the_code() -> None:
    client = Client()
    wrong = "2345-6789-ABCD-EFGH-J"
    switched = client.post(
        "/escrow/switch/", {"code": wrong, "identifier": "t.me/x_kh", "language": "en"}
    )
    assert switched.status_code == 303
    assert switched["Location"] == "/escrow/"
    page = client.get("/escrow/").content.decode()
    assert '<html lang="en">' in page
    assert _identifier_value(page) == "t.me/x_kh"
    assert wrong not in page


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"language": "xx", "identifier": "a"},
        {"language": "en", "identifier": "x" * 100_000},
        {"language": "en", "identifier": "\x00\u202e<script>alert(1)</script>", "code": "\x00"},
        {"language": ["en", "km"], "identifier": ["a", "b"]},
    ],
)
def test_garbage_sent_to_the_escrow_switch_changes_nothing_and_lands_on_the_escrow_page(
    data: dict[str, object],
) -> None:
    client = Client()
    response = client.post("/escrow/switch/", data)
    assert response.status_code == 303
    assert response["Location"] == "/escrow/"
    page = client.get("/escrow/")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.content.decode()
    assert EscrowedIdentifier.objects.count() == 0


def test_the_escrow_switch_takes_only_post() -> None:
    assert Client().get("/escrow/switch/").status_code == 405
