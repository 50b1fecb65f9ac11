"""Reads for notices: what a report could be noticed about, and the record of notices sent.

Every function takes the member of staff and checks `send_notices` first: notices name the
reported identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.directory.models import NoticeChannel, PartnerHotline, Platform
from hotline.directory.services import NoticeRoute, notice_route
from hotline.entities.models import Entity, Kind, ReportEntity
from hotline.entities.services import entity_value
from hotline.hosting.reports import report_hosting_countries
from hotline.intake.models import Report
from hotline.takedown.models import Notice, Target
from hotline.vault import services as vault

# Identifier kinds a platform can take down (a wallet or a phone number is for the police).
NOTICEABLE_KINDS = frozenset({Kind.URL.value, Kind.HANDLE.value})


@dataclass(frozen=True)
class Candidate:
    """One identifier of a report that a notice could name, and where it would go."""

    entity: Entity
    value: str
    route: NoticeRoute
    # Notices already open or sent about it (a second first notice is refused).
    noticed: bool

    @property
    def sendable(self) -> bool:
        return (
            self.route.platform is not None
            and self.route.channel != NoticeChannel.NONE
            and not self.noticed
        )


@dataclass
class PlatformGroup:
    """The candidates that one notice to one platform would cover."""

    platform: Platform | None
    candidates: list[Candidate] = field(default_factory=list)


def _route(entity: Entity, value: str) -> NoticeRoute:
    url = value if entity.kind == Kind.URL.value else ""
    return notice_route(entity_platform=entity.platform, url=url)


def report_candidates(*, report: Report) -> list[Candidate]:
    """Every identifier of the report a platform could remove (rejected links left out).

    No permission check: callers (the services and `notice_candidates`) check first.
    """
    links = (
        ReportEntity.objects.filter(report=report, entity__kind__in=NOTICEABLE_KINDS)
        .exclude(state=ReportEntity.State.REJECTED)
        .select_related("entity")
        .order_by("entity_id")
    )
    noticed = set(
        Target.objects.filter(
            report=report,
            notices__kind=Notice.Kind.TAKEDOWN,
            notices__escalation_level=0,
            notices__state__in=[Notice.State.QUEUED, Notice.State.TO_SUBMIT, Notice.State.SENT],
        ).values_list("entity_id", flat=True)
    )
    found = []
    for link in links:
        value = entity_value(link.entity)
        found.append(
            Candidate(
                entity=link.entity,
                value=value,
                route=_route(link.entity, value),
                noticed=link.entity_id in noticed,
            )
        )
    return found


def notice_candidates(*, actor: User, report: Report) -> list[PlatformGroup]:
    """The report's identifiers grouped by platform (unknown hosts last, as one group)."""
    require(actor, Action.SEND_NOTICES)
    groups: dict[int | None, PlatformGroup] = {}
    for candidate in report_candidates(report=report):
        platform = candidate.route.platform
        key = platform.pk if platform is not None else None
        groups.setdefault(key, PlatformGroup(platform=platform)).candidates.append(candidate)
    return sorted(
        groups.values(),
        key=lambda g: (g.platform is None, g.platform.name if g.platform else ""),
    )


def report_notices(*, actor: User, report: Report) -> QuerySet[Notice]:
    """The notices and forwards of one report, oldest first."""
    require(actor, Action.SEND_NOTICES)
    return (
        Notice.objects.filter(report=report)
        .select_related("platform", "partner", "created_by", "sent_by", "follows")
        .prefetch_related("targets")
        .order_by("created_at", "id")
    )


def notices_list(
    *, actor: User, state: str = "", platform_id: int | None = None, kind: str = ""
) -> QuerySet[Notice]:
    """Every notice, newest first, filtered by state, platform and kind."""
    require(actor, Action.SEND_NOTICES)
    found = Notice.objects.select_related(
        "report", "platform", "partner", "created_by", "sent_by"
    ).order_by("-created_at", "-id")
    if state:
        found = found.filter(state=state)
    if platform_id is not None:
        found = found.filter(platform_id=platform_id)
    if kind:
        found = found.filter(kind=kind)
    return found


def notice_body(*, actor: User, notice: Notice) -> str:
    """The notice's text as sent (for a forward: the JSON document)."""
    require(actor, Action.SEND_NOTICES)
    if not notice.body_ciphertext:
        return ""
    return vault.decrypt_text(bytes(notice.body_ciphertext), context=notice.body_context)


def notice_answer(*, actor: User, notice: Notice) -> str:
    require(actor, Action.SEND_NOTICES)
    if not notice.answer_ciphertext:
        return ""
    return vault.decrypt_text(bytes(notice.answer_ciphertext), context=notice.answer_context)


def partner_choices(*, actor: User, report: Report) -> tuple[list[PartnerHotline], list[str]]:
    """Active partner hotlines (those in the countries the report is hosted in first), and
    the foreign hosting countries."""
    require(actor, Action.SEND_NOTICES)
    # Where the content lives (CDN edges left out: hotline.hosting.reports), home left out.
    home = str(settings.HOTLINE_HOME_COUNTRY).upper()
    abroad = [c for c in report_hosting_countries(report) if c != home]
    partners = list(PartnerHotline.objects.filter(active=True).exclude(email=""))
    partners.sort(key=lambda p: (p.country not in abroad, p.country, p.name))
    return partners, abroad
