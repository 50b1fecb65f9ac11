"""What OpenHotline relies on in django-allauth beyond its settings: fails when it changes.

hotline.accounts.mfa calls allauth's TOTP helpers (internal modules) to compute and check
codes and to enrol accounts from the command line; the version is pinned to one minor release
in pyproject.toml. Codes are checked against RFC 6238's published test values, so the helpers
are held to the standard, not to themselves.
"""

from __future__ import annotations

import base64
import importlib.metadata

import pytest
from allauth.account.authentication import get_authentication_records
from allauth.mfa.base.views import AuthenticateView, ReauthenticateView
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.totp.views import ActivateTOTPView

from hotline.accounts import mfa
from hotline.accounts.services import staff_create

# RFC 6238, appendix B (SHA-1 secret "12345678901234567890"), last six digits of each value.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VALUES = {59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924"}


def test_allauth_is_the_pinned_minor_version() -> None:
    assert importlib.metadata.version("django-allauth").startswith("65.21.")


@pytest.mark.parametrize(("at", "code"), sorted(RFC_VALUES.items()))
def test_totp_code_matches_rfc_6238(at: int, code: str) -> None:
    assert mfa.totp_code(RFC_SECRET, at=at) == code


def test_allauth_accepts_the_codes_we_compute() -> None:
    secret = totp_auth.generate_totp_secret()
    assert totp_auth.validate_totp_code(secret, mfa.totp_code(secret))


def test_our_forms_are_the_ones_the_login_views_use() -> None:
    assert AuthenticateView().get_form_class() is mfa.AuthenticateForm
    assert ReauthenticateView().get_form_class() is mfa.ReauthenticateForm
    assert ActivateTOTPView().get_form_class() is mfa.ActivateTOTPForm


@pytest.mark.django_db
def test_command_line_enrolment_makes_what_allauth_reads() -> None:
    user = staff_create(username="cli", password="a long enough passphrase 42")
    secret = mfa.staff_totp_enroll(user=user)
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert mfa.totp_secret(totp) == secret
    assert totp.wrap().validate_code(mfa.totp_code(secret))
    codes = mfa.recovery_codes(user=user)
    assert len(codes) == 10
    assert isinstance(
        Authenticator.objects.get(user=user, type="recovery_codes").wrap(), RecoveryCodes
    )


def test_authentication_records_take_a_user() -> None:
    class _Request:
        session: dict[str, object] = {}

    assert get_authentication_records(_Request(), None) == []  # type: ignore[arg-type]
