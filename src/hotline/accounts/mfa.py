"""Two-factor login on top of django-allauth's MFA: one-use TOTP codes, enrolment, lockout.

allauth checks TOTP codes and remembers used ones in Django's cache, which is one per web
process here (and forgets after one period): a code could be replayed on the other process.
The forms below add RFC 6238's rule on top, in the database: a code is accepted only for a
time step later than the last accepted one (`TotpStep`). They also refuse codes while
django-axes has the account locked, and count a wrong code as a failed login, so guessing
codes locks the account like guessing passwords.

Uses allauth's TOTP helpers (`allauth.mfa.totp.internal.auth`); the version is pinned to one
minor release and tests/accounts/test_allauth_contract.py fails if they change.
"""

from __future__ import annotations

import time

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as AllauthReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from hotline.accounts.models import TotpStep, User
from hotline.audit.services import audit_record


def totp_step(at: float | None = None) -> int:
    """Return the TOTP time step (counter) at `at` (default: now)."""
    return int(time.time() if at is None else at) // int(settings.MFA_TOTP_PERIOD)


def totp_code(secret: str, *, at: float | None = None) -> str:
    """Return the TOTP code of a base32 secret at `at` (default: now), as an app shows it."""
    return str(totp_auth.format_hotp_value(totp_auth.hotp_value(secret, totp_step(at))))


def totp_secret(authenticator: Authenticator) -> str:
    """Return the base32 secret of a TOTP authenticator (sensitive: a second factor)."""
    from allauth.mfa.utils import decrypt

    return str(decrypt(authenticator.data["secret"]))


@transaction.atomic
def staff_totp_enroll(*, user: User) -> str:
    """Give `user` a TOTP authenticator and recovery codes; return the secret (show it once).

    For accounts made from the command line (the demo): staff normally enrol on the web,
    where allauth shows the QR code. Raise ValueError if the user has TOTP already.
    """
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise ValueError("this account has an authenticator already")
    secret = str(totp_auth.generate_totp_secret())
    totp_auth.TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    audit_record(actor=None, action="staff.totp_enrol", target_type="user", target_id=user.pk)
    return secret


def recovery_codes(*, user: User) -> list[str]:
    """Return the user's unused recovery codes (sensitive)."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return list(RecoveryCodes(authenticator).get_unused_codes())


def _matching_step(secret: str, code: str) -> int | None:
    """Return the newest time step near now whose code is `code`, if any.

    Looks one step further on each side than allauth's tolerance, in case the clock ticked
    between allauth's check and this one.
    """
    now = totp_step()
    reach = int(settings.MFA_TOTP_TOLERANCE) + 1
    steps = [
        step
        for step in range(now - reach, now + reach + 1)
        if totp_auth.format_hotp_value(totp_auth.hotp_value(secret, step)) == code.strip()
    ]
    return max(steps) if steps else None


def totp_step_accept(*, authenticator: Authenticator, code: str) -> bool:
    """Record `code` as used and return True, or False if its step (or a later) was used.

    Called after allauth accepted the code.
    """
    step = _matching_step(totp_secret(authenticator), code)
    if step is None:
        return False
    if TotpStep.objects.filter(authenticator=authenticator, last_step__lt=step).update(
        last_step=step
    ):
        return True
    try:
        with transaction.atomic():
            _, created = TotpStep.objects.get_or_create(
                authenticator=authenticator, defaults={"last_step": step}
            )
    except IntegrityError:  # another process recorded this authenticator's first code
        return False
    return bool(created)


ENROL_STEP = "_hotline_totp_enrol_step"


def totp_step_start(*, authenticator: Authenticator, request: HttpRequest) -> None:
    """Mark the step of the code typed at enrolment used (`ActivateTOTPForm` noted it on the
    request; without it, every step allauth would accept now)."""
    step = getattr(request, ENROL_STEP, None)
    if step is None:
        step = totp_step() + int(settings.MFA_TOTP_TOLERANCE)
    TotpStep.objects.update_or_create(authenticator=authenticator, defaults={"last_step": step})


def _locked(request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, credentials={"username": user.username}))


class _OneUseCode:
    """Mixin for allauth's code forms: lockout first, then one use per TOTP step."""

    user: User
    authenticator: Authenticator

    def clean_code(self) -> str:
        from allauth.core import context

        request = context.request
        if _locked(request, self.user):
            raise get_mfa_adapter().validation_error("incorrect_code")
        try:
            code = str(super().clean_code())  # type: ignore[misc]
        except ValidationError:
            # A wrong code counts against the account like a wrong password (django-axes).
            user_login_failed.send(
                sender=type(self),
                credentials={"username": self.user.username},
                request=request,
            )
            raise
        if self.authenticator.type == Authenticator.Type.TOTP and not totp_step_accept(
            authenticator=self.authenticator, code=code
        ):
            audit_record(
                actor=self.user, action="staff.totp_reused", target_type="user", target_id=""
            )
            raise get_mfa_adapter().validation_error("incorrect_code")
        return code


class ActivateTOTPForm(AllauthActivateTOTPForm):  # type: ignore[misc]
    """Enrolment: note which step the typed code belonged to (see `totp_step_start`)."""

    def clean_code(self) -> str:
        from allauth.core import context

        code = str(super().clean_code())
        setattr(context.request, ENROL_STEP, _matching_step(self.secret, code))
        return code


class AuthenticateForm(_OneUseCode, AllauthAuthenticateForm):  # type: ignore[misc]
    """The second step of logging in."""


class ReauthenticateForm(_OneUseCode, AllauthReauthenticateForm):  # type: ignore[misc]
    """Confirming one's identity again before changing two-factor settings."""
