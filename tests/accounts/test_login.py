"""Staff login through the real pages: two-factor required, codes used once, sessions that end."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client

from hotline.accounts.mfa import totp_code, totp_step
from hotline.accounts.middleware import LOGIN_AT, SEEN_AT
from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.audit.models import AuditEvent
from hotline.intake.services import ReportInput, report_submit
from staff_login import CODE_URL, LOGIN_URL, PASSWORD, Device, log_in, make_staff

pytestmark = pytest.mark.django_db
ACTIVATE_URL = "/staff/account/2fa/totp/activate/"


def _session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def test_new_account_must_enrol_before_any_staff_page_and_admin() -> None:
    staff_create(username="newcomer", password=PASSWORD, superuser=True)
    client = Client()
    response = client.post(LOGIN_URL, {"login": "newcomer", "password": PASSWORD})
    assert response.status_code == 302
    for url in ["/staff/", "/staff/entities/", "/staff/entities/escrows/", "/admin/"]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, ACTIVATE_URL), url

    page = client.get(ACTIVATE_URL).content.decode()
    match = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    assert match, page
    assert "<svg" in page  # the QR code, inline (no data: URL, which the CSP forbids)
    device = Device(match.group(1))
    wrong = client.post(ACTIVATE_URL, {"code": "000000" if device.code() != "000000" else "1"})
    assert wrong.status_code == 200
    assert client.get("/staff/")["Location"] == ACTIVATE_URL
    enrolled = client.post(ACTIVATE_URL, {"code": totp_code(device.secret)})
    assert enrolled.status_code == 302
    codes = client.get(enrolled["Location"]).content.decode()
    shown = re.search(r'<pre class="codes" id="recovery-codes">(.*?)</pre>', codes, re.DOTALL)
    assert shown
    assert len(shown.group(1).split()) == 10  # the recovery codes, shown once enrolled
    assert client.get("/staff/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="staff.authenticator_added").count() == 2  # TOTP, codes


def test_password_alone_does_not_open_staff_pages_once_enrolled() -> None:
    staff = make_staff()
    client = Client()
    response = client.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    assert response["Location"] == CODE_URL
    for url in ["/staff/", "/admin/", "/staff/entities/"]:
        assert client.get(url).status_code == 302, url
        followed = client.get(url, follow=True)  # back to the login (its code step)
        assert followed.request["PATH_INFO"] in {LOGIN_URL, CODE_URL}, url
    assert client.post(CODE_URL, {"code": staff.device.code()}).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_totp_code_cannot_be_used_twice_even_on_another_web_process() -> None:
    staff = make_staff()
    code = staff.device.code()
    first = Client()
    first.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    assert first.post(CODE_URL, {"code": code}).status_code == 302
    assert first.get("/staff/").status_code == 200
    # allauth remembers used codes in the cache, one per web process: another process has
    # an empty one. The database still knows the step was used.
    cache.clear()
    second = Client()
    second.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    again = second.post(CODE_URL, {"code": code})
    assert again.status_code == 200
    assert "That code did not work" in again.content.decode()
    assert second.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action="staff.totp_reused").count() == 1
    # A code of the next step still works.
    assert second.post(CODE_URL, {"code": staff.device.code()}).status_code == 302
    assert second.get("/staff/").status_code == 200


def test_the_code_typed_at_enrolment_cannot_log_in_again() -> None:
    staff_create(username="newcomer", password=PASSWORD)
    client = Client()
    client.post(LOGIN_URL, {"login": "newcomer", "password": PASSWORD})
    page = client.get(ACTIVATE_URL).content.decode()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
    code = totp_code(secret)
    assert client.post(ACTIVATE_URL, {"code": code}).status_code == 302
    client.post("/staff/logout/")
    cache.clear()
    client.post(LOGIN_URL, {"login": "newcomer", "password": PASSWORD})
    assert client.post(CODE_URL, {"code": code}).status_code == 200
    assert client.get("/staff/").status_code == 302
    # Only that step is used up: the app's next code works at once.
    next_code = totp_code(secret, at=(totp_step() + 1) * 30)
    assert client.post(CODE_URL, {"code": next_code}).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_recovery_code_logs_in_once() -> None:
    from hotline.accounts.mfa import recovery_codes

    staff = make_staff()
    code = recovery_codes(user=staff.user)[0]
    client = Client()
    client.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    assert client.post(CODE_URL, {"code": code}).status_code == 302
    assert client.get("/staff/").status_code == 200
    other = Client()
    other.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    assert other.post(CODE_URL, {"code": code}).status_code == 200
    assert code not in recovery_codes(user=staff.user)


def test_admin_login_goes_through_the_staff_login() -> None:
    response = Client().get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/admin/accounts/user/"
    followed = Client().get("/admin/", follow=True)
    assert followed.request["PATH_INFO"] == "/staff/login/"


def test_session_key_changes_at_login_and_the_old_one_is_dead() -> None:
    staff = make_staff()
    client = Client()
    client.post(LOGIN_URL, {"login": "analyst", "password": PASSWORD})
    before = _session_key(client)  # the half-logged-in session (password checked)
    client.post(CODE_URL, {"code": staff.device.code()})
    after = _session_key(client)
    assert before != after
    assert not Session.objects.filter(session_key=before).exists()
    stale = Client()
    stale.cookies["sessionid"] = before
    assert stale.get("/staff/").status_code == 302


def test_logout_needs_post_and_kills_the_session() -> None:
    staff = make_staff()
    client = Client()
    log_in(client, staff)
    key = _session_key(client)
    assert client.get("/staff/logout/").status_code == 200  # a confirmation page, not a logout
    assert client.get("/staff/").status_code == 200
    assert client.post("/staff/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/staff/").status_code == 302


def test_disabled_account_is_logged_out_at_its_next_request() -> None:
    staff = make_staff()
    client = Client()
    log_in(client, staff)
    key = _session_key(client)
    assert client.get("/staff/").status_code == 200
    User.objects.filter(pk=staff.user.pk).update(is_active=False)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]
    assert not Session.objects.filter(session_key=key).exists()
    User.objects.filter(pk=staff.user.pk).update(is_active=True)
    assert client.get("/staff/").status_code == 302  # still logged out


def _age_session(client: Client, **seconds_ago: float) -> None:
    """Move the session's clocks back, as if that much time had passed."""
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


