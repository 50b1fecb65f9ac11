"""The ceiling views: validate, encrypt one field, insert; nothing else."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ceiling.models import CeilingReport
from hotline.intake.choices import (
    AgeRange,
    Category,
    HelpWanted,
    MoneyStatus,
    PaymentMethod,
    Platform,
    ReporterRole,
)

# The batch ceiling accepts this bearer token (set by benchmarks/intake.py); no database lookup.
TOKEN_DIGEST = hashlib.sha256(os.environ.get("CEILING_TOKEN", "").encode()).digest()


def _seal(text: str) -> bytes:
    keys = settings.KEYS
    nonce = os.urandom(12)
    return nonce + AESGCM(keys.vault_keys[keys.vault_primary]).encrypt(
        nonce, text.encode(), b"ceiling"
    )


class CeilingForm(forms.Form):
    """The report form's fields and limits, without its cleaning of lines and hashes."""

    submission_token = forms.CharField(max_length=64, required=False)
    in_danger = forms.ChoiceField(choices=[("no", "no"), ("yes", "yes")], required=False)
    reporter_role = forms.ChoiceField(choices=ReporterRole.choices)
    victim_age = forms.ChoiceField(choices=AgeRange.choices, required=False)
    categories = forms.MultipleChoiceField(choices=Category.choices)
    platforms = forms.MultipleChoiceField(choices=Platform.choices, required=False)
    links = forms.CharField(required=False, max_length=20_000)
    usernames = forms.CharField(required=False, max_length=20_000)
    phones = forms.CharField(required=False, max_length=20_000)
    payment_accounts = forms.CharField(required=False, max_length=20_000)
    started = forms.CharField(max_length=200, required=False)
    money = forms.ChoiceField(choices=MoneyStatus.choices, required=False)
    amount = forms.CharField(max_length=100, required=False)
    payment_methods = forms.MultipleChoiceField(choices=PaymentMethod.choices, required=False)
    narrative = forms.CharField(max_length=20_000, required=False)
    help_wanted = forms.MultipleChoiceField(choices=HelpWanted.choices, required=False)
    contact = forms.CharField(max_length=300, required=False)
    consent_contact = forms.BooleanField(required=False)


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    """GET: a CSRF token to post with; POST: validate, encrypt the narrative, insert one row."""
    if request.method == "GET":
        return HttpResponse(
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
        )
    form = CeilingForm(request.POST)
    if not form.is_valid():
        return HttpResponse("invalid", status=400)
    data = form.cleaned_data
    CeilingReport.objects.create(
        created_at=timezone.now(),
        reporter_role=data["reporter_role"],
        categories=data["categories"],
        platforms=data["platforms"],
        narrative_ciphertext=_seal(data["narrative"]),
    )
    return HttpResponse("accepted")


def _valid(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("reporter_role") in ReporterRole.values
        and isinstance(item.get("categories"), list)
        and bool(item["categories"])
        and all(c in Category.values for c in item["categories"])
        and all(p in Platform.values for p in item.get("platforms", []))
        and isinstance(item.get("narrative", ""), str)
        and len(item.get("narrative", "")) <= 20_000
    )


@csrf_exempt
@require_http_methods(["POST"])
def report_batch(request: HttpRequest) -> HttpResponse:
    """Check a bearer token, validate a JSON batch, encrypt each narrative, bulk-insert."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(hashlib.sha256(token.encode()).digest(), TOKEN_DIGEST):
        return JsonResponse({"detail": "unauthorized"}, status=401)
    try:
        reports = json.loads(request.body)["reports"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "invalid"}, status=400)
    if not isinstance(reports, list) or not all(_valid(item) for item in reports):
        return JsonResponse({"detail": "invalid"}, status=400)
    now = timezone.now()
    CeilingReport.objects.bulk_create(
        [
            CeilingReport(
                created_at=now,
                reporter_role=item["reporter_role"],
                categories=item["categories"],
                platforms=item.get("platforms", []),
                narrative_ciphertext=_seal(item.get("narrative", "")),
            )
            for item in reports
        ]
    )
    return JsonResponse({"accepted": len(reports)}, status=201)


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer once the server is up."""
    return HttpResponse("ok")
