"""Evidence on staff pages: blurred previews, timed reveals, downloads, and reported links.

Every answer carrying evidence is `Cache-Control: no-store, private` (the middleware sets
no-store on every page too): no browser or proxy keeps a clear image.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.requests import staff_user as _staff
from hotline.audit.services import audit_record
from hotline.intake.models import EvidenceFile
from hotline.staff.selectors import access_report, report_details_for
from hotline.viewing.selectors import exposure_today, link_href
from hotline.viewing.services import (
    PreviewFailed,
    RevealRefused,
    evidence_download,
    evidence_preview,
    evidence_reveal,
    reveal_access,
    reveal_image,
    reveal_live,
)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _report_url(evidence: EvidenceFile) -> str:
    url = reverse("staff:report_detail", kwargs={"public_id": evidence.report.public_id})
    return f"{url}#evidence-{evidence.pk}"


@login_required
@require_GET
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve an evidence image's blurred greyscale preview."""
    user = _staff(request)
    evidence = get_object_or_404(EvidenceFile.objects.select_related("report"), pk=pk)
    try:
        data = evidence_preview(user=user, evidence=evidence)
    except (RevealRefused, PreviewFailed) as exc:
        raise Http404 from exc
    return _private(HttpResponse(data, content_type="image/jpeg"))


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal one evidence image for a limited time (audited), then show it."""
    user = _staff(request)
    evidence = get_object_or_404(EvidenceFile.objects.select_related("report"), pk=pk)
    try:
        made = evidence_reveal(user=user, evidence=evidence)
    except RevealRefused as exc:
        context = {"message": str(exc), "back": _report_url(evidence)}
        return render(request, "viewing/refused.html", context, status=400)
    return redirect("viewing:revealed", token=made.token)


@login_required
@require_GET
def revealed(request: HttpRequest, token: str) -> HttpResponse:
    """Show a revealed image until its time is up, then go back to the report (blurred)."""
    user = _staff(request)
    row = reveal_access(user=user, token=token)
    live = reveal_live(row)
    remaining = max(0, int((row.expires_at - timezone.now()).total_seconds()))
    context = {
        "row": row,
        "token": token,
        "live": live,
        "remaining": remaining,
        "back": _report_url(row.evidence),
        "exposure": exposure_today(user=user),
    }
    return _private(render(request, "viewing/revealed.html", context, status=200 if live else 410))


@login_required
@require_GET
def revealed_image(request: HttpRequest, token: str) -> HttpResponse:
    """Serve the clear image of a live reveal to the analyst who made it, and nobody else."""
    data, content_type = reveal_image(user=_staff(request), token=token)
    return _private(HttpResponse(data, content_type=content_type))


@login_required
@require_POST
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an evidence file (its original if kept for police); audited."""
    evidence = get_object_or_404(EvidenceFile.objects.select_related("report"), pk=pk)
    data, content_type, name = evidence_download(user=_staff(request), evidence=evidence)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


@login_required
@require_GET
def link_warning(request: HttpRequest, public_id: str, index: int) -> HttpResponse:
    """Warn before opening a link a reporter gave; the page opens it without a referrer."""
    user = _staff(request)
    report = access_report(user, public_id)
    links = report_details_for(user, report).get("links") or []
    if not isinstance(links, list) or not 0 <= index < len(links):
        raise Http404
    text = str(links[index])
    audit_record(
        actor=user,
        action="report.link_warning",
        target_type="report",
        target_id=str(report.public_id),
        details={"link": index},  # the position only: the link itself stays encrypted
    )
    context = {"report": report, "text": text, "href": link_href(text)}
    return _private(render(request, "viewing/link_warning.html", context))