def test_idle_session_ends_after_the_idle_timeout(settings: object) -> None:
    settings.HOTLINE_STAFF_IDLE_MINUTES = 30  # type: ignore[attr-defined]
    staff = make_staff()
    client = Client()
    log_in(client, staff)
    _age_session(client, seen=29 * 60)
    assert client.get("/staff/").status_code == 200  # 29 minutes idle: still in
    _age_session(client, seen=31 * 60)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "ended=idle" in response["Location"]
    assert client.get("/staff/").status_code == 302
    assert "a time without activity" in Client().get(response["Location"]).content.decode()


def test_session_ends_after_the_absolute_timeout_even_when_busy(settings: object) -> None:
    settings.HOTLINE_STAFF_SESSION_HOURS = 12  # type: ignore[attr-defined]
    staff = make_staff()
    client = Client()
    log_in(client, staff)
    _age_session(client, login=11.9 * 3600, seen=10)
    assert client.get("/staff/").status_code == 200
    _age_session(client, login=12.1 * 3600, seen=10)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "ended=expired" in response["Location"]
    assert AuditEvent.objects.filter(action="staff.session_end").exists()


def test_public_pages_set_no_cookie_even_after_a_staff_login_elsewhere() -> None:
    staff = make_staff()
    log_in(Client(), staff)
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"], narrative="x"),
        evidence=[],
    )
    public = Client()
    for url in ["/", "/report/", "/status/", "/help/", "/danger/", "/healthz"]:
        response = public.get(url)
        assert response.status_code == 200, url
        assert "sessionid" not in response.cookies, url
    assert report.report.pk
    assert "sessionid" not in public.cookies


def test_password_change_and_recovery_codes_pages_work_in_the_staff_layout() -> None:
    staff = make_staff()
    client = Client()
    log_in(client, staff)
    # Showing recovery codes asks for the password again (not just after enrolment).
    codes = client.get("/staff/account/2fa/recovery-codes/")
    assert codes.status_code == 302
    assert codes["Location"].startswith("/staff/account/reauthenticate/")
    page = client.get(codes["Location"])
    assert page.status_code == 200
    assert "staff" in page.content.decode()
    confirmed = client.post(codes["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302
    assert client.get("/staff/account/2fa/recovery-codes/").status_code == 200
    change = client.get("/staff/account/password/")
    assert change.status_code == 200
    assert 'name="password1"' in change.content.decode()
    new = "another long passphrase 43"
    done = client.post(
        "/staff/account/password/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200  # still logged in after the change
    staff.user.refresh_from_db()
    assert staff.user.check_password(new)
