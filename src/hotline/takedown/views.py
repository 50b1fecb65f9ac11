"""Notice pages: send from a report, the text to paste, answers, and the Notices list."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can, require
from hotline.accounts.requests import staff_user as _user
from hotline.directory.models import Platform
from hotline.intake.models import Report
from hotline.staff.helpers import _in_english
from hotline.staff.paging import page_of
from hotline.takedown import notices as words
from hotline.takedown.forms import (
    AnswerForm,
    ForwardForm,
    NoticeCreateForm,
    NoticeFilterForm,
    SubmittedForm,
)
from hotline.takedown.models import Notice
from hotline.takedown.selectors import (
    notice_answer,
    notice_body,
    notice_candidates,
    notices_list,
    partner_choices,
    report_notices,
)
from hotline.takedown.services import (
    NoticeError,
    notice_answer_record,
    notice_cancel,
    notice_retry,
    notice_submitted,
    notices_create,
    report_forward,
)


def _see_other(name: str, public_id: object) -> HttpResponse:
    response = redirect(name, public_id=public_id)
    response.status_code = 303
    return response


def _report(actor: User, public_id: str) -> Report:
    require(actor, Action.SEND_NOTICES)
    return get_object_or_404(Report, public_id=public_id)


def _notice(actor: User, public_id: str) -> Notice:
    require(actor, Action.SEND_NOTICES)
    return get_object_or_404(
        Notice.objects.select_related("report", "platform", "partner", "follows"),
        public_id=public_id,
    )


def notices_panel(*, report: Report, user: User) -> dict[str, Any] | None:
    """The report page's notices section (None for roles that do not send notices)."""
    if not can(user, Action.SEND_NOTICES):
        return None
    groups = notice_candidates(actor=user, report=report)
    candidates = [c for g in groups for c in g.candidates]
    partners, abroad = partner_choices(actor=user, report=report)
    return {
        "groups": groups,
        "form": NoticeCreateForm(candidates=candidates, initial={"language": "en"}),
        "forward_form": ForwardForm(candidates=candidates, partners=partners),
        "abroad": abroad,
        "partners": partners,
        "notices": [(n, _reference(n)) for n in report_notices(actor=user, report=report)],
    }


def _reference(notice: Notice) -> str:
    prefix = "OH-F" if notice.kind == Notice.Kind.FORWARD else "OH-N"
    return words.notice_reference(notice.public_id, prefix=prefix)


