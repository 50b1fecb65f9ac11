"""Takedown notices and partner forwards: create, submit, answer, cancel, retry, escalate.

Every function that a member of staff calls checks `send_notices` first and writes one audit
event in the transaction of its change; audit details hold references, counts and codes, never
a notice's text, an identifier or an answer. E-mail notices are sent by the worker
(hotline.takedown.sending); web-form notices are pasted by an analyst who then marks them
submitted. The case moves to "notice sent" (or "forwarded to a partner") through
hotline.cases.services when the report's first one is sent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.cases.services import CaseError, report_state_change
from hotline.cases.workflow import transition_allowed
from hotline.directory.models import NoticeChannel, PartnerHotline, Platform
from hotline.directory.services import host_of
from hotline.entities.models import Kind
from hotline.entities.services import entity_value
from hotline.hosting.models import HostTrace
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.takedown import notices as words
from hotline.takedown.models import Notice, Target
from hotline.takedown.selectors import Candidate, report_candidates
from hotline.tasks.queue import enqueue
from hotline.vault import services as vault

logger = logging.getLogger(__name__)

SEND_TASK = "hotline.takedown.tasks.notice_send"
MAX_TICKET_CHARS = 120
MAX_ANSWER_CHARS = 10_000
MAX_TARGETS = 200
# A report must have been assessed before the hotline asks anyone to remove anything.
NOTICEABLE_STATES = frozenset(
    {
        CaseState.ASSESSED,
        CaseState.NOTICE_SENT,
        CaseState.REFERRED_POLICE,
        CaseState.SENT_TO_PARTNER,
    }
)
OPEN_STATES = (Notice.State.QUEUED, Notice.State.TO_SUBMIT)


class NoticeError(Exception):
    """A notice action that was refused; the message is meant for the analyst."""


def _clean_ticket(ticket: str) -> str:
    ticket = " ".join(ticket.split())
    if len(ticket) > MAX_TICKET_CHARS:
        raise NoticeError(f"The ticket number is too long (at most {MAX_TICKET_CHARS} characters).")
    if any(not ch.isprintable() for ch in ticket):
        raise NoticeError("The ticket number holds characters that cannot be shown.")
    return ticket


def _require_noticeable(report: Report) -> None:
    if report.status not in NOTICEABLE_STATES:
        raise NoticeError(
            "Only an assessed report can be noticed or forwarded: assess it first "
            f"(it is “{CaseState(report.status).label}”)."
        )


def _audit(actor: User | None, action: str, notice: Notice, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="takedown.notice",
        target_id=str(notice.public_id),
        details={"report": str(notice.report.public_id), "kind": notice.kind, **details},
    )


@dataclass(frozen=True)
class Created:
    notices: list[Notice]


def _new_notice(**fields: Any) -> Notice:
    return Notice(created_at=timezone.now(), **fields)


def _store_body(notice: Notice, body: str) -> None:
    notice.body_ciphertext = vault.encrypt_text(body, context=notice.body_context)


def _initial_state(channel: str) -> str:
    return Notice.State.QUEUED if channel == NoticeChannel.EMAIL else Notice.State.TO_SUBMIT


def _recipient(platform: Platform) -> str:
    """Where a notice to this platform goes: the child-abuse address first, the form's
    address for a form; an API platform is handled by hand through its form or e-mail."""
    if platform.channel == NoticeChannel.EMAIL:
        return platform.child_abuse_email or platform.abuse_email
    return platform.web_form_url or platform.child_abuse_email or platform.abuse_email


def _channel(platform: Platform) -> str:
    # No API client exists yet: an API platform is served like a web form (by hand).
    return (
        NoticeChannel.EMAIL if platform.channel == NoticeChannel.EMAIL else NoticeChannel.WEB_FORM
    )


def notices_create(
    *, actor: User, report_id: int, entity_ids: list[int], language: str = "en"
) -> Created:
    """Build and queue one notice per platform for the chosen identifiers of a report.

    Each chosen identifier must be a noticeable identifier of this report with a platform in
    the directory and no open or sent first notice; otherwise nothing is created.
    """
    require(actor, Action.SEND_NOTICES)
    if language not in words.LANGUAGES:
        raise NoticeError("Choose English or Khmer for the notice.")
    chosen = set(entity_ids)
    if not chosen:
        raise NoticeError("Choose at least one identifier to notice.")
    if len(chosen) > MAX_TARGETS:
        raise NoticeError(f"At most {MAX_TARGETS} identifiers in one go.")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        _require_noticeable(report)
        candidates = {c.entity.pk: c for c in report_candidates(report=report)}
        unknown = chosen - candidates.keys()
        if unknown:
            raise NoticeError("Some chosen identifiers are not identifiers of this report.")
        by_platform: dict[int, list[Candidate]] = defaultdict(list)
        for entity_id in sorted(chosen):
            candidate = candidates[entity_id]
            if candidate.noticed:
                raise NoticeError("A notice about one of the chosen identifiers exists already.")
            if candidate.route.platform is None or not candidate.sendable:
                raise NoticeError(
                    "One of the chosen identifiers has no platform or notice channel in the "
                    "directory: " + " ".join(candidate.route.missing)
                )
            by_platform[candidate.route.platform.pk].append(candidate)
        created = []
        now = timezone.now()
        for group in by_platform.values():
            platform = group[0].route.platform
            assert platform is not None
            targets = []
            for candidate in group:
                target, _ = Target.objects.get_or_create(
                    report=report,
                    entity=candidate.entity,
                    defaults={"platform": platform, "created_at": now},
                )
                if target.platform_id != platform.pk:
                    target.platform = platform
                    target.save(update_fields=["platform"])
                targets.append(target)
            channel = _channel(platform)
            notice = _new_notice(
                report=report,
                kind=Notice.Kind.TAKEDOWN,
                platform=platform,
                channel=channel,
                recipient=_recipient(platform),
                language=language,
                state=_initial_state(channel),
                created_by=actor,
            )
            text = words.takedown_text(
                public_id=notice.public_id,
                platform_code=platform.code,
                platform_name=platform.name,
                language=language,
                items=[c.value for c in group],
            )
            notice.subject = text.subject
            _store_body(notice, text.body)
            notice.save()
            notice.targets.set(targets)
            if notice.state == Notice.State.QUEUED:
                enqueue(SEND_TASK, notice.pk)
            _audit(
                actor,
                "takedown.notice_created",
                notice,
                platform=platform.code,
                channel=channel,
                targets=len(targets),
            )
            created.append(notice)
    return Created(notices=created)


def _locked_notice(notice_id: int, *, report_id: int | None = None) -> Notice:
    found = Notice.objects.select_for_update().filter(pk=notice_id)
    if report_id is not None:
        found = found.filter(report_id=report_id)
    notice = found.first()
    if notice is None:
        raise NoticeError("No such notice.")
    return notice


def notice_submitted(*, actor: User, notice_id: int, ticket: str = "") -> Notice:
    """Record that an analyst pasted a web-form notice into the platform's form (now sent)."""
    require(actor, Action.SEND_NOTICES)
    ticket = _clean_ticket(ticket)
    with transaction.atomic():
        notice = _locked_notice(notice_id)
        if notice.state != Notice.State.TO_SUBMIT:
            raise NoticeError("This notice is not waiting to be submitted by hand.")
        notice.state = Notice.State.SENT
        notice.sent_at = timezone.now()
        notice.sent_by = actor
        notice.ticket = ticket
        notice.save(update_fields=["state", "sent_at", "sent_by", "ticket"])
        _audit(actor, "takedown.notice_submitted", notice, ticket=bool(ticket))
        targets_noticed(notice=notice)
    notice_case_update(notice=notice, actor=actor)
    return notice


