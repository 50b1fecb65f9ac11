"""Safety advice pages, reachable on their own and after a report."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from hotline.core.selectors import emergency_contacts

PAGES = {"extortion", "parents", "evidence"}


def index(request: HttpRequest) -> HttpResponse:
    """List the guidance pages."""
    return render(request, "guidance/index.html", {"contacts": emergency_contacts()})


def page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show one guidance page."""
    if slug not in PAGES:
        raise Http404
    return render(request, f"guidance/{slug}.html", {"contacts": emergency_contacts()})
