"""Public pages: home, report form, receipt, status page. No account, no JavaScript needed."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_http_methods

from hotline.core.middleware import client_token
from hotline.core.selectors import emergency_contacts
from hotline.core.throttle import throttle_spend_shared
from hotline.entities.selectors import escrow_questions
from hotline.entities.services import escrow_answer, escrow_deposit
from hotline.intake.drafts import draft_delete, draft_id_new, draft_read, draft_save
from hotline.intake.flood import Admission, Refusal, report_write_admit, submission_admit
from hotline.intake.forms import CodeForm, EscrowAnswerForm, EscrowForm, ReplyForm, ReportForm
from hotline.intake.models import Report
from hotline.intake.proof_of_work import proof_challenge_create
from hotline.intake.receipts import receipt_file_build
from hotline.intake.remember import (
    MASKED_TOKEN,
    Remembered,
    draft_cookie,
    forget,
    remember,
    remember_code,
    remembered,
    set_draft_cookie,
)
from hotline.intake.selectors import status_view_data
from hotline.intake.services import (
    SubmittedReport,
    report_add_information,
    report_find_by_code,
    report_submit,
    submission_token_new,
)
from hotline.intake.waiting import Waiting, waiting_read, waiting_value
from hotline.sitesettings.selectors import site_settings_shown


def home(request: HttpRequest) -> HttpResponse:
    """Show the start page."""
    return render(request, "intake/home.html", {"contacts": emergency_contacts()})


def danger(request: HttpRequest) -> HttpResponse:
    """Show emergency contacts at once."""
    return render(request, "intake/danger.html", {"contacts": emergency_contacts()})


def _too_many(
    request: HttpRequest,
    admission: Admission,
    *,
    path: str,
    form: str,
    value: dict[str, Any],
) -> HttpResponse:
    """Answer a POST refused by flood control with a 303 back to its form (post/redirect/get).

    The answers go into the sealed draft with the refusal (hotline.intake.waiting); the page
    the browser GETs says how long to wait and answers 429 with Retry-After until then, and a
    Reload shows that page again instead of sending the form. A browser with a draft cookie
    rewrites its one row; new drafts made by refusals share a per-minute budget, past which
    (a flood that drops its cookies) the wait is answered at once, writing nothing.
    """
    if not draft_cookie(request) and throttle_spend_shared(
        key="wait-drafts:new",
        cost=1,
        limit=settings.HOTLINE_THROTTLE_WAIT_DRAFTS_PER_MIN,
        window_seconds=60,
    ):
        waiting = Waiting(
            reason=admission.refusal or Refusal.ALL_BUSY,
            seconds=admission.wait_seconds,
            kept=False,
        )
        return _waiting(render(request, "intake/too_many.html", {"waiting": waiting}), waiting)
    response = _see_other(path)
    _keep_draft(request, response, form=form, value=value | {"wait": waiting_value(admission)})
    return response


def _waiting(response: HttpResponse, waiting: Waiting | None) -> HttpResponse:
    """Give a form page that shows a "please wait" its 429 status and Retry-After."""
    if waiting is not None:
        response.status_code = 429
        response["Retry-After"] = str(waiting.seconds)
    return response


def _see_other(url: str) -> HttpResponse:
    """Answer a POST with 303 See Other: the browser GETs `url`, and Back, Forward and Reload
    then never send the form again (no "Confirm Form Resubmission")."""
    return HttpResponseRedirect(url, status=303)


# Fields of a form that a draft keeps: never files, the CSRF token or a proof of work.
_NOT_KEPT = frozenset({"evidence_files", "csrfmiddlewaretoken", "proof", "language"})
_DRAFT_VALUE_CHARS = settings.HOTLINE_MAX_TEXT_CHARS + 1  # still "too long" when shown again
_DRAFT_VALUES = 200


def _draft_data(form_class: type[forms.Form], post: QueryDict) -> dict[str, list[str]]:
    return {
        name: [value[:_DRAFT_VALUE_CHARS] for value in post.getlist(name)[:_DRAFT_VALUES]]
        for name in form_class.base_fields
        if name not in _NOT_KEPT and name in post
    }


def _keep_draft(
    request: HttpRequest, response: HttpResponse, *, form: str, value: dict[str, Any]
) -> None:
    """Seal `value` as this browser's draft of `form`, giving it a draft id if it has none."""
    draft_id = draft_cookie(request)
    if not draft_id:
        draft_id = draft_id_new()
        set_draft_cookie(response, draft_id)
    draft_save(draft_id=draft_id, form=form, value=value)


