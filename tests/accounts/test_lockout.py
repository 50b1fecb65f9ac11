"""Failed logins: lockout per account name (django-axes), the same answer for names that do
not exist, and no client address anywhere in the database."""

from __future__ import annotations

import io
import re
import statistics
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from staff_login import CODE_URL, LOGIN_URL, PASSWORD, make_staff

pytestmark = pytest.mark.django_db
CLIENT_ADDRESS = "203.0.113.77"
PROXY = "10.9.8.7"


@pytest.fixture(autouse=True)
def _five_failures(settings: object) -> None:
    settings.AXES_FAILURE_LIMIT = 5  # type: ignore[attr-defined]


def _page_text(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'value="[^"]*"', "", html)  # the name typed is given back


def test_unknown_name_and_wrong_password_get_the_same_answer() -> None:
    make_staff()
    wrong = Client().post(LOGIN_URL, {"login": "analyst", "password": "not the password 1"})
    unknown = Client().post(LOGIN_URL, {"login": "nobody", "password": "not the password 1"})
    assert wrong.status_code == unknown.status_code == 200
    assert _page_text(wrong) == _page_text(unknown)
    assert "Wrong username or password." in _page_text(wrong)


def test_unknown_name_takes_as_long_as_wrong_password_with_argon2(settings: object) -> None:
    # The production hasher (tests use a cheap one): an unknown name must cost one Argon2
    # hash too (Django's ModelBackend hashes a dummy password), or timing tells who exists.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # type: ignore[attr-defined]
    settings.AXES_FAILURE_LIMIT = 100  # type: ignore[attr-defined]
    make_staff()

    def timed(name: str) -> float:
        start = time.perf_counter()
        Client().post(LOGIN_URL, {"login": name, "password": "not the password 1"})
        return time.perf_counter() - start

    timed("warm-up")
    timed("nobody")
    # Interleaved, so load from other processes falls on both alike; the same names each
    # time, so the lockout bookkeeping does the same work for both.
    known, unknown, page = [], [], []
    for _ in range(7):
        known.append(timed("analyst"))
        unknown.append(timed("nobody"))
        start = time.perf_counter()
        Client().get(LOGIN_URL)
        page.append(time.perf_counter() - start)
    known_time, unknown_time = statistics.median(known), statistics.median(unknown)
    # Argon2 dominates both; a missing hash would make the unknown name several times faster.
    assert known_time > 3 * statistics.median(page), (known, page)
    assert 0.5 < unknown_time / known_time < 2, (known, unknown)


def test_account_locked_after_five_wrong_passwords_even_with_the_right_one() -> None:
    staff = make_staff()
    client = Client()
    for _ in range(4):
        assert (
            client.post(LOGIN_URL, {"login": "analyst", "password": "wrong one 123"}).status_code
            == 200
        )
    assert (
        client.post(LOGIN_URL, {"login": "analyst", "password": "wrong one 123"}).status_code == 429
    )
    # Another client (another address, another browser): the account itself is locked.
    other = Client()
    locked = other.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert other.get("/staff/").status_code == 302
    # Other accounts are not affected.
    colleague = make_staff("colleague")
    assert (
        Client().post(LOGIN_URL, {"login": "colleague", "password": PASSWORD})["Location"]
        == CODE_URL
    )
    assert staff.user.pk != colleague.user.pk


def test_unknown_names_lock_exactly_like_real_ones() -> None:
    make_staff()
    answers = {}
    for name in ("analyst", "nobody"):
        client = Client()
        answers[name] = [
            client.post(LOGIN_URL, {"login": name, "password": "wrong one 123"}).status_code
            for _ in range(6)
        ]
    assert answers["analyst"] == answers["nobody"] == [200, 200, 200, 200, 429, 429]


def test_wrong_codes_lock_the_account_too() -> None:
    staff = make_staff()
    client = Client()
    client.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    answers = [client.post(CODE_URL, {"code": "000000"}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    # Locked: even the right code is refused now, and so is the password.
    assert client.post(CODE_URL, {"code": staff.device.code()}).status_code == 200
    assert client.get("/staff/").status_code == 302
    assert Client().post(LOGIN_URL, {"login": "analyst", "password": PASSWORD}).status_code == 429


def test_no_client_address_is_stored_after_failed_logins(settings: object) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = [PROXY]  # type: ignore[attr-defined]
    staff = make_staff()
    behind_proxy = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": CLIENT_ADDRESS}
    direct = {"REMOTE_ADDR": CLIENT_ADDRESS}
    for headers in (behind_proxy, direct):
        client = Client(**headers)
        for name in ("analyst", "nobody"):
            for _ in range(6):
                client.post(LOGIN_URL, {"login": name, "password": "wrong one 123"})
        client.post(CODE_URL, {"code": "000000"})
    assert AccessAttempt.objects.filter(username="analyst").exists()
    assert not AccessAttempt.objects.exclude(ip_address=None).exists()

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    sessions = "".join(str(s.get_decoded()) for s in Session.objects.all())
    for text in (dump.getvalue(), sessions):
        assert CLIENT_ADDRESS not in text
        assert PROXY not in text
    assert staff.user.username in dump.getvalue()  # the dump did include the accounts
