"""What the reporter's status page says about the help they asked for.

A promise to a frightened person must be true: "a counsellor will contact you" only when they
asked for help, agreed to be contacted, left a way to reach them, and the caseworker has not
since recorded "do not contact" or closed the case. Otherwise honest words: we cannot reach
you, and here is how to reach a support service yourself (from the directory). Nothing when
they did not ask for help.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hotline.directory.models import ServiceKind, SupportService
from hotline.intake.models import Report
from hotline.support.models import CaseState, ContactBy, SupportCase
from hotline.support.services import asked_for_help, consent_in_force

SELF_HELP_KINDS = (ServiceKind.COUNSELLING, ServiceKind.HELPLINE, ServiceKind.LEGAL_AID)


@dataclass(frozen=True)
class ServiceLine:
    name: str
    phone: str
    email: str
    website: str
    hours: str


@dataclass(frozen=True)
class SupportWords:
    text: str
    services: list[ServiceLine] = field(default_factory=list)


def _services() -> list[ServiceLine]:
    khmer = (get_language() or "").startswith("km")
    return [
        ServiceLine(
            name=(s.name_km if khmer and s.name_km else s.name_en),
            phone=s.phone,
            email=s.email,
            website=s.website,
            hours=s.hours,
        )
        for s in SupportService.objects.filter(active=True, kind__in=SELF_HELP_KINDS)[:5]
    ]


def counsellor_will_contact(report: Report, contact: str) -> bool:
    """Return whether the hotline may and can contact the reporter about the help they asked."""
    if not (asked_for_help(report) and report.consent_contact and contact.strip()):
        return False
    case = SupportCase.objects.filter(report=report).first()
    if case is None:
        return True  # the pipeline opens it shortly
    if case.state == CaseState.CLOSED:
        return False
    consent = consent_in_force(case)
    return consent is None or consent.contact_by != ContactBy.NONE


def reporter_support_words(report: Report, contact: str) -> SupportWords | None:
    """Return the words for the status page (None: the reporter did not ask for help)."""
    if not asked_for_help(report):
        return None
    if counsellor_will_contact(report, contact):
        return SupportWords(
            _(
                "You asked for help. A counsellor will contact you, the way you told us. "
                "You do not need to do anything now."
            )
        )
    case = SupportCase.objects.filter(report=report).first()
    if case is not None and case.state == CaseState.CLOSED:
        text = _("You asked for help. Our counsellor has finished following up.")
    else:
        text = _(
            "You asked for help, but we have no way to contact you, so we cannot call or "
            "write to you."
        )
    services = _services()
    if services:
        more = _("If you need help, you can contact one of these services yourself:")
    else:
        more = _("If you need help, our advice pages list places you can contact yourself.")
    return SupportWords(f"{text} {more}", services)