def _errors_of(form: forms.Form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _restore(form: forms.Form, draft: dict[str, Any]) -> None:
    """Show a draft's errors again: those the answers give now, plus those only files gave."""
    form.is_valid()
    for name, messages in (draft.get("errors") or {}).items():
        if name in form.errors or (name != "__all__" and name not in form.fields):
            continue
        for message in messages:
            form.add_error(None if name == "__all__" else name, str(message))


def _multi(data: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in data.items():
        query.setlist(name, [str(v) for v in values])
    return query


def _form_page(
    request: HttpRequest,
    form: ReportForm,
    *,
    files_lost: bool = False,
    switched: bool = False,
    waiting: Waiting | None = None,
) -> HttpResponse:
    """Render the report form with a proof-of-work challenge for its submission token."""
    token = form["submission_token"].value() or ""
    before = remembered(request)
    context = {
        "form": form,
        "contacts": emergency_contacts(),
        "pow_challenge": proof_challenge_create(submission_token=str(token)),
        "files_lost": files_lost,
        "files_lost_switched": switched and files_lost,
        # base.html: the language buttons send this form to be kept, and then switch.
        "switch_form": "report-form",
        "switch_action": reverse("intake:report_switch"),
        "recent_receipt": before is not None and before.receipt,
        "waiting": waiting,
    }
    return _waiting(render(request, "intake/report_form.html", context), waiting)


def _report_form_get(request: HttpRequest) -> HttpResponse:
    draft = draft_read(draft_id=draft_cookie(request), form="report")
    if draft is None:
        return _form_page(request, ReportForm(initial={"submission_token": submission_token_new()}))
    data = draft.get("data") or {}
    if not data.get("submission_token"):
        data["submission_token"] = [submission_token_new()]
    files_lost = bool(draft.get("files_lost"))
    if draft.get("errors"):
        form = ReportForm(_multi(data))
        _restore(form, draft)
        return _form_page(request, form, files_lost=files_lost)
    # Kept by a language switch or a "please wait": the answers come back, without any error.
    waiting = waiting_read(draft)
    initial: dict[str, Any] = {
        name: values
        if isinstance(ReportForm.base_fields[name], forms.MultipleChoiceField)
        else (values[-1] if values else "")
        for name, values in data.items()
        if name in ReportForm.base_fields
    }
    if "wait" in draft:
        return _form_page(
            request, ReportForm(initial=initial), files_lost=files_lost, waiting=waiting
        )
    return _form_page(request, ReportForm(initial=initial), files_lost=files_lost, switched=True)


def _report_refused(
    request: HttpRequest, errors: dict[str, list[str]], *, files_lost: bool
) -> HttpResponse:
    """Keep the answers and errors as a sealed draft and send the browser back to the form."""
    response = _see_other(reverse("intake:report"))
    value = {
        "data": _draft_data(ReportForm, request.POST),
        "errors": errors,
        "files_lost": files_lost,
    }
    _keep_draft(request, response, form="report", value=value)
    return response


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
    """Show the report form; on a valid POST store the report and redirect to its receipt.

    Admission (proof of work, or the bounded no-JavaScript budget) is decided before the form
    is validated and its files examined: a refused POST costs one HMAC or one counter. Every
    answer to a POST is a 303: the receipt (the code in a sealed cookie, never in the URL) or
    the form again, its answers and errors kept in a sealed draft (files cannot be kept).
    """
    if request.method == "GET":
        return _report_form_get(request)
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
        return _report_refused(request, _errors_of(retry), files_lost=bool(request.FILES))
    if not admission.admitted:
        value = {"data": _draft_data(ReportForm, request.POST), "files_lost": bool(request.FILES)}
        return _too_many(
            request, admission, path=reverse("intake:report"), form="report", value=value
        )
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _report_refused(request, _errors_of(form), files_lost=bool(request.FILES))
    submitted = report_submit(
        data=form.to_input(language=get_language() or settings.LANGUAGE_CODE),
        evidence=form.cleaned_data.get("prepared_files", []),
        submission_token=form.cleaned_data.get("submission_token") or None,
    )
    return _receipt(request, submitted)


@require_http_methods(["POST"])
def report_switch(request: HttpRequest) -> HttpResponse:
    """Keep the report form's answers as a sealed draft, switch language, show the form again.

    The language buttons of the report page send the report form here (formaction), so a
    switch without JavaScript loses nothing typed; files cannot be kept and the page says so.
    """
    language = request.POST.get("language", "")
    response = _see_other(reverse("intake:report"))
    value = {"data": _draft_data(ReportForm, request.POST), "files_lost": bool(request.FILES)}
    _keep_draft(request, response, form="report", value=value)
    _language_set(response, language)
    return response


def _language_set(response: HttpResponse, language: str) -> None:
    """Set the language cookie as Django's set_language does (an unknown code is ignored)."""
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
        )


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
    """Remember the new code in this browser session and redirect to the receipt page."""
    response = _see_other(reverse("intake:receipt"))
    remember(
        response,
        Remembered(
            code=submitted.receipt_code,
            receipt=True,
            in_danger=submitted.report.in_danger,
            form_token=_posted_token(request),
        ),
    )
    draft_id = draft_cookie(request)
    if draft_id:  # only a form that came back once has a draft: one DELETE then
        draft_delete(draft_id=draft_id, form="report")
    return response


@require_http_methods(["GET"])
def receipt(request: HttpRequest) -> HttpResponse:
    """Show the receipt of the report this browser sent, while its code is remembered.

    Without a remembered receipt (the browser session ended, HOTLINE_PUBLIC_CODE_SECONDS
    passed, "Forget this code" was pressed) go to the status page, which asks for the code.
    """
    state = remembered(request)
    if state is None or not state.receipt:
        return HttpResponseRedirect(reverse("intake:status"), status=303)
    if state.in_danger:
        context = {"receipt_code": state.code, "in_danger": True}
        return render(request, "intake/receipt.html", context | {"contacts": emergency_contacts()})
    return _receipt_page(request, state.code, state.form_token)


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


def _receipt_page(request: HttpRequest, receipt_code: str, form_token: str = "") -> HttpResponse:
    # A new name or number (header, footer) renders the page again.
    key = (get_language() or settings.LANGUAGE_CODE, site_settings_shown())
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
        .replace(_CSRF_SLOT, form_token or get_token(request))
        .replace(_NONCE_SLOT, _script_nonce(request))
    )