def notice_answer_record(*, actor: User, notice_id: int, ticket: str, answer: str) -> Notice:
    """Record the platform's (or partner's) answer and ticket number; the answer is encrypted."""
    require(actor, Action.SEND_NOTICES)
    ticket = _clean_ticket(ticket)
    answer = answer.strip()
    if len(answer) > MAX_ANSWER_CHARS:
        raise NoticeError(f"The answer is too long (at most {MAX_ANSWER_CHARS} characters).")
    if "\x00" in answer:
        raise NoticeError("The answer holds a character that cannot be stored.")
    if not answer and not ticket:
        raise NoticeError("Write the answer or the ticket number.")
    with transaction.atomic():
        notice = _locked_notice(notice_id)
        if notice.state != Notice.State.SENT:
            raise NoticeError("Only a sent notice can have an answer.")
        fields = ["answered_at", "answered_by"]
        if ticket:
            notice.ticket = ticket
            fields.append("ticket")
        if answer:
            notice.answer_ciphertext = vault.encrypt_text(answer, context=notice.answer_context)
            fields.append("answer_ciphertext")
        notice.answered_at = timezone.now()
        notice.answered_by = actor
        notice.save(update_fields=fields)
        _audit(actor, "takedown.notice_answer", notice, ticket=bool(ticket), answer=bool(answer))
    return notice


