"""The staff-only part of a report's page: notes, attachments, sub-status, reply templates.

Kept apart from hotline.staff.views (which includes `casework_panel` in the report page's
context and `reply_initial` in its message box) and from the template's other blocks
(staff/_casework.html, staff/_reply_box.html). Writes go to hotline.cases.notes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.accounts.requests import staff_user as _user
from hotline.cases.lists import reply_template_text, reply_templates, sub_status_label, sub_statuses
from hotline.cases.models import CaseAttachment, SubStatus
from hotline.cases.notes import (
    MAX_NOTE_CHARS,
    attachment_add,
    attachment_filename,
    attachment_max_bytes,
    attachment_read,
    note_add,
    note_body,
    sub_status_set,
)
from hotline.cases.services import CaseError
from hotline.intake.models import Report
from hotline.staff.helpers import _in_english, report_url
from hotline.staff.selectors import access_report


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Staff-only note (the reporter never sees it)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NOTE_CHARS,
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Attach a file for staff (PDF, PNG, JPEG or text)")


class SubStatusForm(forms.Form):
    code = forms.CharField(max_length=32, required=False)


def casework_panel(*, report: Report, user: User) -> dict[str, Any]:
    """Return what the staff-only block of a report's page shows (decrypted, labels)."""
    sub = SubStatus.objects.filter(report=report).select_related("set_by").first()
    notes = report.staff_notes.select_related("author")
    attachments = report.staff_attachments.select_related("author")
    return {
        "notes": [(n, note_body(n)) for n in notes],
        "attachments": [(a, attachment_filename(a)) for a in attachments],
        "sub_status": sub_status_label(sub.code) if sub is not None else "",
        "sub_status_code": sub.code if sub is not None else "",
        "sub_status_by": sub.set_by.get_username() if sub is not None else "",
        "sub_statuses": list(sub_statuses().items()),
        "may_add": can(user, Action.ADD_NOTE),
        "note_form": NoteForm(),
        "attachment_form": AttachmentForm(),
        "max_mb": attachment_max_bytes() // (1024 * 1024),
        "templates": [(t.key, t.title) for t in reply_templates()],
    }


def reply_initial(request: HttpRequest, report: Report) -> dict[str, str]:
    """Return the message box's initial text: the chosen template in the report's language."""
    key = request.GET.get("template", "")[:40]
    text = reply_template_text(key, report.language) if key else None
    return {"body": text} if text is not None else {}


def _refused(request: HttpRequest, report: Report, message: str) -> HttpResponse:
    return render(request, "cases/refused.html", {"report": report, "message": message}, status=400)


@login_required
@_in_english
@require_POST
def note_new(request: HttpRequest, public_id: str) -> HttpResponse:
    """Add a staff-only note to the report."""
    user = _user(request)
    report = access_report(user, public_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, report, "The note could not be saved: " + form.errors.as_text())
    try:
        note_add(actor=user, report=report, body=form.cleaned_data["body"])
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return redirect(f"{report_url(report)}#staff-notes")


@login_required
@_in_english
@require_POST
def attachment_new(request: HttpRequest, public_id: str) -> HttpResponse:
    """Attach a staff-only file to the report (encrypted; type and size checked)."""
    user = _user(request)
    report = access_report(user, public_id)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, report, "Choose a file to attach.")
    upload = form.cleaned_data["file"]
    if upload.size is None or upload.size > attachment_max_bytes():
        return _refused(
            request,
            report,
            f"The file is too large (at most {attachment_max_bytes() // 2**20} MB).",
        )
    try:
        attachment_add(actor=user, report=report, filename=upload.name or "", data=upload.read())
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return redirect(f"{report_url(report)}#staff-notes")


@login_required
@require_GET
def attachment_download(request: HttpRequest, public_id: str, attachment_id: str) -> HttpResponse:
    """Send a staff attachment as a download, never rendered in the page (audited)."""
    user = _user(request)
    report = access_report(user, public_id)
    record = get_object_or_404(CaseAttachment, report=report, public_id=attachment_id)
    data = attachment_read(actor=user, record=record)
    response = HttpResponse(data, content_type=record.content_type)
    name = attachment_filename(record)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
@_in_english
@require_POST
def sub_status_change(request: HttpRequest, public_id: str) -> HttpResponse:
    """Set or clear the report's internal sub-status."""
    user = _user(request)
    report = access_report(user, public_id)
    form = SubStatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, report, "Choose a sub-status from the list.")
    try:
        sub_status_set(actor=user, report=report, code=form.cleaned_data["code"])
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return redirect(f"{report_url(report)}#staff-notes")