def _script_nonce(request: HttpRequest) -> str:
    """Return this response's CSP nonce (made now: the middleware then puts it in the header)."""
    nonce = get_nonce(request)
    return str(nonce) if nonce is not None else ""


def _posted_token(request: HttpRequest) -> str:
    """Return the masked CSRF token this POST carried (it passed the check), or ''.

    The receipt page that follows the redirect reuses it (sealed in the code cookie) instead
    of masking a new one; a POST that sent the bare secret (a header, a script) gets ''.
    """
    sent = request.POST.get("csrfmiddlewaretoken", "")
    return sent if MASKED_TOKEN.fullmatch(sent) else ""


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
        return _not_found_page(request)  # a download, not a page to come back to
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
    """Show the report this browser session opened; on POST open the report of a typed code.

    A POSTed code that opens a report is remembered (sealed cookie) and the browser is sent to
    GET /status/, which shows it; so Back, Forward, Reload and a language switch stay on it.
    Unknown and malformed codes get one generic answer, identical in status and size to a
    wrong guess at a real code. There is no per-client limit: with 83-bit codes guessing is
    hopeless at any rate, and a limit per address would let one person lock out everyone who
    shares it (a proxy, a carrier NAT, Tor). A lookup costs one HMAC and one indexed query.
    """
    if request.method == "POST":
        form = CodeForm(request.POST)
        code_text = request.POST.get("code", "")[:80] if form.is_valid() else ""
        report = report_find_by_code(code_text=code_text)
        if report is None:
            return _not_found(request)
        response = _see_other(reverse("intake:status"))
        remember_code(request, response, code_text)
        return response
    if NOT_FOUND_FLAG in request.GET:
        return _not_found_page(request)
    state = remembered(request)
    report = report_find_by_code(code_text=state.code) if state is not None else None
    if state is None or report is None:
        response = render(request, "intake/status_lookup.html", {"form": CodeForm()})
        if state is not None:  # its report is gone (deleted after its retention time)
            forget(response)
        return response
    draft = draft_read(draft_id=draft_cookie(request), form="reply")
    if draft is not None and (draft.get("data") or {}).get("code") != [state.code]:
        draft = None  # a reply typed on another report's page
    if draft is not None and draft.get("errors"):
        reply = ReplyForm(_multi((draft.get("data") or {}) | {"code": [state.code]}))
        _restore(reply, draft)
    else:
        reply = _reply_form(state.code)
        if draft is not None:  # kept by a language switch or a wait: the message, no error
            reply.initial["message"] = ((draft.get("data") or {}).get("message") or [""])[-1]
    waiting = waiting_read(draft)
    response = _status_page(
        request,
        report,
        state.code,
        reply,
        sent=state.notice == "sent",
        answered=state.notice == "answered",
        answer_failed=state.notice in {"answer_failed", "answer_conflict"},
        files_lost=bool(draft and draft.get("files_lost")),
        waiting=waiting,
    )
    if state.notice:  # said once: a Reload does not say it again
        remember(response, Remembered(state.code, state.receipt, state.in_danger))
    return response


