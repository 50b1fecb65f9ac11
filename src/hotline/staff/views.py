"""Staff pages: the triage queue and a report's page, with the case panel of hotline.cases."""

from __future__ import annotations

from dataclasses import replace

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hotline.accounts.permissions import Action, can, require
from hotline.accounts.requests import staff_user as _user
from hotline.assessment.selectors import queue_marks
from hotline.assessment.views import assessment_panel
from hotline.cases.views import case_panel
from hotline.entities.models import EscrowedIdentifier, ReportEntity
from hotline.entities.pages import access_report_entity, report_entity_rows
from hotline.entities.services import EntityInputError, report_entity_add, report_entity_decide
from hotline.intake.models import Report
from hotline.intake.selectors import message_body
from hotline.intake.services import staff_message_send
from hotline.staff.casework import casework_panel, reply_initial
from hotline.staff.helpers import _in_english, report_url
from hotline.staff.paging import page_of
from hotline.staff.selectors import (
    access_report,
    report_details_for,
    report_files_for,
    report_queue,
)
from hotline.takedown.removal import report_removal_summary
from hotline.takedown.views import notices_panel
from hotline.triage.forms import QueueFilterForm
from hotline.triage.selectors import queue_row
from hotline.viewing.selectors import evidence_panel


class StaffMessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)


class EntityAddForm(forms.Form):
    identifier = forms.CharField(
        label="Add an identifier (a link, handle, phone number, e-mail, wallet or account)",
        max_length=2000,
    )


class EntityDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(ReportEntity.State.CONFIRMED, "confirm"), (ReportEntity.State.REJECTED, "reject")]
    )


@login_required
@_in_english
def report_list(request: HttpRequest) -> HttpResponse:
    """Show the triage queue: reports worst first, filtered by the GET parameters."""
    user = _user(request)
    form = QueueFilterForm(request.GET)
    if not can(user, Action.VIEW_NARRATIVE):
        if request.GET.get("q"):
            require(user, Action.VIEW_NARRATIVE)  # refused: searching reads what reports say
        del form.fields["q"]
    if not form.is_valid():
        report_queue(user, {})  # the permission check, before any answer
        context: dict[str, object] = {"form": form, "page": None, "rows": [], "query": ""}
        return render(request, "staff/report_list.html", context, status=400)
    page = page_of(report_queue(user, form.cleaned_data), request.GET.get("page"), per_page=50)
    query = request.GET.copy()
    query.pop("page", None)
    marks = queue_marks([report.pk for report in page])
    context = {
        "form": form,
        "page": page,
        "rows": [replace(queue_row(report), marks=marks.get(report.pk, "")) for report in page],
        "query": query.urlencode(),
        "searching": bool(form.cleaned_data.get("q")),
        "deadline_hours": settings.HOTLINE_TRIAGE_DEADLINE_HOURS,
    }
    return render(request, "staff/report_list.html", context)


@login_required
@_in_english
def report_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show one report decrypted, and let staff message the reporter."""
    report = access_report(_user(request), public_id)
    form = StaffMessageForm(request.POST or None, initial=reply_initial(request, report))
    if request.method == "POST" and form.is_valid():
        staff_message_send(actor=_user(request), report=report, body=form.cleaned_data["body"])
        return redirect("staff:report_detail", public_id=report.public_id)
    return _detail(request, report, form=form)


def _detail(
    request: HttpRequest,
    report: Report,
    *,
    form: StaffMessageForm | None = None,
    entity_form: EntityAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    messages = [(m, message_body(m)) for m in report.messages.all()]
    row = queue_row(report)
    escrow_states = sorted(
        str(EscrowedIdentifier.State(state).label)
        for state in report.escrowed_identifiers.values_list("state", flat=True)
    )
    context = {
        "report": report,
        "case": case_panel(report=report, user=_user(request)),
        "why": row.reasons,
        "labels": row,
        "details": report_details_for(_user(request), report),
        "messages": messages,
        "files": report_files_for(_user(request), report),
        "hashes": report.hashes.all(),
        "form": form or StaffMessageForm(),
        "entities": report_entity_rows(report),
        "entity_form": entity_form or EntityAddForm(),
        "escrow_states": escrow_states,
        "casework": casework_panel(report=report, user=_user(request)),
        # Assessment, links between reports and safe evidence viewing (own apps, own partials).
        "assessment": assessment_panel(report=report, user=_user(request)),
        "viewing": evidence_panel(user=_user(request), report=report),
        "notices": notices_panel(report=report, user=_user(request)),
        "removal": report_removal_summary(report),
    }
    return render(request, "staff/report_detail.html", context, status=status)


@login_required
@require_POST
def report_entity_new(request: HttpRequest, public_id: str) -> HttpResponse:
    """Link an identifier an analyst typed to the report (confirmed, audited)."""
    user = _user(request)
    report = access_report(user, public_id)
    form = EntityAddForm(request.POST)
    if form.is_valid():
        try:
            report_entity_add(report=report, text=form.cleaned_data["identifier"], actor=user)
        except EntityInputError as exc:
            form.add_error("identifier", str(exc))
        else:
            return redirect(f"{report_url(report)}#entities")
    return _detail(request, report, entity_form=form, status=400)


@login_required
@require_POST
def report_entity_decision(request: HttpRequest, public_id: str, link_id: int) -> HttpResponse:
    """Confirm or reject an extracted identifier of the report (audited)."""
    user = _user(request)
    report = access_report(user, public_id)
    link = access_report_entity(user, report, link_id)
    form = EntityDecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, report, status=400)
    report_entity_decide(link=link, state=form.cleaned_data["decision"], actor=user)
    return redirect(f"{report_url(report)}#entities")
