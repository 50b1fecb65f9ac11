"""Entity reads: find an identifier, walk its cluster, summarise it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from hotline.entities.keys import entity_digests_all
from hotline.entities.models import Entity, EscrowedIdentifier, ReportEntity
from hotline.entities.services import EntityInputError, canonical_identifier
from hotline.intake.models import EvidenceFile, EvidenceHash, Report

# A cluster walk stops here: a link that every report shares (a platform's home page, say)
# would otherwise make one cluster of the whole database.
MAX_CLUSTER_REPORTS = 5000

_LIVE = (ReportEntity.State.EXTRACTED, ReportEntity.State.CONFIRMED)


def entity_find(*, text: str) -> Entity | None:
    """Return the entity for a pasted identifier in any written form, or None."""
    try:
        found = canonical_identifier(text)
    except EntityInputError:
        return None
    return Entity.objects.filter(digest__in=entity_digests_all(found.type, found.value)).first()


@dataclass
class Cluster:
    """Reports joined by shared entities or identical evidence hashes."""

    report_ids: set[int] = field(default_factory=set)
    entity_ids: set[int] = field(default_factory=set)
    hash_keys: set[tuple[str, str]] = field(default_factory=set)
    truncated: bool = False


def _hash_keys_of(report_ids: set[int]) -> set[tuple[str, str]]:
    keys = {
        (kind, value)
        for kind, value in EvidenceHash.objects.filter(report_id__in=report_ids)
        .exclude(kind=EvidenceHash.Kind.PDQ)
        .values_list("kind", "value")
    }
    keys |= {
        ("sha256", value)
        for value in EvidenceFile.objects.filter(report_id__in=report_ids).values_list(
            "sha256", flat=True
        )
    }
    return keys


def _reports_with_hashes(keys: set[tuple[str, str]]) -> set[int]:
    ids: set[int] = set()
    for kind in {kind for kind, _ in keys}:
        values = [value for k, value in keys if k == kind]
        ids |= set(
            EvidenceHash.objects.filter(kind=kind, value__in=values).values_list(
                "report_id", flat=True
            )
        )
        if kind == "sha256":
            ids |= set(
                EvidenceFile.objects.filter(sha256__in=values).values_list("report_id", flat=True)
            )
    return ids


def cluster_walk(*, report_ids: set[int], limit: int = MAX_CLUSTER_REPORTS) -> Cluster:
    """Return the cluster reachable from some reports (breadth first, bounded by `limit`)."""
    cluster = Cluster()
    frontier = set(report_ids)
    while frontier:
        cluster.report_ids |= frontier
        links = ReportEntity.objects.filter(report_id__in=frontier, state__in=_LIVE)
        new_entities = set(links.values_list("entity_id", flat=True)) - cluster.entity_ids
        cluster.entity_ids |= new_entities
        new_hashes = _hash_keys_of(frontier) - cluster.hash_keys
        cluster.hash_keys |= new_hashes
        reached: set[int] = set()
        if new_entities:
            reached |= set(
                ReportEntity.objects.filter(
                    entity_id__in=new_entities, state__in=_LIVE
                ).values_list("report_id", flat=True)
            )
        if new_hashes:
            reached |= _reports_with_hashes(new_hashes)
        frontier = reached - cluster.report_ids
        if len(cluster.report_ids) + len(frontier) > limit:
            room = max(0, limit - len(cluster.report_ids))
            frontier = set(sorted(frontier)[:room])
            cluster.truncated = True
            cluster.report_ids |= frontier
            break
    return cluster


def cluster_of_report(*, report_id: int) -> Cluster:
    """Return the cluster a report belongs to."""
    return cluster_walk(report_ids={report_id})


def cluster_of_entity(*, entity: Entity) -> Cluster:
    """Return the cluster of every report that names an entity."""
    start = set(
        ReportEntity.objects.filter(entity=entity, state__in=_LIVE).values_list(
            "report_id", flat=True
        )
    )
    cluster = cluster_walk(report_ids=start) if start else Cluster()
    cluster.entity_ids.add(entity.pk)
    return cluster


@dataclass(frozen=True)
class ClusterSummary:
    """What the cluster page headline says."""

    reports: int
    partners: int
    first_report: datetime | None
    last_report: datetime | None
    entities_by_kind: dict[str, int]
    matching_hashes: int
    truncated: bool


def cluster_summary(cluster: Cluster) -> ClusterSummary:
    """Summarise a cluster: "14 reports since March, 3 payment accounts, 2 matching images"."""
    reports = Report.objects.filter(pk__in=cluster.report_ids)
    dates = sorted(reports.values_list("created_at", flat=True))
    kinds = Counter(Entity.objects.filter(pk__in=cluster.entity_ids).values_list("kind", flat=True))
    shared_hashes = 0
    for key in cluster.hash_keys:
        if len(_reports_with_hashes({key}) & cluster.report_ids) > 1:
            shared_hashes += 1
    return ClusterSummary(
        reports=len(cluster.report_ids),
        partners=reports.exclude(partner__isnull=True).values("partner").distinct().count(),
        first_report=dates[0] if dates else None,
        last_report=dates[-1] if dates else None,
        entities_by_kind=dict(kinds),
        matching_hashes=shared_hashes,
        truncated=cluster.truncated,
    )


def report_earlier_links(*, report: Report) -> int:
    """Count earlier reports that share an entity with this one (for the queue's priority)."""
    entity_ids = ReportEntity.objects.filter(report=report, state__in=_LIVE).values("entity_id")
    return (
        ReportEntity.objects.filter(
            entity_id__in=entity_ids, state__in=_LIVE, report__created_at__lt=report.created_at
        )
        .values("report_id")
        .distinct()
        .count()
    )


def escrows_matched() -> QuerySet[EscrowedIdentifier]:
    """Escrows a later report matched, waiting for an analyst's decision."""
    return EscrowedIdentifier.objects.filter(state=EscrowedIdentifier.State.MATCHED).order_by(
        "matched_at"
    )


def escrow_questions(*, report: Report) -> QuerySet[EscrowedIdentifier]:
    """Consent questions to show on a reporter's status page."""
    return EscrowedIdentifier.objects.filter(
        report=report, state=EscrowedIdentifier.State.CONSENT_ASKED
    )
