"""Reads behind the staff pages, with permission checks and audit (decrypted values shown)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.shortcuts import get_object_or_404

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.entities.models import Entity, EscrowedIdentifier, ReportEntity
from hotline.entities.selectors import (
    cluster_of_entity,
    cluster_summary,
    entity_find,
    escrows_matched,
)
from hotline.entities.services import entity_value
from hotline.intake.models import Report

MAX_LISTED = 200
_LIVE = (ReportEntity.State.EXTRACTED, ReportEntity.State.CONFIRMED)


def staff_search(user: User, query: str) -> Entity | None:
    """Find an entity for a staff member; the search itself is audited (not the query text)."""
    require(user, Action.SEARCH_IDENTIFIERS)
    entity = entity_find(text=query)
    audit_record(
        actor=user,
        action="entities.search",
        target_type="entities.entity",
        target_id=entity.pk if entity else "",
        details={"found": entity is not None},
    )
    return entity


def access_entity(user: User, entity_id: int) -> Entity:
    """Return an entity for a staff member and record the access."""
    require(user, Action.SEARCH_IDENTIFIERS)
    entity = get_object_or_404(Entity, pk=entity_id)
    audit_record(
        actor=user, action="entities.view", target_type="entities.entity", target_id=entity.pk
    )
    return entity


def _graph(
    reports: list[Report], entities: list[Entity], edges: list[tuple[int, int]]
) -> dict[str, Any]:
    """Lay out a two-column graph (reports left, entities right) as SVG coordinates."""
    row = 22
    height = max(len(reports), len(entities), 1) * row + 20
    report_y = {r.pk: 20 + i * row for i, r in enumerate(reports)}
    entity_y = {e.pk: 20 + i * row for i, e in enumerate(entities)}
    lines = [
        {"y1": report_y[r], "y2": entity_y[e]} for r, e in edges if r in report_y and e in entity_y
    ]
    return {
        "height": height,
        "reports": [
            {"y": report_y[r.pk], "label": r.created_at.strftime("%Y-%m-%d")} for r in reports
        ],
        "entities": [{"y": entity_y[e.pk], "label": e.kind} for e in entities],
        "lines": lines,
    }


def cluster_page(entity: Entity) -> dict[str, Any]:
    """Return everything the cluster page shows around one entity."""
    cluster = cluster_of_entity(entity=entity)
    summary = cluster_summary(cluster)
    reports = list(
        Report.objects.filter(pk__in=cluster.report_ids).order_by("created_at")[:MAX_LISTED]
    )
    links = list(
        ReportEntity.objects.filter(report_id__in=cluster.report_ids, state__in=_LIVE).values_list(
            "report_id", "entity_id"
        )
    )
    per_entity = Counter(entity_id for _, entity_id in links)
    entities = sorted(
        Entity.objects.filter(pk__in=cluster.entity_ids)[:MAX_LISTED],
        key=lambda e: (-per_entity[e.pk], e.kind),
    )
    rows = [
        {
            "entity": e,
            "value": entity_value(e),
            "reports": per_entity[e.pk],
            "is_focus": e.pk == entity.pk,
        }
        for e in entities
    ]
    months = Counter(r.created_at.strftime("%Y-%m") for r in reports)
    peak = max(months.values(), default=1)
    timeline = [
        {"month": month, "count": count, "width": round(100 * count / peak)}
        for month, count in sorted(months.items())
    ]
    return {
        "entity": entity,
        "value": entity_value(entity),
        "summary": summary,
        "reports": reports,
        "rows": rows,
        "timeline": timeline,
        "graph": _graph(reports, entities, links),
        "listed_limit": MAX_LISTED,
    }


def report_entity_rows(report: Report) -> list[dict[str, Any]]:
    """Return a report's entity links with decrypted values (callers checked permission)."""
    links = ReportEntity.objects.filter(report=report).select_related("entity", "decided_by")
    return [
        {"link": link, "entity": link.entity, "value": entity_value(link.entity)}
        for link in links.order_by("state", "entity__kind", "pk")
    ]


def access_report_entity(user: User, report: Report, link_id: int) -> ReportEntity:
    """Return one entity link of a report a staff member has opened."""
    require(user, Action.MANAGE_IDENTIFIERS)
    return get_object_or_404(ReportEntity, pk=link_id, report=report)


def staff_escrows(user: User) -> dict[str, Any]:
    """Return matched escrows awaiting a decision and recent decisions; audit the viewing.

    Nothing here shows an escrowed identifier: the rows hold only digests. The analyst sees
    which report deposited and which later report matched, and opens both to judge.
    """
    require(user, Action.MANAGE_ESCROWS)
    audit_record(actor=user, action="entities.escrows_view", target_type="entities.escrow")
    decided = EscrowedIdentifier.objects.filter(
        state__in=(
            EscrowedIdentifier.State.CONSENT_ASKED,
            EscrowedIdentifier.State.CONSENTED,
            EscrowedIdentifier.State.DECLINED,
        )
    ).order_by("-matched_at")
    related = ("report", "matched_report")
    return {
        "matched": list(escrows_matched().select_related(*related)[:MAX_LISTED]),
        "decided": list(decided.select_related(*related)[:MAX_LISTED]),
    }


def access_escrow(user: User, escrow_id: int) -> EscrowedIdentifier:
    """Return one escrow for a staff member (its digest only; nothing to decrypt)."""
    require(user, Action.MANAGE_ESCROWS)
    return get_object_or_404(EscrowedIdentifier, pk=escrow_id)
