"""Staff actions of the assessment panel: assess, take back a carried assessment, link reports.

POST only; the services check the permission matrix (a refusal is a 403, audited by the staff
middleware) and every refusal for a reason the analyst can fix is shown, with nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can, require
from hotline.accounts.requests import staff_user as _staff
from hotline.assessment.forms import AssessmentForm, LinkForm, SchemeEditForm, VersionForm
from hotline.assessment.models import Assessment, SchemeVersion
from hotline.assessment.scheme import scheme_at, scheme_file_text, scheme_version_in_force
from hotline.assessment.selectors import (
    report_assessments,
    report_last_version,
    report_link_info,
)
from hotline.assessment.services import (
    AssessmentError,
    SchemeRefused,
    assess_report,
    assessment_carried_reject,
    report_mark_duplicate,
    report_merge,
    report_unlink,
    scheme_version_save,
)
from hotline.cases.services import CaseError
from hotline.intake.models import Report
from hotline.staff.helpers import _in_english


def assessment_panel(*, report: Report, user: User) -> dict[str, Any]:
    """Return what the assessment panel of a report's page shows."""
    current = Assessment.objects.filter(report=report, current=True).first()
    version = report_last_version(report=report)
    initial = dict(current.values) if current is not None else {}
    history = report_assessments(report=report)
    return {
        "history": history,
        "current": next((r for r in history if r.current), None),
        "version": version,
        "form": AssessmentForm(initial={"expected_version": version}, initial_values=initial),
        "link": report_link_info(report=report),
        "link_form": LinkForm(initial={"expected_state": report.status}),
        "may_classify": can(user, Action.CLASSIFY),
    }


def _back(report: Report) -> HttpResponse:
    url = reverse("staff:report_detail", kwargs={"public_id": report.public_id})
    return redirect(url + "#assessment")


def _refused(request: HttpRequest, report: Report, message: str, status: int = 409) -> HttpResponse:
    context = {"report": report, "message": message}
    return render(request, "assessment/refused.html", context, status=status)


def _errors(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@login_required
@require_POST
def assess(request: HttpRequest, public_id: str) -> HttpResponse:
    """Save an assessment of the report (the form names the version the analyst saw)."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    form = AssessmentForm(request.POST)
    if not form.is_valid():
        return _refused(request, report, "Nothing was saved: " + _errors(form), status=400)
    try:
        assess_report(
            actor=user,
            report=report,
            values=form.values(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except AssessmentError as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def carried_reject(request: HttpRequest, public_id: str) -> HttpResponse:
    """Take back a carried-forward assessment: "not the same picture or link"."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _refused(request, report, "Nothing was changed: " + _errors(form), status=400)
    try:
        assessment_carried_reject(
            actor=user, report=report, expected_version=form.cleaned_data["expected_version"]
        )
    except AssessmentError as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def link(request: HttpRequest, public_id: str) -> HttpResponse:
    """Mark the report a duplicate of another, or group it into another report's case."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _refused(request, report, "Nothing was changed: " + _errors(form), status=400)
    primary = Report.objects.filter(public_id=form.cleaned_data["primary"]).first()
    if primary is None:
        return _refused(request, report, "There is no report with that number.", status=400)
    try:
        if form.cleaned_data["kind"] == "duplicate":
            report_mark_duplicate(
                actor=user,
                report=report,
                primary=primary,
                expected_state=form.cleaned_data["expected_state"],
            )
        else:
            report_merge(actor=user, report=report, primary=primary)
    except (AssessmentError, CaseError) as exc:
        return _refused(request, report, str(exc))
    return _back(report)


@login_required
@require_POST
def unlink(request: HttpRequest, public_id: str) -> HttpResponse:
    """Undo a duplicate mark or a grouping."""
    user = _staff(request)
    report = get_object_or_404(Report, public_id=public_id)
    try:
        report_unlink(actor=user, report=report)
    except (AssessmentError, CaseError) as exc:
        return _refused(request, report, str(exc))
    return _back(report)


def _scheme_page(
    request: HttpRequest, form: SchemeEditForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    version = scheme_version_in_force()
    context = {
        "form": form,
        "error": error,
        "version": version,
        "scheme": scheme_at(version),
        "versions": SchemeVersion.objects.select_related("created_by").order_by("-version"),
        "saved": request.GET.get("saved") == "1",
    }
    return render(request, "assessment/scheme.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@_in_english
def scheme_edit(request: HttpRequest) -> HttpResponse:
    """The classification scheme for administrators: see it, save an edited version."""
    user = _staff(request)
    require(user, Action.MANAGE_SETTINGS)
    if request.method == "GET":
        version = scheme_version_in_force()
        text = (
            scheme_file_text() if version == 0 else SchemeVersion.objects.get(version=version).text
        )
        return _scheme_page(
            request, SchemeEditForm(initial={"text": text, "expected_version": version})
        )
    form = SchemeEditForm(request.POST)
    if not form.is_valid():
        return _scheme_page(request, form, error=_errors(form), status=400)
    try:
        scheme_version_save(
            actor=user,
            text=form.cleaned_data["text"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except SchemeRefused as exc:
        return _scheme_page(request, form, error=str(exc), status=400)
    return redirect(reverse("assessment:scheme") + "?saved=1", status=303)