def notice_cancel(*, actor: User, notice_id: int) -> Notice:
    """Cancel a notice not sent yet (queued, to submit, or failed)."""
    require(actor, Action.SEND_NOTICES)
    with transaction.atomic():
        notice = _locked_notice(notice_id)
        if notice.state not in (*OPEN_STATES, Notice.State.FAILED):
            raise NoticeError("Only a notice not sent yet can be cancelled.")
        previous = notice.state
        notice.state = Notice.State.CANCELLED
        notice.save(update_fields=["state"])
        _audit(actor, "takedown.notice_cancelled", notice, was=previous)
    return notice


def notice_retry(*, actor: User, notice_id: int) -> Notice:
    """Queue a failed e-mail notice again (after the analyst checked it did not arrive)."""
    require(actor, Action.SEND_NOTICES)
    with transaction.atomic():
        notice = _locked_notice(notice_id)
        if notice.state != Notice.State.FAILED or notice.channel != NoticeChannel.EMAIL:
            raise NoticeError("Only a failed e-mail notice can be sent again.")
        notice.state = Notice.State.QUEUED
        notice.attempts = 0
        notice.send_started_at = None
        notice.last_error = ""
        notice.save(update_fields=["state", "attempts", "send_started_at", "last_error"])
        enqueue(SEND_TASK, notice.pk)
        _audit(actor, "takedown.notice_retry", notice)
    return notice


def targets_noticed(*, notice: Notice) -> None:
    """Start the removal clock of the notice's targets (first notice only); in its transaction."""
    if notice.kind == Notice.Kind.TAKEDOWN and notice.sent_at is not None:
        Target.objects.filter(notices=notice, first_noticed_at__isnull=True).update(
            first_noticed_at=notice.sent_at, next_check_at=notice.sent_at
        )


def notice_case_update(*, notice: Notice, actor: User | None) -> None:
    """Move the case to "notice sent" / "forwarded to a partner" after a notice was sent.

    The analyst who asked for the notice (or who submitted it) makes the move, through the
    cases service and its checks; a report already in that state, or in one the workflow does
    not allow to move from, stays (the notice is sent regardless, and its record says so).
    """
    to_state = (
        CaseState.NOTICE_SENT if notice.kind == Notice.Kind.TAKEDOWN else CaseState.SENT_TO_PARTNER
    )
    mover = actor or notice.created_by
    if mover is None:
        return
    current = Report.objects.filter(pk=notice.report_id).values_list("status", flat=True).first()
    if current is None or not transition_allowed(current, to_state):
        return
    try:
        report_state_change(
            actor=mover, report_id=notice.report_id, expected_state=current, to_state=to_state
        )
    except (CaseError, PermissionDenied):
        logger.warning("notice %s sent; the case state was not moved", notice.pk)


def report_forward(
    *, actor: User, report_id: int, partner_id: int, entity_ids: list[int]
) -> Notice:
    """Forward a report to a partner hotline as JSON by e-mail (no reporter identity)."""
    require(actor, Action.SEND_NOTICES)
    chosen = set(entity_ids)
    if not chosen:
        raise NoticeError("Choose at least one identifier to forward.")
    if len(chosen) > MAX_TARGETS:
        raise NoticeError(f"At most {MAX_TARGETS} identifiers in one go.")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        _require_noticeable(report)
        partner = PartnerHotline.objects.filter(pk=partner_id, active=True).first()
        if partner is None:
            raise NoticeError("Choose a partner hotline from the directory.")
        if not partner.email:
            raise NoticeError(f"{partner.name} has no e-mail address in the directory.")
        candidates = {c.entity.pk: c for c in report_candidates(report=report)}
        if chosen - candidates.keys():
            raise NoticeError("Some chosen identifiers are not identifiers of this report.")
        open_forward = Notice.objects.filter(
            report=report,
            partner=partner,
            kind=Notice.Kind.FORWARD,
            state__in=[*OPEN_STATES, Notice.State.SENT],
        ).exists()
        if open_forward:
            raise NoticeError(f"This report was forwarded to {partner.name} already.")
        now = timezone.now()
        notice = _new_notice(
            report=report,
            kind=Notice.Kind.FORWARD,
            partner=partner,
            channel=NoticeChannel.EMAIL,
            recipient=partner.email,
            language="en",
            state=Notice.State.QUEUED,
            created_by=actor,
        )
        identifiers = []
        targets = []
        for entity_id in sorted(chosen):
            candidate = candidates[entity_id]
            identifiers.append(_forward_identifier(candidate))
            target, _ = Target.objects.get_or_create(
                report=report,
                entity=candidate.entity,
                defaults={"platform": candidate.route.platform, "created_at": now},
            )
            targets.append(target)
        document = words.forward_document(
            public_id=notice.public_id,
            report_received_at=report.created_at,
            categories=[str(c) for c in report.categories],
            identifiers=identifiers,
            partner_country=partner.country,
        )
        notice.subject = words.forward_text(
            public_id=notice.public_id, partner_name=partner.name
        ).subject
        _store_body(notice, document)
        notice.save()
        notice.targets.set(targets)
        enqueue(SEND_TASK, notice.pk)
        _audit(
            actor,
            "takedown.forward_created",
            notice,
            partner=partner.pk,
            country=partner.country,
            identifiers=len(identifiers),
        )
    return notice


