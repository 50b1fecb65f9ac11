"""Public pages: home, report form, receipt, status page. No account, no JavaScript needed."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from hotline.core.selectors import emergency_contacts
from hotline.core.throttle import limit_from_env, throttle_exceeded
from hotline.intake.forms import CodeForm, ReplyForm, ReportForm
from hotline.intake.selectors import status_view_data
from hotline.intake.services import (
    report_add_information,
    report_find_by_code,
    report_submit,
    submission_token_new,
)

SUBMIT_LIMIT = limit_from_env("HOTLINE_THROTTLE_SUBMITS_PER_10_MIN", 20)
CODE_LIMIT = limit_from_env("HOTLINE_THROTTLE_CODE_TRIES_PER_10_MIN", 20)


def home(request: HttpRequest) -> HttpResponse:
    """Show the start page."""
    return render(request, "intake/home.html", {"contacts": emergency_contacts()})


def danger(request: HttpRequest) -> HttpResponse:
    """Show emergency contacts at once."""
    return render(request, "intake/danger.html", {"contacts": emergency_contacts()})


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/too_many.html", status=429)


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    """Show the report form; on a valid POST store the report and show its receipt code."""
    if request.method == "GET":
        form = ReportForm(initial={"submission_token": submission_token_new()})
        return render(
            request, "intake/report_form.html", {"form": form, "contacts": emergency_contacts()}
        )
    if throttle_exceeded(request, scope="submit", limit=SUBMIT_LIMIT, window_seconds=600):
        return _too_many(request)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "intake/report_form.html",
            {"form": form, "contacts": emergency_contacts()},
            status=400,
        )
    submitted = report_submit(
        data=form.to_input(language=get_language() or settings.LANGUAGE_CODE),
        evidence=form.cleaned_data.get("prepared_files", []),
        submission_token=form.cleaned_data.get("submission_token") or None,
    )
    return render(
        request,
        "intake/receipt.html",
        {
            "receipt_code": submitted.receipt_code,
            "in_danger": submitted.report.in_danger,
            # The receipt lists the contacts only for someone in danger: skip the query otherwise.
            "contacts": emergency_contacts() if submitted.report.in_danger else [],
        },
    )


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Ask for a receipt code; on POST show that report's status, messages and a reply box.

    Unknown and malformed codes get one generic answer, identical in status and size to a
    wrong guess at a real code; guesses are throttled.
    """
    if request.method == "GET":
        return render(request, "intake/status_lookup.html", {"form": CodeForm()})
    if throttle_exceeded(request, scope="code", limit=CODE_LIMIT, window_seconds=600):
        return _too_many(request)
    form = CodeForm(request.POST)
    code_text = request.POST.get("code", "")[:80] if form.is_valid() else ""
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    return _status_page(request, report, code_text, ReplyForm(initial={"code": code_text}))


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intake/status_lookup.html",
        {"form": CodeForm(), "not_found": True},
        status=404,
    )


def _status_page(
    request: HttpRequest,
    report: object,
    code: str,
    reply: ReplyForm,
    *,
    sent: bool = False,
    status_code: int = 200,
) -> HttpResponse:
    from hotline.intake.models import Report

    assert isinstance(report, Report)
    context = {"status": status_view_data(report), "reply_form": reply, "code": code, "sent": sent}
    return render(request, "intake/status.html", context, status=status_code)


@require_http_methods(["POST"])
def status_reply(request: HttpRequest) -> HttpResponse:
    """Add a reporter's message, files or hashes to their report."""
    if throttle_exceeded(request, scope="code", limit=CODE_LIMIT, window_seconds=600):
        return _too_many(request)
    form = ReplyForm(request.POST, request.FILES)
    code_text = request.POST.get("code", "")[:80]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    if not form.is_valid():
        return _status_page(request, report, code_text, form, status_code=400)
    report_add_information(
        report=report,
        text=form.cleaned_data.get("message", ""),
        evidence=form.cleaned_data.get("prepared_files", []),
        hashes=form.cleaned_data.get("device_hashes") or [],
    )
    return _status_page(
        request, report, code_text, ReplyForm(initial={"code": code_text}), sent=True
    )
