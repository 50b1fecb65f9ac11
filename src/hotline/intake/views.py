"""Public pages: home, report form, receipt, status page. No account, no JavaScript needed."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_http_methods

from hotline.core.middleware import client_token
from hotline.core.selectors import emergency_contacts
from hotline.entities.selectors import escrow_questions
from hotline.entities.services import escrow_answer, escrow_deposit
from hotline.intake.flood import Admission, Refusal, report_write_admit, submission_admit
from hotline.intake.forms import CodeForm, EscrowAnswerForm, EscrowForm, ReplyForm, ReportForm
from hotline.intake.models import Report
from hotline.intake.proof_of_work import proof_challenge_create
from hotline.intake.receipts import receipt_file_build
from hotline.intake.selectors import status_view_data
from hotline.intake.services import (
    SubmittedReport,
    report_add_information,
    report_find_by_code,
    report_submit,
    submission_token_new,
)


def home(request: HttpRequest) -> HttpResponse:
    """Show the start page."""
    return render(request, "intake/home.html", {"contacts": emergency_contacts()})


def danger(request: HttpRequest) -> HttpResponse:
    """Show emergency contacts at once."""
    return render(request, "intake/danger.html", {"contacts": emergency_contacts()})


def _too_many(request: HttpRequest, admission: Admission) -> HttpResponse:
    response = render(
        request,
        "intake/too_many.html",
        {"reason": admission.refusal and admission.refusal.value},
        status=429,
    )
    response["Retry-After"] = str(max(1, admission.wait_seconds))
    return response


def _form_page(request: HttpRequest, form: ReportForm, *, status: int = 200) -> HttpResponse:
    """Render the report form with a proof-of-work challenge for its submission token."""
    token = form["submission_token"].value() or ""
    context = {
        "form": form,
        "contacts": emergency_contacts(),
        "pow_challenge": proof_challenge_create(submission_token=str(token)),
        "files_lost": bool(request.FILES),
    }
    return render(request, "intake/report_form.html", context, status=status)


# What a reporter is told when their form's proof of work cannot be accepted. Nothing was
# examined or saved; the page comes back with their answers and a fresh challenge.
_PROOF_MESSAGES = {
    Refusal.PROOF_EXPIRED: gettext_lazy(
        "This form was open for a long time. Please press “Send my report” again."
    ),
    Refusal.PROOF_INVALID: gettext_lazy(
        "Your browser's check of this form did not work. Please press “Send my report” again."
    ),
}


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    """Show the report form; on a valid POST store the report and show its receipt code.

    Admission (proof of work, or the bounded no-JavaScript budget) is decided before the form
    is validated and its files examined: a refused POST costs one HMAC or one counter.
    """
    if request.method == "GET":
        return _form_page(request, ReportForm(initial={"submission_token": submission_token_new()}))
    token = request.POST.get("submission_token", "")[:64]
    admission = submission_admit(
        proof=request.POST.get("proof", ""),
        submission_token=token,
        client_token=client_token(request),
    )
    if admission.earlier is not None:
        # The same form sent again (a retry after a slow answer): show the first receipt.
        return _receipt(request, admission.earlier)
    if admission.refusal in _PROOF_MESSAGES:
        assert admission.refusal is not None
        retry = ReportForm(request.POST)  # the answers come back; files are not read
        retry.is_valid()
        retry.add_error(None, str(_PROOF_MESSAGES[admission.refusal]))
        return _form_page(request, retry, status=400)
    if not admission.admitted:
        return _too_many(request, admission)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    submitted = report_submit(
        data=form.to_input(language=get_language() or settings.LANGUAGE_CODE),
        evidence=form.cleaned_data.get("prepared_files", []),
        submission_token=form.cleaned_data.get("submission_token") or None,
    )
    return _receipt(request, submitted)


@require_http_methods(["GET"])
def report_challenge(request: HttpRequest) -> HttpResponse:
    """Return a fresh proof-of-work challenge for an open form whose challenge expired.

    The form's script asks for one when Send is pressed after HOTLINE_POW_EXPIRES_SECONDS, so a
    reporter who wrote for hours does not have to send (and choose their files) twice. It costs
    what opening the form costs; the answer is bound to the token like the form's own.
    """
    token = request.GET.get("token", "")
    if not token or len(token) > 64 or not token.isascii() or not token.isprintable():
        return JsonResponse({"error": "bad_token"}, status=400)
    challenge = proof_challenge_create(submission_token=token)
    return HttpResponse(challenge, content_type="application/json")


def _receipt(request: HttpRequest, submitted: SubmittedReport) -> HttpResponse:
    if submitted.report.in_danger:
        context = {"receipt_code": submitted.receipt_code, "in_danger": True}
        return render(request, "intake/receipt.html", context | {"contacts": emergency_contacts()})
    return _receipt_page(request, submitted.receipt_code)


# The receipt page is the answer to every report, and for a reporter who is not in danger it
# differs from the next one only in the code and the form token. It is rendered once per
# language and process with placeholders, then filled in: rendering it each time was a tenth of
# the CPU of a submission. No value needs escaping (letters, digits, dashes, underscores).
# The script nonce has a slot too: a nonce baked into the cached page would not match the
# Content-Security-Policy header of any later response.
_CODE_SLOT = "RECEIPTCODESLOT"
_CSRF_SLOT = "CSRFTOKENSLOT"
_NONCE_SLOT = "CSPNONCESLOT"
_receipt_pages: dict[tuple[str, str], str] = {}


def _receipt_page(request: HttpRequest, receipt_code: str) -> HttpResponse:
    key = (get_language() or settings.LANGUAGE_CODE, settings.HOTLINE_NAME)
    page = _receipt_pages.get(key)
    if page is None:
        context = {
            "receipt_code": _CODE_SLOT,
            "in_danger": False,
            "csrf_token": _CSRF_SLOT,
            "csp_nonce": _NONCE_SLOT,
        }
        page = render_to_string("intake/receipt.html", context, request=request)
        if not settings.DEBUG:  # templates edited in development show at once
            _receipt_pages[key] = page
    return HttpResponse(
        page.replace(_CODE_SLOT, receipt_code)
        .replace(_CSRF_SLOT, _form_token(request))
        .replace(_NONCE_SLOT, _script_nonce(request))
    )


def _script_nonce(request: HttpRequest) -> str:
    """Return this response's CSP nonce (made now: the middleware then puts it in the header)."""
    nonce = get_nonce(request)
    return str(nonce) if nonce is not None else ""


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


