"""The receipt page reuses the masked CSRF token its report's POST carried (sealed in the code
cookie) instead of masking a new one, and its forms still pass Django's CSRF check."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from reporter_support import browser_post, good_report, receipt_code

from hotline.intake.remember import CODE_COOKIE

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _form_page_token(client: Client) -> str:
    match = TOKEN.search(client.get("/report/").content.decode())
    assert match
    return match.group(1)


def test_the_receipt_reuses_the_posts_masked_token_and_its_forms_pass_the_check() -> None:
    client = Client(enforce_csrf_checks=True)
    data = good_report(client)
    data["csrfmiddlewaretoken"] = token = _form_page_token(client)
    assert len(token) == 64
    page = browser_post(client, "/report/", data).content.decode()
    code = receipt_code(page)
    assert code
    assert set(TOKEN.findall(page)) == {token}
    assert token not in client.cookies[CODE_COOKIE].value  # sealed, not in clear
    # Reload shows the same token; the page's forms are accepted.
    again = client.get("/report/receipt/").content.decode()
    assert set(TOKEN.findall(again)) == {token}
    opened = browser_post(client, "/status/", {"code": code, "csrfmiddlewaretoken": token})
    assert 'id="report-status"' in opened.content.decode()


def test_a_post_without_a_masked_token_gets_a_fresh_one_on_the_receipt() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/report/")
    data = good_report(client)
    secret = client.cookies["csrftoken"].value
    data["csrfmiddlewaretoken"] = secret  # the bare secret is accepted too
    page = browser_post(client, "/report/", data).content.decode()
    tokens = set(TOKEN.findall(page))
    assert len(tokens) == 1
    fresh = tokens.pop()
    assert len(fresh) == 64
    assert fresh != secret
    code = receipt_code(page)
    opened = browser_post(client, "/status/", {"code": code, "csrfmiddlewaretoken": fresh})
    assert 'id="report-status"' in opened.content.decode()


@pytest.mark.parametrize("forged", ["x" * 64 + "!", "short", "a" * 200])
def test_a_forged_token_in_the_cookie_is_never_shown(forged: str) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from hotline.intake.remember import Remembered, remember, remembered

    response = HttpResponse()
    remember(response, Remembered(code="ABCD", receipt=True, form_token=forged))
    request = RequestFactory().get("/")
    request.COOKIES[CODE_COOKIE] = response.cookies[CODE_COOKIE].value
    state = remembered(request)
    assert state is not None
    assert state.form_token == ""
