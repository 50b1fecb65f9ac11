"""What a referral package says about a case: gathered once, written as JSON and as a PDF.

Nothing that identifies the reporter goes in unless the reporter agreed: the public form asks
only `consent_contact` (contact by the hotline) and `keep_original_for_police` (keep the original
files), so by default the contact details, the receipt code and escrowed identifiers are left
out, and the contact text is also blanked wherever the reporter repeated it in their own words.
The one consent to share identity with police is the one a caseworker records with the victim
(hotline.support: `share_with_police` in the consent in force): then the contact details go in,
with who recorded that consent and when. Never the receipt code
(docs/decisions/referral-packages.md).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation

from hotline.assessment.selectors import report_assessments
from hotline.cases.models import CaseEvent
from hotline.entities.models import ReportEntity
from hotline.entities.services import entity_value
from hotline.intake.choices import (
    AgeRange,
    CaseState,
    Category,
    MoneyStatus,
    Platform,
    ReporterRole,
)
from hotline.intake.models import EvidenceFile, Report
from hotline.intake.selectors import report_details

REPORT_FORMAT = "openhotline-referral-report-1"
REMOVED = "[reporter contact removed]"
NO_IDENTITY = (
    "The reporter's identity and contact details are not included: the reporter was not "
    "asked for, and did not give, consent to share them with police."
)
TEXT_FIELDS = ("narrative", "started", "amount")
LIST_FIELDS = ("links", "usernames", "phones", "payment_accounts")


def _identity_values(details: dict[str, Any]) -> list[str]:
    """The reporter's contact text, and each e-mail address or number in it, longest first."""
    contact = str(details.get("contact") or "").strip()
    if not contact:
        return []
    parts = {contact}
    parts.update(re.findall(r"[^\s,;]+@[^\s,;]+", contact))
    parts.update(m.strip() for m in re.findall(r"\+?\d[\d \-]{5,}\d", contact))
    parts.update(p for p in re.split(r"[\s,;]+", contact) if len(p) >= 4)
    return sorted(parts, key=len, reverse=True)


def police_consent(report: Report) -> dict[str, Any] | None:
    """The consent in force to share the reporter's identity with police, or None."""
    from hotline.support.models import SupportCase
    from hotline.support.services import consent_in_force

    case = SupportCase.objects.filter(report=report).first()
    consent = consent_in_force(case) if case is not None else None
    if consent is None or not consent.share_with_police:
        return None
    return {
        "recorded_at": consent.recorded_at.isoformat(),
        "recorded_by": consent.recorded_by.get_username(),
    }


def _blank(text: str, identity: list[str]) -> str:
    for value in identity:
        text = re.sub(re.escape(value), REMOVED, text, flags=re.IGNORECASE)
    return text


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def evidence_name(index: int, evidence: EvidenceFile, *, original: bool) -> str:
    """The file's name in the package: a number and its hash, never the reporter's file name."""
    kind = "original" if original else "working"
    return f"evidence/{index:03d}-{kind}-{evidence.sha256[:16]}.bin"


def case_content(
    *,
    report: Report,
    language: str,
    header: dict[str, Any],
    custody: dict[str, Any],
    evidence_files: dict[int, str],
) -> dict[str, Any]:
    """The package's report.json document (schema REPORT_FORMAT, documented in the decision).

    `evidence_files` maps an evidence row's id to its file name in the package (empty when
    the liaison did not ask for files).
    """
    details = report_details(report)
    consent = police_consent(report)
    identity = [] if consent is not None else _identity_values(details)
    with translation.override(language):
        labels = {
            "categories": [_label(Category, c) for c in report.categories],
            "platforms": [_label(Platform, p) for p in report.platforms],
            "reporter_role": _label(ReporterRole, report.reporter_role),
            "victim_age": _label(AgeRange, report.victim_age),
            "money": _label(MoneyStatus, report.money),
            "state": _label(CaseState, report.status),
        }
    assessments = report_assessments(report=report)
    current = next((row for row in assessments if row.current), None)
    identifiers = [
        {
            "kind": link.entity.kind,
            "platform": link.entity.platform,
            "value": entity_value(link.entity),
            "state": link.state,
            "origin": link.origin,
            "field": link.field,
        }
        for link in ReportEntity.objects.filter(report=report)
        .exclude(state=ReportEntity.State.REJECTED)
        .exclude(field="" if consent is not None else "contact")
        .select_related("entity")
        .order_by("entity__kind", "pk")
    ]
    identifiers = [i for i in identifiers if _blank(i["value"], identity) == i["value"]]
    files = [
        {
            "file": evidence_files.get(f.pk),
            "content_type": f.content_type,
            "size": f.size,
            "sha256": f.sha256,
            "md5": f.md5,
            "pdq": f.pdq or None,
            "pdq_quality": f.pdq_quality,
            "original_kept": bool(f.original_name),
            "received_at": f.created_at.isoformat(),
        }
        for f in report.files.order_by("pk")
    ]
    timeline = [
        {
            "at": event.at.isoformat(),
            "kind": event.kind,
            "from": event.from_state,
            "to": event.to_state,
            "by": event.actor.get_username() if event.actor is not None else "system",
        }
        for event in CaseEvent.objects.filter(report=report).select_related("actor")
    ]
    return {
        **header,
        "format": REPORT_FORMAT,
        "language": language,
        "report": {
            "received_at": report.created_at.isoformat(),
            "channel": report.source,
            "reporter_language": report.language,
            "reporter_role": report.reporter_role,
            "victim_age": report.victim_age,
            "categories": list(report.categories),
            "platforms": list(report.platforms),
            "money": report.money,
            "payment_methods": list(report.payment_methods),
            "in_danger": report.in_danger,
            "state": report.status,
            "labels": labels,
            **{k: _blank(str(details.get(k) or ""), identity) for k in TEXT_FIELDS},
            **{k: [_blank(str(v), identity) for v in _list(details.get(k))] for k in LIST_FIELDS},
        },
        "assessment": {
            "current": None
            if current is None
            else {
                "version": current.version,
                "at": current.at.isoformat(),
                "by": current.by,
                "values": [{"dimension": d, "en": en, "km": km} for d, en, km in current.labels],
            },
            "versions": len(assessments),
        },
        "identifiers": identifiers,
        "evidence": {
            "files_included": bool(evidence_files),
            "files": files,
            "hashes_without_files": [
                {"kind": h.kind, "value": h.value, "quality": h.quality}
                for h in report.hashes.order_by("pk")
            ],
        },
        "timeline": timeline,
        "chain_of_custody": custody,
        "reporter": {"identity_included": False, "why": NO_IDENTITY}
        if consent is None
        else {
            "identity_included": True,
            "contact": str(details.get("contact") or ""),
            "consent": consent,
        },
    }
