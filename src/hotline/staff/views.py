"""Minimal staff pages: report list and detail (the full workspace is the triage app's)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hotline.accounts.models import User
from hotline.intake.models import Message
from hotline.intake.services import message_add, message_body, report_details
from hotline.staff.selectors import access_report, report_queue


class StaffMessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """List reports, worst first."""
    page = Paginator(report_queue(_user(request)), 50).get_page(request.GET.get("page"))
    return render(request, "staff/report_list.html", {"page": page})


@login_required
def report_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show one report decrypted, and let staff message the reporter."""
    report = access_report(_user(request), public_id)
    form = StaffMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        message_add(report=report, author=Message.Author.STAFF, body=form.cleaned_data["body"])
        return redirect("staff:report_detail", public_id=report.public_id)
    messages = [(m, message_body(m)) for m in report.messages.all()]
    context = {
        "report": report,
        "details": report_details(report),
        "messages": messages,
        "files": report.files.all(),
        "hashes": report.hashes.all(),
        "form": form,
    }
    return render(request, "staff/report_detail.html", context)
