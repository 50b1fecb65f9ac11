"""Site-wide views: CSRF failure, errors, health."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a missing or stale form token in plain words; nothing was saved."""
    return render(request, "core/csrf_failure.html", status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database answers (for load balancers)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render a plain 400 page."""
    return render(request, "core/error.html", {"status": 400}, status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render a plain 404 page."""
    return render(request, "core/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Render a plain 500 page."""
    return render(request, "core/error.html", {"status": 500}, status=500)
