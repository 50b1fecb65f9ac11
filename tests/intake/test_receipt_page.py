"""The receipt page: check my report, save the code as a file, copy it, and the escrow offer."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from reporter_support import KHMER, good_report, receipt_code

from hotline.intake.models import Report
from hotline.intake.receipts import ALPHABET

pytestmark = pytest.mark.django_db

NOT_FOUND = "We could not open a report with this code. Please check it and try again."
ESCROW_WHY = "This is only for an account or number that you did not put in your report"
ESCROW_WHY_KM = "នេះសម្រាប់តែគណនី ឬលេខ ដែលអ្នកមិនបានដាក់ក្នុងរបាយការណ៍របស់អ្នកប៉ុណ្ណោះ"
ANY_CODE = re.compile(rf"[{ALPHABET}]{{4}}(?:-[{ALPHABET}]{{4}}){{3}}-[{ALPHABET}]")


def _client(language: str = "en", *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.cookies["hotline_lang"] = language
    return client


def _receipt(client: Client, **changes: object) -> tuple[str, str]:
    """Send a report; return the receipt page and its code."""
    data = good_report(client, **changes)
    # The form's CSRF token (the cookie's secret is accepted as the form value too).
    data["csrfmiddlewaretoken"] = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/report/", data)
    assert response.status_code == 200
    page = response.content.decode()
    code = receipt_code(page)
    assert code
    return page, code


def _form(page: str, action: str) -> dict[str, str]:
    """Return the hidden fields of the page's form that posts to `action`."""
    match = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', page, re.S)
    assert match, action
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(1)))


def _download(client: Client, page: str) -> tuple[object, str]:
    response = client.post("/receipt/file/", _form(page, "/receipt/file/"))
    assert response.status_code == 200
    return response, response.content.decode("utf-8")


def test_check_my_report_posts_the_code_and_opens_the_status_page() -> None:
    client = _client(enforce_csrf_checks=True)
    page, code = _receipt(client)
    fields = _form(page, "/status/")
    assert fields["code"] == code
    opened = client.post("/status/", fields)
    assert opened.status_code == 200
    assert 'id="report-status"' in opened.content.decode()


def test_no_address_on_the_receipt_page_carries_the_code() -> None:
    client = _client()
    page, code = _receipt(client)
    addresses = re.findall(r'(?:href|src|action)="([^"]*)"', page)
    assert "/receipt/file/" in addresses
    assert "/status/" in addresses
    bare = code.replace("-", "")
    for address in addresses:
        folded = html.unescape(address).upper().replace("-", "").replace("%2D", "")
        assert bare not in folded, address
    # The code travels only in hidden fields of POST forms.
    assert page.count(f'value="{code}"') == 3  # check my report, save as a file, escrow
    assert 'method="get"' not in page.lower()


def test_saved_file_holds_this_code_the_day_and_the_status_address_and_nothing_else() -> None:
    files = []
    for narrative in ("He has my photos and wants 200 dollars.", "A stranger sent me a video."):
        client = _client()
        page, code = _receipt(client, narrative=narrative, phones="012 999 888")
        response, text = _download(client, page)
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Cache-Control"] == "no-store"
        disposition = response["Content-Disposition"]
        assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.txt"', disposition), disposition
        assert code.replace("-", "") not in disposition.upper().replace("-", "")
        assert ANY_CODE.findall(text) == [code]
        assert "http://testserver/status/" in text
        received = timezone.localtime(Report.objects.order_by("-pk").first().created_at)  # type: ignore[union-attr]
        assert f"Received on {received.day} {received:%B %Y}." in text
        assert narrative not in text
        assert "012" not in text
        assert "sextortion" not in text.lower()
        files.append(text.replace(code, "CODE"))
    # Two reports with different answers give the same file but for the code: nothing else of
    # a report goes in.
    assert files[0] == files[1]