def _reply_form(code: str) -> ReplyForm:
    return ReplyForm(initial={"code": code, "once": secrets.token_urlsafe(18)})


# /status/?not-found: the answer to a code that opens nothing (the code is not in the URL).
NOT_FOUND_FLAG = "not-found"


def _not_found(request: HttpRequest) -> HttpResponse:
    return _see_other(f"{reverse('intake:status')}?{NOT_FOUND_FLAG}")


def _not_found_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intake/status_lookup.html",
        {"form": CodeForm(), "not_found": True},
        status=404,
    )


@require_http_methods(["POST"])
def status_forget(request: HttpRequest) -> HttpResponse:
    """Forget the remembered code on this phone ("Close" / "Open another report")."""
    then = request.POST.get("then", "")
    response = _see_other(reverse("intake:status" if then == "status" else "intake:home"))
    forget(response)
    return response


def _status_page(
    request: HttpRequest,
    report: object,
    code: str,
    reply: ReplyForm,
    *,
    sent: bool = False,
    answered: bool = False,
    answer_failed: bool = False,
    files_lost: bool = False,
    waiting: Waiting | None = None,
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
        "files_lost": files_lost,
        # base.html: the language buttons send the reply form to be kept, and then switch.
        "switch_form": "reply-form",
        "switch_action": reverse("intake:status_switch"),
        "waiting": waiting,
    }
    return _waiting(render(request, "intake/status.html", context), waiting)


