"""Linking and clustering in bulk: millions of mentions, one transaction, no per-row ORM work.

Used by re-extraction after an extractor upgrade, imports, and `hotline entities cluster`. On
PostgreSQL rows go through COPY into temporary tables and are merged with ON CONFLICT DO NOTHING,
so concurrent single-report linking by workers stays safe; on SQLite (the embedded default, small
installations) the ORM's bulk_create does the same job more slowly.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from hotline.entities.keys import _derived
from hotline.entities.models import Entity, EscrowedIdentifier, ReportCluster, ReportEntity
from hotline.vault import services as vault

_ENTITY_LABEL = b"openhotline/entities/index/v1"
_ESCROW_LABEL = b"openhotline/entities/escrow/v1"
_CHUNK = 20_000
_LIVE = (ReportEntity.State.EXTRACTED.value, ReportEntity.State.CONFIRMED.value)


@dataclass(frozen=True, slots=True)
class BulkMention:
    """One identifier named by one report."""

    report_id: int
    kind: str
    value: str
    platform: str = ""
    field: str = ""
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class BulkResult:
    """What a bulk run changed."""

    mentions: int
    entities_new: int
    links_new: int
    escrows_matched: int


def _chunks(items: list[bytes], size: int = _CHUNK) -> Iterator[list[bytes]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _is_postgres() -> bool:
    return bool(connection.vendor == "postgresql")


def _ids_by_digest(digests: list[bytes]) -> dict[bytes, int]:
    found: dict[bytes, int] = {}
    for chunk in _chunks(digests):
        for digest, pk in Entity.objects.filter(digest__in=chunk).values_list("digest", "pk"):
            found[bytes(digest)] = pk
    return found


@transaction.atomic
def entities_link_bulk(*, mentions: Iterable[BulkMention]) -> BulkResult:
    """Link many (report, identifier) mentions at once; idempotent like the single-report path.

    Rejected links stay rejected (existing rows are never overwritten) and escrows waiting for
    any of the identifiers are matched.
    """
    key = _derived(_ENTITY_LABEL)
    entities: dict[bytes, tuple[str, str, str]] = {}
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]] = {}
    count = 0
    for mention in mentions:
        count += 1
        message = mention.kind.encode() + b"\x00" + mention.value.encode("utf-8")
        digest = hmac.digest(key, message, hashlib.sha256)
        entities.setdefault(digest, (mention.kind, mention.value, mention.platform))
        links.setdefault((mention.report_id, digest), (mention.field, mention.start, mention.end))

    known = _ids_by_digest(list(entities))
    now = timezone.now()
    new_rows = []
    for digest, (kind, value, platform) in entities.items():
        if digest in known:
            continue
        context = f"entities.entity:{digest.hex()}:value"
        new_rows.append((kind, digest, vault.encrypt_text(value, context=context), platform, now))
    if new_rows:
        _insert_entities(new_rows)
    ids = known | _ids_by_digest([row[1] for row in new_rows])

    before = ReportEntity.objects.count()
    link_rows = [
        (report_id, ids[digest], field, start, end, now)
        for (report_id, digest), (field, start, end) in links.items()
    ]
    _insert_links(link_rows)
    links_new = ReportEntity.objects.count() - before

    matched = _match_escrows(entities, links)
    return BulkResult(count, len(new_rows), links_new, matched)


def _insert_entities(rows: list[tuple[str, bytes, bytes, str, datetime]]) -> None:
    if not _is_postgres():
        Entity.objects.bulk_create(
            [
                Entity(kind=k, digest=d, value_ciphertext=c, platform=p, created_at=t)
                for k, d, c, p, t in rows
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        # Dropped first: inside an enclosing transaction ON COMMIT DROP has not fired yet.
        cursor.execute("DROP TABLE IF EXISTS entities_new")
        cursor.execute(
            "CREATE TEMPORARY TABLE entities_new (kind text, digest bytea, value_ciphertext bytea,"
            " platform text, created_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY entities_new (kind, digest, value_ciphertext, platform, created_at) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "INSERT INTO entities_entity (kind, digest, value_ciphertext, platform, created_at)"
            " SELECT kind, digest, value_ciphertext, platform, created_at FROM entities_new"
            " ON CONFLICT (digest) DO NOTHING"
        )


def _insert_links(rows: list[tuple[int, int, str, int | None, int | None, datetime]]) -> None:
    if not _is_postgres():
        ReportEntity.objects.bulk_create(
            [
                ReportEntity(report_id=r, entity_id=e, field=f, start=s, end=n, created_at=t)
                for r, e, f, s, n, t in rows
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS entities_links_new")
        cursor.execute(
            "CREATE TEMPORARY TABLE entities_links_new (report_id bigint, entity_id bigint,"
            ' field text, start integer, "end" integer, created_at timestamptz) ON COMMIT DROP'
        )
        columns = 'report_id, entity_id, field, start, "end", created_at'
        with cursor.copy(f"COPY entities_links_new ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            'INSERT INTO entities_reportentity (report_id, entity_id, field, start, "end", state,'
            " origin, created_at)"
            ' SELECT report_id, entity_id, field, start, "end", %s, %s, created_at'
            " FROM entities_links_new ON CONFLICT (report_id, entity_id) DO NOTHING",
            [ReportEntity.State.EXTRACTED.value, ReportEntity.Origin.EXTRACTED.value],
        )


def _match_escrows(
    entities: dict[bytes, tuple[str, str, str]],
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]],
) -> int:
    if not EscrowedIdentifier.objects.filter(state=EscrowedIdentifier.State.WAITING).exists():
        return 0
    from hotline.entities.services import _escrow_mark_matched
    from hotline.intake.models import Report

    escrow_key = _derived(_ESCROW_LABEL)
    by_escrow: dict[bytes, bytes] = {}
    for digest, (kind, value, _platform) in entities.items():
        message = kind.encode() + b"\x00" + value.encode("utf-8")
        by_escrow[hmac.digest(escrow_key, message, hashlib.sha256)] = digest
    reports_of: dict[bytes, list[int]] = {}
    for report_id, digest in links:
        reports_of.setdefault(digest, []).append(report_id)
    matched = 0
    for chunk in _chunks(list(by_escrow)):
        waiting = EscrowedIdentifier.objects.select_for_update().filter(
            digest__in=chunk, state=EscrowedIdentifier.State.WAITING
        )
        for escrow in waiting:
            candidates = [
                r for r in reports_of[by_escrow[bytes(escrow.digest)]] if r != escrow.report_id
            ]
            if candidates:
                _escrow_mark_matched(escrow, Report.objects.get(pk=min(candidates)))
                matched += 1
    return matched


# --- clustering -------------------------------------------------------------------------------


def _live_links_by_entity() -> Iterator[tuple[int, int]]:
    """Yield (entity_id, report_id) of live links, grouped by entity."""
    if _is_postgres():
        query = (
            "COPY (SELECT entity_id, report_id FROM entities_reportentity"
            " WHERE state IN ('extracted', 'confirmed') ORDER BY entity_id) TO STDOUT"
        )
        with connection.cursor() as cursor, cursor.copy(query) as copy:
            copy.set_types(["int8", "int8"])
            yield from copy.rows()
        return
    yield from (
        ReportEntity.objects.filter(state__in=_LIVE)
        .order_by("entity_id")
        .values_list("entity_id", "report_id")
        .iterator(chunk_size=10_000)
    )


def _hash_groups() -> Iterator[list[int]]:
    """Yield the report ids sharing each exact evidence hash (MD5/SHA-256 or file SHA-256)."""
    from django.db.models import Count

    from hotline.intake.models import EvidenceFile, EvidenceHash

    shared = (
        EvidenceHash.objects.exclude(kind=EvidenceHash.Kind.PDQ)
        .values("kind", "value")
        .annotate(n=Count("report", distinct=True))
        .filter(n__gt=1)
    )
    for kind, value in shared.values_list("kind", "value").iterator():
        same = EvidenceHash.objects.filter(kind=kind, value=value)
        yield list(same.values_list("report_id", flat=True))
    files = (
        EvidenceFile.objects.values("sha256")
        .annotate(n=Count("report", distinct=True))
        .filter(n__gt=1)
        .values_list("sha256", flat=True)
    )
    for sha256 in files.iterator():
        yield list(EvidenceFile.objects.filter(sha256=sha256).values_list("report_id", flat=True))


def clusters_compute() -> int:
    """Recompute every report's cluster label (union-find over live links); return cluster count.

    Only reports with at least one live link or shared hash get a label; the others are alone.
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        return root

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller id becomes the root, so the label is the cluster's smallest report id.
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb

    current_entity = -1
    first_report = -1
    for entity_id, report_id in _live_links_by_entity():
        if entity_id != current_entity:
            current_entity, first_report = entity_id, report_id
            find(report_id)
        else:
            union(first_report, report_id)
    for group in _hash_groups():
        for report_id in group[1:]:
            union(group[0], report_id)

    now = timezone.now()
    labels = [(report_id, find(report_id), now) for report_id in parent]
    with transaction.atomic():
        ReportCluster.objects.all().delete()
        if _is_postgres():
            query = "COPY entities_reportcluster (report_id, label, computed_at) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(query) as copy:
                for row in labels:
                    copy.write_row(row)
        else:
            ReportCluster.objects.bulk_create(
                [ReportCluster(report_id=r, label=label, computed_at=t) for r, label, t in labels],
                batch_size=5000,
            )
    return len({label for _, label, _ in labels})


def cluster_reports_by_label(*, report_id: int) -> list[int]:
    """Return the report ids of a report's cluster from the last clustering run."""
    label = (
        ReportCluster.objects.filter(report_id=report_id).values_list("label", flat=True).first()
    )
    if label is None:
        return [report_id]
    return list(ReportCluster.objects.filter(label=label).values_list("report_id", flat=True))
