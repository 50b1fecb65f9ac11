"""Staff accounts for tests: create, enrol TOTP (as `hotline demo` does) and log in for real.

Logging in goes through the same pages as a person: the password form, then the code form.
Codes come from the authenticator's secret like an app computes them; each step serves once
(the server refuses a reused code), so a `Device` hands out the codes of the next unused step
within the server's tolerance (one step either side): three logins per 30 seconds per account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from hotline.accounts.mfa import staff_totp_enroll, totp_code, totp_step
from hotline.accounts.models import User
from hotline.accounts.services import staff_create

PASSWORD = "a long enough passphrase 42"
LOGIN_URL = "/staff/login/"
CODE_URL = "/staff/account/2fa/authenticate/"
PERIOD = 30


@dataclass
class Device:
    """An authenticator app holding one account's TOTP secret."""

    secret: str
    used: set[int] = field(default_factory=set)

    def code(self) -> str:
        """Return a code of a step not used yet (now, or the next step)."""
        now = totp_step()
        for step in (now, now + 1):
            if step not in self.used:
                self.used.add(step)
                return totp_code(self.secret, at=step * PERIOD)
        raise AssertionError("this test logs in more than twice in 30 s as one account")


@dataclass
class Staff:
    user: User
    password: str
    device: Device


def make_staff(username: str = "analyst", *, password: str = PASSWORD, **kwargs: object) -> Staff:
    """Create a staff account with TOTP enrolled (kwargs go to `staff_create`)."""
    user = staff_create(username=username, password=password, **kwargs)  # type: ignore[arg-type]
    return Staff(user=user, password=password, device=Device(staff_totp_enroll(user=user)))


def log_in(client: Client, staff: Staff) -> None:
    """Log `client` in as `staff`: password, then a TOTP code."""
    first = client.post(LOGIN_URL, {"login": staff.user.username, "password": staff.password})
    assert (first.status_code, first.get("Location")) == (302, CODE_URL), first
    second = client.post(CODE_URL, {"code": staff.device.code()})
    assert second.status_code == 302, second.content.decode()[:2000]


def staff_client(username: str = "analyst", **kwargs: object) -> tuple[Client, Staff]:
    """Return a client logged in as a new staff account."""
    staff = make_staff(username, **kwargs)
    client = Client()
    log_in(client, staff)
    return client, staff


def browser_log_in(page: Any, base_url: str, staff: Staff) -> None:
    """Log a Playwright page in as `staff` (enrolled): password, then a code."""
    page.goto(f"{base_url}{LOGIN_URL}")
    page.fill("input[name=login]", staff.user.username)
    page.fill("input[name=password]", staff.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{CODE_URL}")
    page.fill("input[name=code]", staff.device.code())
    page.click("button[type=submit] >> text=Log in")
    page.wait_for_url(f"{base_url}/staff/")