@require_http_methods(["POST"])
def status_switch(request: HttpRequest) -> HttpResponse:
    """Keep a half-typed reply as a sealed draft, switch language, show the same report again."""
    code_text = request.POST.get("code", "")[:80]
    if report_find_by_code(code_text=code_text) is None:
        return _not_found(request)
    response = _see_other(reverse("intake:status"))
    remember_code(request, response, code_text)
    if request.POST.get("message"):
        value = {"data": _draft_data(ReplyForm, request.POST), "files_lost": bool(request.FILES)}
        _keep_draft(request, response, form="reply", value=value)
    _language_set(response, request.POST.get("language", ""))
    return response


@require_http_methods(["POST"])
def status_reply(request: HttpRequest) -> HttpResponse:
    """Add a reporter's message, files or hashes to their report (limited per report).

    Answered with a 303 to the status page. The form's one-time token makes a resent reply
    (Reload, a double tap, Back and Send) add nothing; a reply with errors comes back as a
    sealed draft (files cannot be kept).
    """
    form = ReplyForm(request.POST, request.FILES)
    code_text = request.POST.get("code", "")[:80]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    admission = report_write_admit(report=report)
    if not admission.admitted:
        value = {"data": _draft_data(ReplyForm, request.POST), "files_lost": bool(request.FILES)}
        response = _too_many(
            request, admission, path=reverse("intake:status"), form="reply", value=value
        )
        remember_code(request, response, code_text)
        return response
    response = _see_other(reverse("intake:status"))
    draft_id = draft_cookie(request)
    if not form.is_valid():
        remember_code(request, response, code_text)
        value = {
            "data": _draft_data(ReplyForm, request.POST),
            "errors": _errors_of(form),
            "files_lost": bool(request.FILES),
        }
        _keep_draft(request, response, form="reply", value=value)
        return response
    report_add_information(
        report=report,
        text=form.cleaned_data.get("message", ""),
        evidence=form.cleaned_data.get("prepared_files", []),
        hashes=form.cleaned_data.get("device_hashes") or [],
        once_token=form.cleaned_data.get("once", ""),
    )
    if draft_id:
        draft_delete(draft_id=draft_id, form="reply")
    remember_code(request, response, code_text, notice="sent")
    return response


@require_http_methods(["POST"])
def status_escrow_answer(request: HttpRequest) -> HttpResponse:
    """Record a reporter's answer to a consent question shown on their status page."""
    code_text = request.POST.get("code", "")[:80]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _not_found(request)
    form = EscrowAnswerForm(request.POST)
    response = _see_other(reverse("intake:status"))
    # Only this report's open questions can be answered: an id from elsewhere finds nothing.
    question = (
        escrow_questions(report=report).filter(pk=form.cleaned_data["question"]).first()
        if form.is_valid()
        else None
    )
    if question is None:
        remember_code(request, response, code_text, notice="answer_failed")
        return response
    try:
        escrow_answer(escrow=question, agree=form.cleaned_data["answer"] == "yes")
    except ValueError:
        # Answered a moment ago (two taps, two tabs): the first answer stands.
        remember_code(request, response, code_text, notice="answer_conflict")
        return response
    remember_code(request, response, code_text, notice="answered")
    return response