def _forward_identifier(candidate: Candidate) -> dict[str, Any]:
    entity = candidate.entity
    item: dict[str, Any] = {"kind": entity.kind, "value": candidate.value}
    if entity.platform:
        item["platform"] = entity.platform
    if entity.kind == Kind.URL.value:
        trace = HostTrace.objects.filter(host=host_of(candidate.value)).first()
        if trace is not None:
            item["hosting"] = {
                "traced_at": trace.traced_at.isoformat(timespec="seconds"),
                "countries": trace.countries,
                "networks": sorted(
                    {str(a.get("owner", "")) for a in trace.addresses if a.get("owner")}
                ),
                "cdn": trace.behind_cdn,
            }
    return item


def notices_escalate_due(now: datetime | None = None) -> int:
    """Queue one escalation per platform for targets whose escalation level is due.

    A target is due when the re-checks (hotline.takedown.rechecks) raised its
    `escalation_level` above the highest level of the sent notices that cover it. Running
    twice queues nothing more: the queued escalation covers the target (open escalations count
    as covering it). A periodic task; returns how many notices it queued.
    """
    now = now or timezone.now()
    queued = 0
    due = (
        Target.objects.filter(
            escalation_level__gt=0,
            state=Target.State.ONLINE,
            platform__isnull=False,
            first_noticed_at__isnull=False,
        )
        .values_list("report_id", flat=True)
        .distinct()
    )
    for report_id in set(due):
        with transaction.atomic():
            # The report's lock: two workers running the periodic job at once take turns, and
            # the second finds the first one's escalation covering the targets.
            Report.objects.select_for_update().filter(pk=report_id).first()
            queued += _escalate_report(report_id=report_id, now=now)
    return queued


def _escalate_report(*, report_id: int, now: datetime) -> int:
    groups: dict[int, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(
        report_id=report_id, state=Target.State.ONLINE, escalation_level__gt=0
    ).select_related("platform", "entity"):
        covering = Notice.objects.filter(
            targets=target,
            kind=Notice.Kind.TAKEDOWN,
            state__in=[Notice.State.SENT, *OPEN_STATES],
        )
        highest = covering.aggregate(level=Max("escalation_level"))["level"]
        if highest is None or target.platform is None:
            continue  # never noticed: nothing to escalate
        if target.escalation_level > highest:
            groups[target.platform.pk].append(target)
    made = 0
    for targets in groups.values():
        # One escalation per platform, at the highest level due among its targets.
        level = max(t.escalation_level for t in targets)
        platform = targets[0].platform
        assert platform is not None
        previous = (
            Notice.objects.filter(
                targets__in=targets, kind=Notice.Kind.TAKEDOWN, state=Notice.State.SENT
            )
            .order_by("-escalation_level", "-sent_at", "-id")
            .first()
        )
        if previous is None:
            continue
        channel = _channel(platform)
        notice = _new_notice(
            report_id=report_id,
            kind=Notice.Kind.TAKEDOWN,
            platform=platform,
            channel=channel,
            recipient=_recipient(platform),
            language=previous.language,
            state=_initial_state(channel),
            created_by=None,
            follows=previous,
            escalation_level=level,
        )
        text = words.takedown_text(
            public_id=notice.public_id,
            platform_code=platform.code,
            platform_name=platform.name,
            language=previous.language,
            items=[entity_value(t.entity) for t in targets],
            escalation_level=level,
            previous_reference=words.notice_reference(previous.public_id),
            previous_sent_at=previous.sent_at,
        )
        notice.subject = text.subject
        _store_body(notice, text.body)
        notice.save()
        notice.targets.set(targets)
        if notice.state == Notice.State.QUEUED:
            enqueue(SEND_TASK, notice.pk)
        notice.report = Report.objects.get(pk=report_id)
        _audit(
            None,
            "takedown.notice_escalated",
            notice,
            platform=platform.code,
            level=level,
            targets=len(targets),
        )
        made += 1
    return made
