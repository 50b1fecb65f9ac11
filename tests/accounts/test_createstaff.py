"""`hotline createstaff --role`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from hotline.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_STAFF_PASSWORD", "a long enough passphrase 42")


@pytest.mark.parametrize(
    "role", ["analyst", "senior_analyst", "caseworker", "liaison", "administrator"]
)
def test_createstaff_gives_the_role_asked_for(role: str) -> None:
    call_command("createstaff", "bo", "--role", role)
    user = User.objects.get(username="bo")
    assert (user.role, user.is_staff, user.is_superuser) == (role, True, False)


def test_createstaff_defaults_to_analyst_and_admin_means_administrator() -> None:
    call_command("createstaff", "plain")
    call_command("createstaff", "boss", "--admin")
    assert User.objects.get(username="plain").role == "analyst"
    boss = User.objects.get(username="boss")
    assert (boss.role, boss.is_superuser) == ("administrator", True)


def test_createstaff_refuses_an_unknown_role() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("createstaff", "x", "--role", "janitor")
    assert not User.objects.filter(username="x").exists()