@require_http_methods(["GET", "POST"])
def escrow(request: HttpRequest) -> HttpResponse:
    """Let a reporter leave an offender's identifier in escrow with their receipt code.

    The answer is the same whether or not the identifier matches anything (no oracle). A wrong
    code gets the status page's generic answer. Deposits count against the report's budget
    of writes (see hotline.intake.flood); lookups are not limited (83-bit codes). Every POST
    is answered with a 303; the code to fill in comes from the remembered (sealed) cookie, a
    form with errors from a sealed draft (never the code: a wrong code is not echoed).
    """
    if request.method == "GET":
        return _escrow_page(request)
    if request.POST.get("start"):
        # Opened from the receipt or status page: remember the code to fill in.
        response = _see_other(reverse("intake:escrow"))
        code_text = request.POST.get("code", "")[:80]
        if report_find_by_code(code_text=code_text) is not None:
            remember_code(request, response, code_text)
        return response
    form = EscrowForm(request.POST)
    if not form.is_valid():
        return _escrow_refused(request, form, not_found=False)
    code_text = form.cleaned_data["code"]
    report = report_find_by_code(code_text=code_text)
    if report is None:
        return _escrow_refused(request, form, not_found=True)
    admission = report_write_admit(report=report)
    if not admission.admitted:
        value = {"data": {"identifier": [request.POST.get("identifier", "")[:_DRAFT_VALUE_CHARS]]}}
        response = _too_many(
            request, admission, path=reverse("intake:escrow"), form="escrow", value=value
        )
        remember_code(request, response, code_text)
        return response
    escrow_deposit(report=report, text=form.cleaned_data["identifier"])
    response = _see_other(reverse("intake:escrow_done"))
    remember_code(request, response, code_text)
    draft_id = draft_cookie(request)
    if draft_id:
        draft_delete(draft_id=draft_id, form="escrow")
    return response


def _escrow_refused(request: HttpRequest, form: EscrowForm, *, not_found: bool) -> HttpResponse:
    response = _see_other(reverse("intake:escrow"))
    value = {
        "data": {"identifier": [request.POST.get("identifier", "")[:_DRAFT_VALUE_CHARS]]},
        "errors": {} if not_found else _errors_of(form),
        "not_found": not_found,
    }
    _keep_draft(request, response, form="escrow", value=value)
    return response


def _escrow_page(request: HttpRequest) -> HttpResponse:
    state = remembered(request)
    code = state.code if state is not None else ""
    draft = draft_read(draft_id=draft_cookie(request), form="escrow")
    if draft is None:
        empty: dict[str, object] = {"form": EscrowForm(initial={"code": code})}
        return render(request, "intake/escrow.html", empty | _ESCROW_SWITCH)
    data = {name: values for name, values in (draft.get("data") or {}).items() if name != "code"}
    not_found = bool(draft.get("not_found"))
    if not_found or not draft.get("errors"):
        identifier = (data.get("identifier") or [""])[-1]
        form = EscrowForm(initial={"code": "" if not_found else code, "identifier": identifier})
    else:
        form = EscrowForm(_multi(data | {"code": [code]}))
        _restore(form, draft)
    # A wrong code is answered as on the status page: 404, the same page for every wrong code.
    waiting = waiting_read(draft)
    context: dict[str, object] = {"form": form, "not_found": not_found, "waiting": waiting}
    context |= _ESCROW_SWITCH
    page = render(request, "intake/escrow.html", context, status=404 if not_found else 200)
    return _waiting(page, waiting)


# base.html: the language buttons send the escrow form to be kept, and then switch.
_ESCROW_SWITCH = {"switch_form": "escrow-form", "switch_action": "/escrow/switch/"}


@require_http_methods(["POST"])
def escrow_switch(request: HttpRequest) -> HttpResponse:
    """Keep a half-typed identifier as a sealed draft, switch language, show the form again.

    A code that opens a report is remembered (filled in again); any other is dropped, never
    echoed, as on the escrow form itself. Nothing is deposited.
    """
    response = _see_other(reverse("intake:escrow"))
    code_text = request.POST.get("code", "")[:80]
    if code_text and report_find_by_code(code_text=code_text) is not None:
        remember_code(request, response, code_text)
    if request.POST.get("identifier"):
        value = {"data": {"identifier": [request.POST.get("identifier", "")[:_DRAFT_VALUE_CHARS]]}}
        _keep_draft(request, response, form="escrow", value=value)
    _language_set(response, request.POST.get("language", ""))
    return response


@require_http_methods(["GET"])
def escrow_done(request: HttpRequest) -> HttpResponse:
    """Say that the identifier is kept (the page a deposit redirects to)."""
    state = remembered(request)
    return render(request, "intake/escrow_done.html", {"code": state.code if state else ""})
