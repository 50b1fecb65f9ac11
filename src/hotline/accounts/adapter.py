"""django-allauth adapter: no sign-up, no client address (only the in-memory token)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

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