def test_saved_file_speaks_khmer_to_a_khmer_reporter() -> None:
    client = _client("km")
    page, code = _receipt(client)
    _, text = _download(client, page)
    assert code in text
    assert "លេខកូដបង្កាន់ដៃរបស់អ្នកគឺ៖" in text
    assert "Your receipt code" not in text
    assert "Keep this file" not in text
    assert KHMER.search(text)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"code": ""},
        {"code": "2" * 10_000},
        {"code": "ABCD-EFGH-JKMN-PQRS-\x00"},
        {"code": "ក្ខគឃង"},
        {"code": "2345-6789-ABCD-EFGH-J"},  # well formed, but no report has it: forged
        {"code": ["2345-6789-ABCD-EFGH-J", "2345-6789-ABCD-EFGH-K"]},
    ],
    ids=["missing", "empty", "oversize", "nul", "khmer", "forged", "two-codes"],
)
def test_bad_posts_to_save_as_a_file_get_the_wrong_code_page(data: dict[str, object]) -> None:
    client = _client()
    response = client.post("/receipt/file/", data)
    assert response.status_code == 404
    assert "Content-Disposition" not in response
    assert NOT_FOUND in response.content.decode()


def test_save_as_a_file_refuses_get_and_posts_without_the_form_token() -> None:
    client = _client(enforce_csrf_checks=True)
    _page, code = _receipt(client)
    assert client.get("/receipt/file/").status_code == 405
    forged = client.post("/receipt/file/", {"code": code})
    assert forged.status_code == 403
    assert "Content-Disposition" not in forged


@pytest.mark.parametrize(
    "written",
    [
        lambda code: code,
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " "),
        lambda code: code.lower(),
        lambda code: f"  {code.replace('-', ' - ')}\n",
        # What notes and chat apps make of a pasted code: typographic dashes, no-break spaces.
        lambda code: code.replace("-", "\u2013"),
        lambda code: code.replace("-", "\u00a0"),
        lambda code: code.replace("-", "\u2010\u200b"),
    ],
    ids=[
        "as-shown",
        "no-dashes",
        "spaces",
        "small-letters",
        "spaced-dashes",
        "en-dashes",
        "no-break-spaces",
        "unicode-hyphen-zero-width-space",
    ],
)
def test_status_form_opens_the_report_however_the_code_is_grouped(written: object) -> None:
    client = _client()
    _, code = _receipt(client)
    typed = written(code)  # type: ignore[operator]
    opened = client.post("/status/", {"code": typed})
    assert opened.status_code == 200
    assert 'id="report-status"' in opened.content.decode()


def test_receipt_alphabet_has_no_lookalike_symbols() -> None:
    # The code is shown in monospace inside lang="en", but a code written by hand is read back
    # in any handwriting: symbols that pass for one another are left out of the alphabet.
    for lookalikes in ("0O", "1IL", "UV"):
        assert sum(symbol in ALPHABET for symbol in lookalikes) <= 1, lookalikes
    assert ALPHABET.isupper() or ALPHABET.isalnum()
    client = _client()
    page, code = _receipt(client)
    assert re.search(
        r'<div class="receipt-box" id="receipt-box" lang="en" dir="ltr" translate="no"[^>]*>\s*'
        rf'<p class="receipt" id="receipt-code">{code}</p>',
        page,
    )


def test_each_receipt_page_has_its_own_script_nonce_matching_its_policy() -> None:
    nonces = []
    for _ in range(2):
        client = _client()
        response = client.post("/report/", good_report(client))
        page = response.content.decode()
        script = re.search(r'<script src="/static/intake/receipt\.js" nonce="([^"]+)"', page)
        assert script, page[-400:]
        policy = response["Content-Security-Policy"]
        assert f"'nonce-{script.group(1)}'" in policy, policy
        nonces.append(script.group(1))
    assert nonces[0] != nonces[1]


def test_receipt_page_says_what_the_escrow_offer_is_for_in_both_languages() -> None:
    english, _ = _receipt(_client())
    assert ESCROW_WHY in english
    khmer_client = _client("km")
    khmer, _ = _receipt(khmer_client)
    assert ESCROW_WHY_KM in khmer
    assert ESCROW_WHY not in khmer


def test_receipt_for_a_reporter_in_danger_has_the_same_offers_and_a_valid_nonce() -> None:
    # Reporters in danger get the fully rendered page (with the contacts), not the slotted one.
    client = _client()
    response = client.post("/report/", good_report(client, in_danger="yes"))
    page = response.content.decode()
    code = receipt_code(page)
    assert 'class="emergency shown"' in page
    assert _form(page, "/status/")["code"] == code
    assert _form(page, "/receipt/file/")["code"] == code
    _, text = _download(client, page)
    assert ANY_CODE.findall(text) == [code]
    script = re.search(r'<script src="/static/intake/receipt\.js" nonce="([^"]+)"', page)
    assert script
    assert f"'nonce-{script.group(1)}'" in response["Content-Security-Policy"]