@require_http_methods(["POST"])
def receipt_file(request: HttpRequest) -> HttpResponse:
    """Answer the receipt page's "save as a file" with a text file holding this code.

    The code comes in the POST body, as everywhere else (never in a URL, which browsers keep in
    their history). Only a code that opens a report gets a file; any other input gets the
    status page's one answer for a wrong code. The file holds the code, the day the report was
    received and the status page's address, nothing else of the report.
    """
    form = CodeForm(request.POST)
    code_text = request.POST.get("code", "")[:80] if form.is_valid() else ""
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    receipt = receipt_file_build(
        code=code_text,
        received=report.created_at,
        status_url=request.build_absolute_uri(reverse("intake:status")),
    )
    response = HttpResponse(receipt.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{receipt.filename}"'
    # PrivacyHeadersMiddleware sets this on every page too; the file must never be cached
    # even if that changes.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Ask for a receipt code; on POST show that report's status, messages and a reply box.

    Unknown and malformed codes get one generic answer, identical in status and size to a
    wrong guess at a real code. There is no per-client limit: with 83-bit codes guessing is
    hopeless at any rate, and a limit per address would let one person lock out everyone who
    shares it (a proxy, a carrier NAT, Tor). A lookup costs one HMAC and one indexed query.
    """
    if request.method == "GET":
        return render(request, "intake/status_lookup.html", {"form": CodeForm()})
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
    """Add a reporter's message, files or hashes to their report (limited per report)."""
    form = ReplyForm(request.POST, request.FILES)
    code_text = request.POST.get("code", "")[:80]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    admission = report_write_admit(report=report)
    if not admission.admitted:
        return _too_many(request, admission)
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
    code gets the status page's generic answer. Deposits count against the report's budget
    of writes (see hotline.intake.flood); lookups are not limited (83-bit codes).
    """
    if request.method == "GET":
        return render(request, "intake/escrow.html", {"form": EscrowForm()})
    if request.POST.get("start"):
        # Opened from the receipt or status page: fill in the code; nothing is looked up.
        form = EscrowForm(initial={"code": request.POST.get("code", "")[:80]})
        return render(request, "intake/escrow.html", {"form": form})
    form = EscrowForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/escrow.html", {"form": form}, status=400)
    code_text = form.cleaned_data["code"]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        # The same page for every wrong code (malformed or unknown): the code is not echoed.
        retry = EscrowForm(initial={"identifier": form.cleaned_data["identifier"]})
        return render(request, "intake/escrow.html", {"form": retry, "not_found": True}, status=404)
    admission = report_write_admit(report=report)
    if not admission.admitted:
        return _too_many(request, admission)
    escrow_deposit(report=report, text=form.cleaned_data["identifier"])
    return render(request, "intake/escrow_done.html", {"code": code_text})
