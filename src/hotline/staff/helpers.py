"""Small helpers shared by the staff views (kept apart so other staff modules import them
without importing the views)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation

from hotline.intake.models import Report


def _in_english(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render a staff page in English (closed-list labels and form errors included).

    The public side is Khmer first; staff pages are English (docs/decisions/i18n.md).
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("en"):
            response = view(request, *args, **kwargs)
            if isinstance(response, TemplateResponse):
                response.render()
            return response

    return wrapped


def report_url(report: Report) -> str:
    return reverse("staff:report_detail", kwargs={"public_id": report.public_id})
