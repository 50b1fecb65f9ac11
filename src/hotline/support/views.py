"""Support pages for caseworkers: thin; the selectors and services check the permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.accounts.requests import staff_user
from hotline.intake.models import Report
from hotline.support import forms, services
from hotline.support.models import SupportCase
from hotline.support.selectors import (
    follow_ups_due_count,
    support_case_get,
    support_case_page,
    support_case_rows,
)


class _SeeOther(HttpResponseRedirect):
    status_code = 303


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    show_all = request.GET.get("show") == "all"
    rows = support_case_rows(actor=actor, mine=not show_all)
    open_form = forms.OpenForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        if open_form.is_valid():
            report = Report.objects.filter(public_id=open_form.cleaned_data["report"]).first()
            if report is not None:
                case = services.support_case_open(actor=actor, report=report)
                return _SeeOther(reverse("support:case", args=[case.public_id]))
            error = "There is no report with that number."
        else:
            error = "Give the report's number as shown on its page."
        status = 400
    return render(
        request,
        "support/list.html",
        {
            "rows": rows,
            "show_all": show_all,
            "due": follow_ups_due_count(actor=actor),
            "open_form": open_form,
            "error": error,
            "may_manage": can(actor, Action.MANAGE_SUPPORT_CASES),
        },
        status=status,
    )


def _page(request: HttpRequest, case: SupportCase, status: int = 200, **extra: Any) -> HttpResponse:
    actor = staff_user(request)
    page = support_case_page(actor=actor, case=case)
    return render(
        request,
        "support/case.html",
        {
            "page": page,
            "may_manage": can(actor, Action.MANAGE_SUPPORT_CASES),
            "consent_form": forms.ConsentForm(),
            "referral_form": forms.ReferralForm(),
            "follow_up_form": forms.FollowUpForm(),
            "note_form": forms.NoteForm(),
            "close_form": forms.CloseForm(),
            "outcome_choices": forms.OutcomeForm().fields["outcome"].choices,  # type: ignore[attr-defined]
            "move_choices": forms.MoveForm().fields["to_state"].choices,  # type: ignore[attr-defined]
            **extra,
        },
        status=status,
    )


@login_required
def case_page(request: HttpRequest, public_id: str) -> HttpResponse:
    case = support_case_get(actor=staff_user(request), public_id=public_id)
    return _page(request, case)


def _assign(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    name = data["assignee"].strip()
    assignee = None
    if name:
        assignee = User.objects.filter(username=name).first()
        if assignee is None:
            raise services.SupportError("There is no caseworker with that user name.")
    services.support_case_assign(actor=actor, case=case, assignee=assignee)


def _consent(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.consent_record(
        actor=actor,
        case=case,
        contact_by=data["contact_by"],
        share_with_police=data["share_with_police"],
        share_with_service=data["share_with_service"],
    )


def _move(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.support_case_move(
        actor=actor, case=case, to_state=data["to_state"], expected=data["expected"]
    )


def _close(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.support_case_close(actor=actor, case=case, reason=data["reason"])


def _refer(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.referral_make(actor=actor, case=case, service=data["service"])


def _outcome(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.referral_outcome_set(
        actor=actor, case=case, referral_id=data["referral"], outcome=data["outcome"]
    )


def _follow_up(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.follow_up_add(actor=actor, case=case, due_on=data["due_on"])


def _follow_up_done(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.follow_up_done(actor=actor, case=case, follow_up_id=str(data["follow_up"]))


def _note(actor: User, case: SupportCase, data: dict[str, Any]) -> None:
    services.note_add(actor=actor, case=case, body=data["body"])


Run = Callable[[User, SupportCase, dict[str, Any]], None]
ACTIONS: dict[str, tuple[type[Any], Run]] = {
    "assign": (forms.AssignForm, _assign),
    "move": (forms.MoveForm, _move),
    "close": (forms.CloseForm, _close),
    "consent": (forms.ConsentForm, _consent),
    "refer": (forms.ReferralForm, _refer),
    "outcome": (forms.OutcomeForm, _outcome),
    "follow-up": (forms.FollowUpForm, _follow_up),
    "follow-up-done": (forms.FollowUpDoneForm, _follow_up_done),
    "note": (forms.NoteForm, _note),
}


@login_required
@require_POST
def case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    actor = staff_user(request)
    case = support_case_get(actor=actor, public_id=public_id)
    form_class, run = ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        errors = [f"{field}: {' '.join(e)}" for field, e in form.errors.items()]
        return _page(request, case, status=400, error=" ".join(errors))
    try:
        run(actor, case, form.cleaned_data)
    except services.SupportError as refused:
        return _page(request, case, status=400, error=str(refused))
    return _SeeOther(reverse("support:case", args=[case.public_id]))
