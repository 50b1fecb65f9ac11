"""django-allauth adapter: no sign-up, no client address (only the in-memory token)."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.http import HttpRequest

from hotline.accounts.middleware import ENROLLED_HERE, has_totp
from hotline.core.middleware import client_token


class StaffAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Staff accounts are made by an administrator (`hotline createstaff`), never here."""
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        """Return the per-process token that stands for the client (allauth's rate limits).

        The address itself was dropped by PrivacyHeadersMiddleware before any view ran.
        """
        return client_token(request)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Ask for the password again before two-factor changes, except at forced enrolment.

        A member of staff without an authenticator is sent to enrol right after typing their
        password; asking for it again there, and again to see the recovery codes just made,
        protects nothing.
        """
        request = context.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            enrolled_at = request.session.get(ENROLLED_HERE)
            if not has_totp(request.user.pk):
                return False
            if (
                enrolled_at
                and time.time() - enrolled_at < account_settings.REAUTHENTICATION_TIMEOUT
            ):
                return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))
