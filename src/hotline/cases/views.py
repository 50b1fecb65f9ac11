"""Staff actions on a report's case: change its state, claim, release, assign (POST only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.accounts.requests import staff_user as _staff
from hotline.cases.forms import AssignForm, StateChangeForm
from hotline.cases.models import ReplyWaiting
from hotline.cases.selectors import report_assignment, report_history
from hotline.cases.services import (
    CaseError,
    report_assign,
    report_claim,
    report_release,
    report_reply_handled,
    report_state_change,
)
from hotline.cases.workflow import next_states
from hotline.intake.models import Report


def case_panel(*, report: Report, user: User) -> dict[str, Any]:
    """Return what the case panel of a report's page shows (labels, not codes)."""
    assignment = report_assignment(report=report)
    staff = User.objects.filter(is_active=True, is_staff=True).order_by("username")
    return {
        "state_label": report.get_status_display(),
        "next_states": [(s.value, str(s.label)) for s in next_states(report.status)],
        "assignee": assignment.assignee if assignment is not None else None,
        "mine": assignment is not None and assignment.assignee_id == getattr(user, "pk", None),
        "history": report_history(report=report),
        "staff": list(staff.values_list("username", flat=True)),
        "state_form": StateChangeForm(initial={"expected_state": report.status}),
        "may_change_state": can(user, Action.CHANGE_STATUS),
        "may_claim": can(user, Action.CLAIM),
        "may_assign": can(user, Action.ASSIGN),
        "reply_waiting": ReplyWaiting.objects.filter(report=report).first(),
        "may_handle_reply": can(user, Action.VIEW_NARRATIVE),
    }


def _back(report: Report) -> HttpResponse:
    return redirect(
        reverse("staff:report_detail", kwargs={"public_id": report.public_id}) + "#case"
    )


def _refused(request: HttpRequest, report: Report, message: str) -> HttpResponse:
    context = {"report": report, "message": message}
    return render(request, "cases/refused.html", context, status=409)


@login_required
@require_POST
def report_state(request: HttpRequest, public_id: str) -> HttpResponse:
    """Change a report's state (the form names the state the analyst saw)."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    form = StateChangeForm(request.POST)
    if not form.is_valid():
        return _refused(request, report, "This change could not be read: " + form.errors.as_text())
    try:
        report_state_change(
            actor=user,
            report_id=report.pk,
            expected_state=form.cleaned_data["expected_state"],
            to_state=form.cleaned_data["to_state"],
            note=form.cleaned_data["note"],
        )
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def report_claim_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Assign a report to the analyst who clicked."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    try:
        report_claim(actor=user, report_id=report.pk)
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def report_release_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Leave a report unassigned."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    try:
        report_release(actor=user, report_id=report.pk)
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def report_assign_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Assign a report to a named staff member."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    form = AssignForm(request.POST)
    assignee = None
    if form.is_valid():
        assignee = User.objects.filter(username=form.cleaned_data["assignee"]).first()
    if assignee is None:
        return _refused(request, report, "Choose a staff member to assign this report to.")
    try:
        report_assign(actor=user, report_id=report.pk, assignee=assignee)
    except CaseError as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def report_reply_handled_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Say the reporter's reply has been dealt with: the report leaves the queue's attention."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    if not report_reply_handled(actor=user, report_id=report.pk):
        return _refused(request, report, "No reply from the reporter is waiting on this report.")
    return _back(report)
