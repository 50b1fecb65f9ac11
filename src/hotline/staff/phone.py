"""Reports taken by staff for a caller (phone, walk-in, e-mail, partner organisation).

The form is the public report form (`intake.forms.ReportForm`: the same fields, limits, file
checks and metadata removal) with two staff questions added, and the report is stored by
`intake.services.report_take`, which goes through `report_submit`: there is no second path
for validation, encryption or the pipeline. The receipt code is shown once, on the page the
POST redirects to, to be read aloud: it travels there sealed in the staff session, never in a
URL, and is gone from the session once shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.accounts.requests import staff_user as _user
from hotline.intake.choices import STAFF_CHANNELS
from hotline.intake.forms import ReportForm
from hotline.intake.receipts import code_format, code_normalise
from hotline.intake.services import report_take, submission_token_new
from hotline.staff.helpers import _in_english
from hotline.vault import services as vault

_SESSION_KEY = "staff_taken_report"
_CONTEXT = "staff.session:taken-report"


class TakenReportForm(ReportForm):
    """The public report form, plus how the report reached us and the caller's language."""

    mark_required = False

    channel = forms.ChoiceField(
        label="How did this report reach you?",
        choices=[(c.value, str(c.label)) for c in STAFF_CHANNELS],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label="The caller's language (status page, messages and e-mail in this language)",
        choices=[("km", "ខ្មែរ Khmer"), ("en", "English")],
        widget=forms.RadioSelect,
        initial="km",
    )

    field_order = ["channel", "language"]


# How to say each symbol of a receipt code (hotline.intake.receipts.ALPHABET) on the phone:
# the English word of the spelling alphabet, and the Khmer way to say the digit or the
# English letter name, for a caller who follows better in Khmer.
_SAY: dict[str, tuple[str, str]] = {
    "2": ("two", "ពីរ"),
    "3": ("three", "បី"),
    "4": ("four", "បួន"),
    "5": ("five", "ប្រាំ"),
    "6": ("six", "ប្រាំមួយ"),
    "7": ("seven", "ប្រាំពីរ"),
    "8": ("eight", "ប្រាំបី"),
    "9": ("nine", "ប្រាំបួន"),
    "A": ("Alpha", "អេ"),
    "B": ("Bravo", "ប៊ី"),
    "C": ("Charlie", "ស៊ី"),
    "D": ("Delta", "ឌី"),
    "E": ("Echo", "អ៊ី"),
    "F": ("Foxtrot", "អែហ្វ"),
    "G": ("Golf", "ជី"),
    "H": ("Hotel", "អេច"),
    "J": ("Juliett", "ជេ"),
    "K": ("Kilo", "ខេ"),
    "M": ("Mike", "អិម"),
    "N": ("November", "អិន"),
    "P": ("Papa", "ភី"),
    "Q": ("Quebec", "ឃ្យូ"),
    "R": ("Romeo", "អា"),
    "S": ("Sierra", "អេស"),
    "T": ("Tango", "ធី"),
    "V": ("Victor", "វី"),
    "W": ("Whiskey", "ដាប់ប៊លយូ"),
    "X": ("X-ray", "អ៊ិច"),
    "Y": ("Yankee", "វ៉ាយ"),
    "Z": ("Zulu", "ហ្សិត"),
}
_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


@dataclass(frozen=True)
class Symbol:
    char: str
    english: str
    khmer: str
    khmer_digit: str  # the digit in Khmer numerals, "" for a letter


def code_reading(code: str) -> list[list[Symbol]]:
    """Return a receipt code as groups of symbols, each with how to say it (English, Khmer)."""
    raw = code_normalise(code)
    if raw is None:
        raise ValueError("not a receipt code")
    groups = []
    for group in code_format(raw).split("-"):
        row = []
        for char in group:
            english, khmer = _SAY[char]
            digit = char.translate(_KHMER_DIGITS) if char.isdigit() else ""
            row.append(Symbol(char=char, english=english, khmer=khmer, khmer_digit=digit))
        groups.append(row)
    return groups


def _seal(request: HttpRequest, *, code: str, public_id: str, replayed: bool) -> None:
    # Bound to this user: a session that changes hands (it cannot, but still) opens nothing.
    value = json.dumps({"c": code, "r": public_id, "again": replayed}).encode()
    blob = vault.encrypt(value, context=f"{_CONTEXT}:{_user(request).pk}")
    request.session[_SESSION_KEY] = blob.hex()


def _unseal_once(request: HttpRequest) -> dict[str, object] | None:
    raw = request.session.pop(_SESSION_KEY, None)
    if not isinstance(raw, str):
        return None
    try:
        value = vault.decrypt(bytes.fromhex(raw), context=f"{_CONTEXT}:{_user(request).pk}")
    except (ValueError, vault.VaultError):
        return None
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else None


def _form_page(request: HttpRequest, form: TakenReportForm, *, status: int = 200) -> HttpResponse:
    return render(request, "staff/report_take.html", {"form": form}, status=status)


@login_required
@_in_english
@require_http_methods(["GET", "POST"])
def report_take_view(request: HttpRequest) -> HttpResponse:
    """Enter a report for a caller; on success redirect to the page that shows its code once.

    A form with errors comes back with its answers (files must be chosen again) and nothing
    stored. A form sent twice (a reload, a double click) finds the first report by its
    one-time token and shows that report's code again instead of storing a second report.
    """
    user: User = _user(request)
    require(user, Action.TAKE_PHONE_REPORT)
    if request.method == "GET":
        return _form_page(
            request, TakenReportForm(initial={"submission_token": submission_token_new()})
        )
    form = TakenReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    token = form.cleaned_data.get("submission_token") or None
    if token is None:
        form.add_error(None, "This form has expired. Please enter the report again.")
        return _form_page(request, form, status=400)
    submitted = report_take(
        actor=user,
        data=form.to_input(language=form.cleaned_data["language"]),
        evidence=form.cleaned_data.get("prepared_files", []),
        channel=form.cleaned_data["channel"],
        submission_token=token,
    )
    _seal(
        request,
        code=submitted.receipt_code,
        public_id=str(submitted.report.public_id),
        replayed=submitted.replayed,
    )
    response = redirect("staff:report_taken")
    response.status_code = 303  # See Other: the browser GETs the code page, never re-POSTs
    return response


@login_required
@_in_english
@require_http_methods(["GET"])
def report_taken_view(request: HttpRequest) -> HttpResponse:
    """Show the code of the report just taken, once, to read aloud to the caller."""
    require(_user(request), Action.TAKE_PHONE_REPORT)
    sealed = _unseal_once(request)
    if sealed is None:
        return render(request, "staff/report_taken.html", {"gone": True}, status=410)
    code = str(sealed["c"])
    context = {
        "gone": False,
        "code": code,
        "groups": code_reading(code),
        "public_id": sealed["r"],
        "again": bool(sealed.get("again")),
    }
    return render(request, "staff/report_taken.html", context)
