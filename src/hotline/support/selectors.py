"""Reads of support cases for caseworkers (and senior analysts, read-only): each checks the
permission matrix itself, so no page can forget it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db.models import F, Min, Q
from django.http import Http404
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.support.models import Consent, FollowUp, Referral, SupportCase
from hotline.vault import services as vault


@dataclass(frozen=True)
class CaseRow:
    case: SupportCase
    next_due: date | None
    overdue: bool


def support_case_rows(*, actor: User, mine: bool) -> list[CaseRow]:
    """Return open cases (or only `actor`'s): follow-ups due first, then by date, oldest."""
    require(actor, Action.VIEW_SUPPORT_CASES)
    today = timezone.localdate()
    # Overdue first falls out of the order: a due follow-up has the earliest date. Ordered
    # in the database so the cut at 500 keeps the most urgent.
    cases = (
        SupportCase.objects.exclude(state="closed")
        .select_related("report", "assignee")
        .annotate(next_due=Min("follow_ups__due_on", filter=Q(follow_ups__done_at__isnull=True)))
        .order_by(F("next_due").asc(nulls_last=True), "opened_at", "id")
    )
    if mine:
        cases = cases.filter(assignee=actor)
    return [
        CaseRow(case=c, next_due=c.next_due, overdue=bool(c.next_due and c.next_due <= today))
        for c in cases[:500]
    ]


def follow_ups_due_count(*, actor: User) -> int:
    """Count the open follow-ups due by today on `actor`'s cases (the in-page reminder)."""
    require(actor, Action.VIEW_SUPPORT_CASES)
    return FollowUp.objects.filter(
        case__assignee=actor, done_at__isnull=True, due_on__lte=timezone.localdate()
    ).count()


@dataclass(frozen=True)
class NoteView:
    author: str
    at: object
    body: str


@dataclass(frozen=True)
class CasePage:
    case: SupportCase
    consent: Consent | None
    consents: list[Consent]
    referrals: list[Referral]
    follow_ups: list[FollowUp]
    notes: list[NoteView]
    today: date


def support_case_get(*, actor: User, public_id: str) -> SupportCase:
    """Return a case by its public id for someone who may read it (404 for a garbage id)."""
    require(actor, Action.VIEW_SUPPORT_CASES)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    case = SupportCase.objects.select_related("report", "assignee").filter(public_id=key).first()
    if case is None:
        raise Http404
    return case


def support_case_page(*, actor: User, case: SupportCase) -> CasePage:
    """Return all of a case, notes decrypted; the read is audited (the notes are sensitive)."""
    require(actor, Action.VIEW_SUPPORT_CASES)
    consents = list(case.consents.select_related("recorded_by", "share_with_service"))
    notes = [
        NoteView(
            author=n.author.get_username(),
            at=n.created_at,
            body=vault.decrypt_text(bytes(n.body_ciphertext), context=n.context),
        )
        for n in case.notes.select_related("author")
    ]
    audit_record(
        actor=actor,
        action="support.case_read",
        target_type="support_case",
        target_id=str(case.public_id),
    )
    return CasePage(
        case=case,
        consent=consents[-1] if consents else None,
        consents=consents,
        referrals=list(case.referrals.select_related("service", "referred_by")),
        follow_ups=list(case.follow_ups.select_related("set_by")),
        notes=notes,
        today=timezone.localdate(),
    )
