"""Public pages: home, report form, receipt, status page. No account, no JavaScript needed."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from hotline.core.selectors import emergency_contacts
from hotline.core.throttle import limit_from_env, throttle_exceeded
from hotline.entities.selectors import escrow_questions
from hotline.entities.services import escrow_answer, escrow_deposit
from hotline.intake.forms import CodeForm, EscrowAnswerForm, EscrowForm, ReplyForm, ReportForm
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
    if submitted.report.in_danger:
        context = {"receipt_code": submitted.receipt_code, "in_danger": True}
        return render(request, "intake/receipt.html", context | {"contacts": emergency_contacts()})
    return _receipt_page(request, submitted.receipt_code)


# The receipt page is the answer to every report, and for a reporter who is not in danger it
# differs from the next one only in the code and the form token. It is rendered once per
# language and process with placeholders, then filled in: rendering it each time was a tenth of
# the CPU of a submission. Neither value needs escaping (letters, digits and dashes only).
_CODE_SLOT = "RECEIPTCODESLOT"
_CSRF_SLOT = "CSRFTOKENSLOT"
_receipt_pages: dict[tuple[str, str], str] = {}


def _receipt_page(request: HttpRequest, receipt_code: str) -> HttpResponse:
    key = (get_language() or settings.LANGUAGE_CODE, settings.HOTLINE_NAME)
    page = _receipt_pages.get(key)
    if page is None:
        context = {"receipt_code": _CODE_SLOT, "in_danger": False, "csrf_token": _CSRF_SLOT}
        page = render_to_string("intake/receipt.html", context, request=request)
        if not settings.DEBUG:  # templates edited in development show at once
            _receipt_pages[key] = page
    return HttpResponse(
        page.replace(_CODE_SLOT, receipt_code).replace(_CSRF_SLOT, _form_token(request))
    )


_MASKED_TOKEN = re.compile(r"[a-zA-Z0-9]{64}")


def _form_token(request: HttpRequest) -> str:
    """Return a CSRF form token for the page answering this POST.

    The token the POST carried has just passed the CSRF check, so the page can carry it again;
    a fresh masked token costs 32 draws from the OS (a system call each). get_token (which
    also sets the cookie, as {% csrf_token %} does) only when the POST had no usable token.
    """
    sent = request.POST.get("csrfmiddlewaretoken", "")
    if _MASKED_TOKEN.fullmatch(sent):
        return sent
    return get_token(request)


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
    answered: bool = False,
    answer_failed: bool = False,
    status_code: int = 200,
) -> HttpResponse:
    from hotline.intake.models import Report

    assert isinstance(report, Report)
    context = {
        "status": status_view_data(report),
        "reply_form": reply,
        "code": code,
        "sent": sent,
        "questions": list(escrow_questions(report=report).order_by("pk")),
        "answered": answered,
        "answer_failed": answer_failed,
    }
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


@require_http_methods(["POST"])
def status_escrow_answer(request: HttpRequest) -> HttpResponse:
    """Record a reporter's answer to a consent question shown on their status page."""
    if throttle_exceeded(request, scope="code", limit=CODE_LIMIT, window_seconds=600):
        return _too_many(request)
    code_text = request.POST.get("code", "")[:80]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    form = EscrowAnswerForm(request.POST)
    reply = ReplyForm(initial={"code": code_text})
    # Only this report's open questions can be answered: an id from elsewhere finds nothing.
    question = (
        escrow_questions(report=report).filter(pk=form.cleaned_data["question"]).first()
        if form.is_valid()
        else None
    )
    if question is None:
        return _status_page(request, report, code_text, reply, answer_failed=True, status_code=400)
    try:
        escrow_answer(escrow=question, agree=form.cleaned_data["answer"] == "yes")
    except ValueError:
        # Answered a moment ago (two taps, two tabs): the first answer stands.
        return _status_page(request, report, code_text, reply, answer_failed=True, status_code=409)
    return _status_page(request, report, code_text, reply, answered=True)


@require_http_methods(["GET", "POST"])
def escrow(request: HttpRequest) -> HttpResponse:
    """Let a reporter leave an offender's identifier in escrow with their receipt code.

    The answer is the same whether or not the identifier matches anything (no oracle). A wrong
    code gets the status page's generic answer, and every lookup counts against the same
    throttle as receipt-code guesses.
    """
    if request.method == "GET":
        return render(request, "intake/escrow.html", {"form": EscrowForm()})
    if request.POST.get("start"):
        # Opened from the receipt or status page: fill in the code; nothing is looked up.
        form = EscrowForm(initial={"code": request.POST.get("code", "")[:80]})
        return render(request, "intake/escrow.html", {"form": form})
    if throttle_exceeded(request, scope="code", limit=CODE_LIMIT, window_seconds=600):
        return _too_many(request)
    form = EscrowForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/escrow.html", {"form": form}, status=400)
    code_text = form.cleaned_data["code"]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        # The same page for every wrong code (malformed or unknown): the code is not echoed.
        retry = EscrowForm(initial={"identifier": form.cleaned_data["identifier"]})
        return render(request, "intake/escrow.html", {"form": retry, "not_found": True}, status=404)
    escrow_deposit(report=report, text=form.cleaned_data["identifier"])
    return render(request, "intake/escrow_done.html", {"code": code_text})