def _report_page(
    request: HttpRequest,
    report: Report,
    *,
    form: NoticeCreateForm | None = None,
    forward_form: ForwardForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    panel = notices_panel(report=report, user=_user(request))
    assert panel is not None
    if form is not None:
        panel["form"] = form
    if forward_form is not None:
        panel["forward_form"] = forward_form
    return render(
        request,
        "takedown/report_notices.html",
        {"report": report, "panel": panel, "error": error},
        status=status,
    )


@login_required
@_in_english
def report_notices_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """A report's notices: what can be noticed, where it goes, and what was sent."""
    return _report_page(request, _report(_user(request), public_id))


@login_required
@_in_english
@require_POST
def notice_new(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _user(request)
    report = _report(actor, public_id)
    candidates = [c for g in notice_candidates(actor=actor, report=report) for c in g.candidates]
    form = NoticeCreateForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _report_page(request, report, form=form, status=400)
    try:
        created = notices_create(
            actor=actor,
            report_id=report.pk,
            entity_ids=form.entity_ids(),
            language=form.cleaned_data["language"],
        )
    except NoticeError as exc:
        return _report_page(request, report, form=form, error=str(exc), status=400)
    if len(created.notices) == 1:
        return _see_other("takedown:notice", created.notices[0].public_id)
    return _see_other("takedown:report", report.public_id)


@login_required
@_in_english
@require_POST
def forward_new(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _user(request)
    report = _report(actor, public_id)
    candidates = [c for g in notice_candidates(actor=actor, report=report) for c in g.candidates]
    partners, _ = partner_choices(actor=actor, report=report)
    form = ForwardForm(request.POST, candidates=candidates, partners=partners)
    if not form.is_valid():
        return _report_page(request, report, forward_form=form, status=400)
    try:
        notice = report_forward(
            actor=actor,
            report_id=report.pk,
            partner_id=form.cleaned_data["partner"],
            entity_ids=form.entity_ids(),
        )
    except NoticeError as exc:
        return _report_page(request, report, forward_form=form, error=str(exc), status=400)
    return _see_other("takedown:notice", notice.public_id)


def _notice_page(
    request: HttpRequest,
    notice: Notice,
    *,
    submitted_form: SubmittedForm | None = None,
    answer_form: AnswerForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = _user(request)
    context = {
        "notice": notice,
        "reference": _reference(notice),
        "body": notice_body(actor=actor, notice=notice),
        "answer": notice_answer(actor=actor, notice=notice),
        "submitted_form": submitted_form or SubmittedForm(),
        "answer_form": answer_form or AnswerForm(initial={"ticket": notice.ticket}),
        "error": error,
        "may_retry": notice.state == Notice.State.FAILED and notice.channel == "email",
        "may_cancel": notice.state
        in (Notice.State.QUEUED, Notice.State.TO_SUBMIT, Notice.State.FAILED),
    }
    return render(request, "takedown/notice.html", context, status=status)


@login_required
@_in_english
def notice_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _notice_page(request, _notice(_user(request), public_id))


@login_required
@_in_english
@require_POST
def notice_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """Submitted, answer, cancel or retry: one POST each, then back to the notice (303)."""
    actor = _user(request)
    notice = _notice(actor, public_id)
    submitted_form: SubmittedForm | None = None
    answer_form: AnswerForm | None = None
    try:
        if action == "submitted":
            submitted_form = SubmittedForm(request.POST)
            if not submitted_form.is_valid():
                return _notice_page(request, notice, submitted_form=submitted_form, status=400)
            notice_submitted(
                actor=actor, notice_id=notice.pk, ticket=submitted_form.cleaned_data["ticket"]
            )
        elif action == "answer":
            answer_form = AnswerForm(request.POST)
            if not answer_form.is_valid():
                return _notice_page(request, notice, answer_form=answer_form, status=400)
            notice_answer_record(
                actor=actor,
                notice_id=notice.pk,
                ticket=answer_form.cleaned_data["ticket"],
                answer=answer_form.cleaned_data["answer"],
            )
        elif action == "cancel":
            notice_cancel(actor=actor, notice_id=notice.pk)
        elif action == "retry":
            notice_retry(actor=actor, notice_id=notice.pk)
        else:
            raise Http404
    except NoticeError as exc:
        notice.refresh_from_db()
        return _notice_page(
            request,
            notice,
            submitted_form=submitted_form,
            answer_form=answer_form,
            error=str(exc),
            status=400,
        )
    return _see_other("takedown:notice", notice.public_id)


@login_required
@_in_english
def notice_list(request: HttpRequest) -> HttpResponse:
    """Every notice and forward, filtered by state, kind and platform."""
    actor = _user(request)
    require(actor, Action.SEND_NOTICES)
    platforms = list(Platform.objects.order_by("name").values_list("pk", "name"))
    form = NoticeFilterForm(request.GET, platforms=platforms)
    if not form.is_valid():
        return render(
            request,
            "takedown/notice_list.html",
            {"form": form, "page": None, "rows": [], "query": ""},
            status=400,
        )
    found = notices_list(
        actor=actor,
        state=form.cleaned_data["state"],
        kind=form.cleaned_data["kind"],
        platform_id=form.cleaned_data["platform"],
    )
    page = page_of(found, request.GET.get("page"), per_page=50)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "takedown/notice_list.html",
        {
            "form": form,
            "page": page,
            "rows": [(n, _reference(n)) for n in page],
            "query": query.urlencode(),
        },
    )
