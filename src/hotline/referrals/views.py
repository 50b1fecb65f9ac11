"""The staff page that produces a referral package (thin: referrals.services does the work)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hotline.accounts.permissions import Action, require
from hotline.accounts.requests import staff_user
from hotline.referrals.forms import PackageForm
from hotline.referrals.selectors import access_report_for_referral, report_packages
from hotline.referrals.services import (
    ReferralError,
    referral_package_downloaded,
    referral_package_produce,
)


@login_required
def package(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: the form and earlier packages; POST: produce one and download it (a ZIP)."""
    user = staff_user(request)
    require(user, Action.REFERRAL_PACKAGE)
    report = access_report_for_referral(user, str(public_id))
    form = PackageForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            produced = referral_package_produce(
                actor=user,
                report=report,
                language=form.cleaned_data["language"],
                include_evidence=form.cleaned_data["include_evidence"],
            )
        except ReferralError as exc:
            error = str(exc)
        else:
            referral_package_downloaded(actor=user, record=produced.record)
            response = HttpResponse(produced.data, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
            response["Cache-Control"] = "no-store"
            return response
    context = {
        "report": report,
        "form": form,
        "error": error,
        "packages": report_packages(user, report),
    }
    return render(request, "referrals/package.html", context, status=400 if error else 200)
