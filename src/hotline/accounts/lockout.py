"""django-axes hooks: lock accounts by name only, never look at or keep an address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def no_address(request: HttpRequest) -> None:
    """Give axes no client address (the privacy middleware dropped it; axes stores none)."""
    return None


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the name a login attempt was for (allauth posts it as `login`)."""
    if credentials:
        name = credentials.get("username") or credentials.get("login")
        if name:
            return str(name)
    return str(request.POST.get("login") or request.POST.get("username") or "")


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """Answer every locked name alike, whether or not such an account exists (429)."""
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": settings.HOTLINE_STAFF_LOCKOUT_MINUTES},
        status=429,
    )
