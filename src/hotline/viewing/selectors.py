"""Reads for evidence viewing: the evidence panel of a report and each analyst's exposure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit

from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.intake.models import EvidenceFile, Report
from hotline.viewing.models import EvidenceReveal
from hotline.viewing.services import IMAGE_TYPES, reveal_seconds

_OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)


def exposure_today(*, user: User) -> int:
    """Return how many evidence images `user` revealed since midnight (the hotline's time zone)."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return EvidenceReveal.objects.filter(user=user, created_at__gte=midnight).count()


@dataclass(frozen=True)
class EvidenceRow:
    evidence: EvidenceFile
    is_image: bool


def evidence_panel(*, user: User, report: Report) -> dict[str, object]:
    """Return what the evidence viewing panel of a report's page shows for `user`."""
    may_view = can(user, Action.VIEW_EVIDENCE)
    rows = []
    if may_view:
        rows = [
            EvidenceRow(evidence=f, is_image=f.content_type in IMAGE_TYPES)
            for f in report.files.order_by("pk")
        ]
    return {
        "rows": rows,
        "may_view": may_view,
        "may_download": can(user, Action.DOWNLOAD_EVIDENCE),
        "exposure": exposure_today(user=user) if may_view else 0,
        "seconds": reveal_seconds(),
    }


def link_href(text: str) -> str:
    """Return the address a reported link opens, or "" if it is not a web address.

    Only http and https: a reported "javascript:" or "file:" link is shown, never followed.
    A link given without a scheme ("example.com/x") is opened as http.
    """
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        return ""
    if "://" not in text and _OTHER_SCHEME.match(text):
        return ""  # "javascript:…", "data:…", "mailto:…" (a host with a port is not refused)
    parts = urlsplit(text if "://" in text else f"http://{text}")
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return ""
    return parts.geturl()
