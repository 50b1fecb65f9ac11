"""Staff pages: platform scorecards (with CSV) and the URL list for blocking (new versions).

Thin: the services check the permission matrix (view_scorecards, export_url_list) and audit.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from hotline.accounts.permissions import Action, require
from hotline.accounts.requests import staff_user
from hotline.takedown.scorecards import (
    EARLIEST,
    ScorecardRangeError,
    date_range_check,
    platform_scorecards,
    scorecards_export,
)
from hotline.takedown.urllist import FORMATS, url_list_exports, url_list_issue


class PeriodForm(forms.Form):
    first_day = forms.DateField(
        required=False, label="From (first day)", input_formats=["%Y-%m-%d"]
    )
    last_day = forms.DateField(required=False, label="To (last day)", input_formats=["%Y-%m-%d"])
    first_day.widget.input_type = "date"
    last_day.widget.input_type = "date"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                cleaned["period"] = date_range_check(
                    cleaned.get("first_day"), cleaned.get("last_day"), today=timezone.now().date()
                )
            except ScorecardRangeError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(f, f.upper()) for f in FORMATS], initial="csv")


@login_required
@require_GET
def scorecards(request: HttpRequest) -> HttpResponse:
    """The scorecards table for a date range (default the last 90 days); ?download=csv."""
    user = staff_user(request)
    require(user, Action.VIEW_SCORECARDS)
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        context: dict[str, Any] = {"form": form, "cards": None, "earliest": EARLIEST}
        return render(request, "takedown/scorecards/scorecards.html", context, status=400)
    period = (
        form.cleaned_data["period"]
        if request.GET
        else date_range_check(None, None, today=timezone.now().date())
    )
    if request.GET.get("download") == "csv":
        text = scorecards_export(actor=user, period=period, now=timezone.now())
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        name = f"scorecards-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    cards = platform_scorecards(actor=user, period=period, now=timezone.now())
    if not request.GET:
        form = PeriodForm(initial={"first_day": period.first_day, "last_day": period.last_day})
    context = {"form": form, "cards": cards, "period": period}
    return render(request, "takedown/scorecards/scorecards.html", {**context})


@login_required
@require_http_methods(["GET", "POST"])
def url_list(request: HttpRequest) -> HttpResponse:
    """Issued versions; POST issues a new version and downloads it (list, or its manifest)."""
    user = staff_user(request)
    exports = url_list_exports(actor=user)
    if request.method == "GET":
        context = {"form": ExportForm(), "exports": exports}
        return render(request, "takedown/scorecards/url_list.html", context)
    form = ExportForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "exports": exports}
        return render(request, "takedown/scorecards/url_list.html", context, status=400)
    issued = url_list_issue(actor=user, fmt=form.cleaned_data["format"])
    # One download holds both files as signed: the list and its manifest.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(issued.filename, issued.body)
        archive.writestr(issued.filename + ".sig", issued.manifest)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="url-list-v{issued.export.version}.zip"'
    )
    return response
