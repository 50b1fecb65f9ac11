"""Staff pages: the audit viewer and a report's chain-of-custody record (thin: reads elsewhere)."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hotline.accounts.permissions import Action, require
from hotline.accounts.requests import staff_user as _user
from hotline.audit.checkpoints import CheckpointError, checkpoint_newest
from hotline.audit.custody import custody_html, custody_record, report_by_reference
from hotline.audit.selectors import EventFilters, audit_events_page, verification_latest
from hotline.audit.verification import audit_verify_request


class EventFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=80)
    target_type = forms.CharField(required=False, max_length=80)
    target_id = forms.CharField(required=False, max_length=80)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


@login_required
def events(request: HttpRequest) -> HttpResponse:
    """List audit events newest first, filtered, a keyset page at a time."""
    user = _user(request)
    require(user, Action.VIEW_AUDIT)
    form = EventFilterForm(request.GET)
    form.is_valid()  # an invalid filter is left out (and named on the page); the rest apply
    data = form.cleaned_data
    filters = EventFilters(
        actor=data.get("actor", ""),
        action=data.get("action", ""),
        target_type=data.get("target_type", ""),
        target_id=data.get("target_id", ""),
        since=data.get("since"),
        until=data.get("until"),
    )
    page = audit_events_page(user, filters, before=data.get("before"))
    query = request.GET.copy()
    if page.next_before is not None:
        query["before"] = str(page.next_before)
    try:
        checkpoint, checkpoint_error = checkpoint_newest(), ""
    except CheckpointError as exc:
        checkpoint, checkpoint_error = None, str(exc)
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "page": page,
            "next_query": query.urlencode() if page.next_before is not None else "",
            "run": verification_latest(),
            "checkpoint": checkpoint,
            "checkpoint_error": checkpoint_error,
            "queued": "queued" in request.GET,
        },
    )


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    """Queue a full verification; the page shows its outcome when a worker has run it."""
    audit_verify_request(actor=_user(request))
    return redirect(f"{reverse('audit:events')}?queued=1")


@login_required
def custody(request: HttpRequest, reference: str) -> HttpResponse:
    """Return a report's chain-of-custody record, HTML or (?format=json) a JSON download."""
    user = _user(request)
    require(user, Action.EXPORT)
    report = report_by_reference(reference)
    if report is None:
        raise Http404("no such report")
    record = custody_record(report=report, actor=user)
    if request.GET.get("format") == "json":
        response = HttpResponse(
            json.dumps(record, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="custody-{report.public_id}.json"'
        return response
    # A document to keep and open offline (its own inline style, no links): a download, never
    # a page rendered under the staff site's CSP.
    response = HttpResponse(custody_html(record))
    response["Content-Disposition"] = f'attachment; filename="custody-{report.public_id}.html"'
    return response
