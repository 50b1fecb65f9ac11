"""Linking and clustering in bulk: millions of mentions, one transaction, no per-row ORM work.

Used by re-extraction after an extractor upgrade, imports, and `hotline entities cluster`. On
PostgreSQL rows go through COPY into temporary tables and are merged with ON CONFLICT DO NOTHING,
so concurrent single-report linking by workers stays safe; on SQLite (the embedded default, small
installations) the ORM's bulk_create does the same job more slowly.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from hotline.entities.extract import entity_flags
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


class _Hmac:
    """HMAC-SHA256 with the key's pads hashed once: about three times faster per message than
    hmac.digest for the millions of short messages of a bulk run (same result)."""

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __call__(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


# COPY text format: NULL is \N; a bytea in hex is \x..., its backslash escaped as \\.
_NULL = "\\N"
_BYTEA_HEX = "\\\\x"


@lru_cache(maxsize=4096)
def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format (cached: fields, kinds and platforms repeat)."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while millions of acyclic tuples are built.

    Each full collection walks every live object, and growing to millions of them triggers
    several: a third of the Python time of a 3-million-mention run. Process-wide, so meant for
    the CLI and worker processes that run bulk jobs.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_gc_paused()
@transaction.atomic
def entities_link_bulk(*, mentions: Iterable[BulkMention], exclusive: bool = False) -> BulkResult:
    """Link many (report, identifier) mentions at once; idempotent like the single-report path.

    Rejected links stay rejected (existing rows are never overwritten) and escrows waiting for
    any of the identifiers are matched. With `exclusive` (PostgreSQL, maintenance windows and
    imports) the link table's foreign keys to reports and entities are dropped for the final
    merge and re-added, so PostgreSQL checks them with one join instead of one locking lookup
    per row (about 20 times faster); the price is that reports, entities and links can be
    neither read nor written by others from the merge until the commit.
    """
    digest_of = _Hmac(_derived(_ENTITY_LABEL))
    entities: dict[tuple[str, str], tuple[bytes, str]] = {}
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]] = {}
    count = 0
    for mention in mentions:
        count += 1
        key = (mention.kind, mention.value)
        known = entities.get(key)
        if known is None:
            digest = digest_of(mention.kind.encode() + b"\x00" + mention.value.encode("utf-8"))
            entities[key] = (digest, mention.platform)
        else:
            digest = known[0]
        links.setdefault((mention.report_id, digest), (mention.field, mention.start, mention.end))
    if _is_postgres():
        entities_new, links_new = _link_postgres(entities, links, exclusive=exclusive)
    else:
        entities_new, links_new = _link_generic(entities, links)
    matched = _match_escrows(entities, links)
    _flags_set(entities)
    return BulkResult(count, entities_new, links_new, matched)


def _flags_set(entities: dict[tuple[str, str], tuple[bytes, str]]) -> None:
    """Store the flags of flagged identifiers (rare: one UPDATE for the few, after the COPY)."""
    by_flags: dict[str, list[bytes]] = {}
    for (kind, value), (digest, _) in entities.items():
        flags = " ".join(entity_flags(kind, value))
        if flags:
            by_flags.setdefault(flags, []).append(digest)
    for flags, digests in by_flags.items():
        Entity.objects.filter(digest__in=digests).exclude(flags=flags).update(flags=flags)


def _new_entity_rows(
    entities: dict[tuple[str, str], tuple[bytes, str]], existing: set[bytes]
) -> list[tuple[str, bytes, bytes, str]]:
    new = [
        (kind, value, digest, platform)
        for (kind, value), (digest, platform) in entities.items()
        if digest not in existing
    ]
    blobs = vault.encrypt_many(
        [(value.encode(), f"entities.entity:{digest.hex()}:value") for _, value, digest, _ in new]
    )
    return [
        (kind, digest, blob, platform)
        for (kind, _, digest, platform), blob in zip(new, blobs, strict=True)
    ]


def _link_postgres(
    entities: dict[tuple[str, str], tuple[bytes, str]],
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]],
    *,
    exclusive: bool,
) -> tuple[int, int]:
    """Merge through temporary tables: ids are resolved by joins in the database, not Python."""
    now = timezone.now()
    with connection.cursor() as cursor:
        # The default 4 MB makes the digest hash join spill to disk in batches; local to this
        # transaction.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # Dropped first: inside an enclosing transaction ON COMMIT DROP has not fired yet.
        for table in ("entities_bulk_digests", "entities_new", "entities_links_new"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if exclusive:
            # Other writers of entities wait from here to the commit (readers only during the
            # merge), so the entities found now are all there will be.
            cursor.execute("LOCK TABLE entities_entity IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("CREATE TEMPORARY TABLE entities_bulk_digests (digest bytea) ON COMMIT DROP")
        with cursor.copy("COPY entities_bulk_digests (digest) FROM STDIN") as copy:
            buffer = [f"{_BYTEA_HEX}{digest.hex()}\n" for digest, _ in entities.values()]
            copy.write("".join(buffer))
        cursor.execute(
            "SELECT d.digest, e.id FROM entities_bulk_digests d JOIN entities_entity e"
            " ON e.digest = d.digest"
        )
        existing = {bytes(digest): int(pk) for digest, pk in cursor.fetchall()}
        if exclusive:
            fresh = [
                (kind, value, digest, platform)
                for (kind, value), (digest, platform) in entities.items()
                if digest not in existing
            ]
            return _merge_exclusive(cursor, fresh, existing, links, now)
        rows = _new_entity_rows(entities, set(existing))
        cursor.execute(
            "CREATE TEMPORARY TABLE entities_new (kind text, digest bytea, value_ciphertext bytea,"
            " platform text) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY entities_new (kind, digest, value_ciphertext, platform) FROM STDIN"
        ) as copy:
            # Formatted by hand: write_row costs about 2.5 µs a row, a million rows 2.5 s.
            copy.write(
                "".join(
                    f"{_copy_text(kind)}\t{_BYTEA_HEX}{digest.hex()}\t{_BYTEA_HEX}{blob.hex()}"
                    f"\t{_copy_text(platform)}\n"
                    for kind, digest, blob, platform in rows
                )
            )
        cursor.execute(
            "INSERT INTO entities_entity (kind, digest, value_ciphertext, platform, created_at)"
            " SELECT kind, digest, value_ciphertext, platform, %s FROM entities_new"
            " ON CONFLICT (digest) DO NOTHING",
            [now],
        )
        entities_new = cursor.rowcount
        cursor.execute(
            "CREATE TEMPORARY TABLE entities_links_new (report_id bigint, digest bytea,"
            ' field text, start integer, "end" integer) ON COMMIT DROP'
        )
        columns = 'report_id, digest, field, start, "end"'
        with cursor.copy(f"COPY entities_links_new ({columns}) FROM STDIN") as copy:
            for chunk in _chunked(
                f"{report_id}\t{_BYTEA_HEX}{digest.hex()}\t{_span(field, start, end)}\n"
                for (report_id, digest), (field, start, end) in links.items()
            ):
                copy.write(chunk)
        # Temporary tables get no statistics on their own; without them the planner guesses a
        # few thousand rows and may pick a nested loop over millions.
        cursor.execute("ANALYZE entities_links_new")
        cursor.execute(
            'INSERT INTO entities_reportentity (report_id, entity_id, field, start, "end", state,'
            " origin, created_at)"
            ' SELECT l.report_id, e.id, l.field, l.start, l."end", %s, %s, %s'
            " FROM entities_links_new l JOIN entities_entity e ON e.digest = l.digest"
            " ON CONFLICT (report_id, entity_id) DO NOTHING",
            [ReportEntity.State.EXTRACTED.value, ReportEntity.Origin.EXTRACTED.value, now],
        )
        links_new = cursor.rowcount
    return entities_new, links_new


def _span(field: str, start: int | None, end: int | None) -> str:
    """Return field, start and end as COPY text columns."""
    first = _NULL if start is None else str(start)
    last = _NULL if end is None else str(end)
    return f"{_copy_text(field)}\t{first}\t{last}"


def _chunked(lines: Iterable[str], size: int = 50_000) -> list[str]:
    """Join COPY lines into a few large strings (one write each, little memory per line)."""
    chunks = []
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            chunks.append("".join(batch))
            batch.clear()
    if batch:
        chunks.append("".join(batch))
    return chunks


def _merge_exclusive(
    cursor: CursorWrapper,
    new: list[tuple[str, str, bytes, str]],
    existing: dict[bytes, int],
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]],
    now: datetime,
) -> tuple[int, int]:
    """Merge with entity ids assigned here and rows COPYed straight into the tables.

    Entity writers are locked out (see the caller), so a block of ids reserved from the
    sequence is ours and the new entities (kind, value, digest, platform) cannot collide.
    Links to a new entity cannot exist yet and are COPYed directly; only links to entities
    that existed before need the anti-join against existing links. Values are encrypted and
    rows formatted chunk by chunk while a writer thread sends the previous chunk, so Python
    and PostgreSQL work at the same time.
    """
    first = 0
    if new:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('entities_entity', 'id'),"
            " nextval(pg_get_serial_sequence('entities_entity', 'id')) + %s - 1)",
            [len(new)],
        )
        first = int(cursor.fetchone()[0]) - len(new) + 1
    stamp = now.isoformat()
    new_ids = {digest: first + offset for offset, (_, _, digest, _) in enumerate(new)}
    direct: list[tuple[int, int, str, int | None, int | None]] = []
    earlier: list[str] = []
    for (report_id, digest), (field, start, end) in links.items():
        entity_id = new_ids.get(digest)
        if entity_id is not None:
            direct.append((report_id, entity_id, field, start, end))
        else:
            earlier.append(f"{report_id}\t{existing[digest]}\t{_span(field, start, end)}\n")
    del new_ids
    if earlier:
        cursor.execute(
            "CREATE TEMPORARY TABLE entities_links_new (report_id bigint, entity_id bigint,"
            ' field text, start integer, "end" integer) ON COMMIT DROP'
        )
        columns = 'report_id, entity_id, field, start, "end"'
        with cursor.copy(f"COPY entities_links_new ({columns}) FROM STDIN") as copy:
            copy.write("".join(earlier))
        cursor.execute("ANALYZE entities_links_new")

    # ALTER TABLE refuses while deferred checks on the table are pending (from earlier work in
    # an enclosing transaction, or of the kept decided_by key during the merge): run them now
    # and per statement until the end of the merge.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The merge: reports, entities and links are locked from here to the commit.
    dropped = _foreign_keys_drop(cursor, ("report_id", "entity_id"))
    # A first load into empty tables: building the secondary indexes once afterwards (sorted,
    # bulk-logged) is about twice as fast as millions of single inserts.
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    rebuilt: list[str] = []
    for table in ("entities_entity", "entities_reportentity"):
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
        if cursor.fetchone() == (True,):
            rebuilt += _indexes_drop(cursor, table)
    columns = "id, kind, digest, value_ciphertext, platform, created_at"
    with cursor.copy(
        f"COPY entities_entity ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor.cursor)
    ) as copy:
        for offset in range(0, len(new), _CHUNK):
            batch = new[offset : offset + _CHUNK]
            blobs = vault.encrypt_many(
                [
                    (value.encode(), f"entities.entity:{digest.hex()}:value")
                    for _, value, digest, _ in batch
                ]
            )
            copy.write(
                "".join(
                    f"{first + offset + index}\t{_copy_text(kind)}\t{_BYTEA_HEX}{digest.hex()}"
                    f"\t{_BYTEA_HEX}{blob.hex()}\t{_copy_text(platform)}\t{stamp}\n"
                    for index, ((kind, _, digest, platform), blob) in enumerate(
                        zip(batch, blobs, strict=True)
                    )
                )
            )
    extracted = (
        f"\t{ReportEntity.State.EXTRACTED.value}\t{ReportEntity.Origin.EXTRACTED.value}\t{stamp}\n"
    )
    columns = 'report_id, entity_id, field, start, "end", state, origin, created_at'
    with cursor.copy(
        f"COPY entities_reportentity ({columns}) FROM STDIN",
        writer=QueuedLibpqWriter(cursor.cursor),
    ) as copy:
        for offset in range(0, len(direct), _CHUNK):
            copy.write(
                "".join(
                    f"{report_id}\t{entity_id}\t{_span(field, start, end)}{extracted}"
                    for report_id, entity_id, field, start, end in direct[offset : offset + _CHUNK]
                )
            )
    links_new = len(direct)
    if earlier:
        cursor.execute(
            'INSERT INTO entities_reportentity (report_id, entity_id, field, start, "end", state,'
            " origin, created_at)"
            ' SELECT l.report_id, l.entity_id, l.field, l.start, l."end", %s, %s, %s'
            " FROM entities_links_new l WHERE NOT EXISTS (SELECT 1 FROM entities_reportentity r"
            " WHERE r.report_id = l.report_id AND r.entity_id = l.entity_id)",
            [ReportEntity.State.EXTRACTED.value, ReportEntity.Origin.EXTRACTED.value, now],
        )
        links_new += cursor.rowcount
    for statement in rebuilt:
        cursor.execute(statement)
    _constraints_defer_again(cursor)
    if dropped:
        # Re-adding validates every row with one anti-join (the constraints' names and
        # definitions are unchanged, so migrations still find them).
        cursor.execute(
            "ALTER TABLE entities_reportentity "
            + ", ".join(
                f"ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                for name, definition in dropped
            )
        )
    return len(new), links_new


def _indexes_drop(cursor: CursorWrapper, table: str, *, primary: bool = False) -> list[str]:
    """Drop a table's indexes (the primary key too if asked); return statements recreating them."""
    cursor.execute(
        "SELECT i.relname, c.conname, pg_get_constraintdef(c.oid), pg_get_indexdef(i.oid)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid"
        " WHERE x.indrelid = %s::regclass AND (%s OR NOT x.indisprimary) ORDER BY i.relname",
        [table, primary],
    )
    recreate = []
    quote = connection.ops.quote_name
    for index, constraint, constraint_definition, index_definition in cursor.fetchall():
        if constraint:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint)}")
            recreate.append(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} {constraint_definition}"
            )
        else:
            cursor.execute(f"DROP INDEX {quote(index)}")
            recreate.append(str(index_definition))
    return recreate


def _constraints_defer_again(cursor: CursorWrapper) -> None:
    """Undo SET CONSTRAINTS ALL IMMEDIATE: deferrable constraints back to their initial mode."""
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.conname) FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace"
        " WHERE c.condeferrable AND NOT c.condeferred"
    )
    immediate = [str(name) for (name,) in cursor.fetchall()]
    if immediate:
        cursor.execute(f"SET CONSTRAINTS {', '.join(immediate)} IMMEDIATE")


def _foreign_keys_drop(cursor: CursorWrapper, columns: tuple[str, ...]) -> list[tuple[str, str]]:
    """Drop the link table's foreign keys on `columns`; return their (name, definition)."""
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE c.conrelid = 'entities_reportentity'::regclass AND c.contype = 'f'"
        " AND cardinality(c.conkey) = 1 AND a.attname = ANY (%s) ORDER BY c.conname",
        [list(columns)],
    )
    found = [(str(name), str(definition)) for name, definition in cursor.fetchall()]
    if found:
        cursor.execute(
            "ALTER TABLE entities_reportentity "
            + ", ".join(f"DROP CONSTRAINT {connection.ops.quote_name(n)}" for n, _ in found)
        )
    return found


def _link_generic(
    entities: dict[tuple[str, str], tuple[bytes, str]],
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]],
) -> tuple[int, int]:
    """Merge with the ORM (SQLite: the embedded default, small installations)."""
    now = timezone.now()
    digests = [digest for digest, _ in entities.values()]
    existing = set(_ids_by_digest(digests))
    rows = _new_entity_rows(entities, existing)
    before_entities = Entity.objects.count()
    Entity.objects.bulk_create(
        [
            Entity(
                kind=kind, digest=digest, value_ciphertext=blob, platform=platform, created_at=now
            )
            for kind, digest, blob, platform in rows
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    ids = _ids_by_digest(digests)
    before_links = ReportEntity.objects.count()
    ReportEntity.objects.bulk_create(
        [
            ReportEntity(
                report_id=report_id,
                entity_id=ids[digest],
                field=field,
                start=start,
                end=end,
                created_at=now,
            )
            for (report_id, digest), (field, start, end) in links.items()
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return (
        Entity.objects.count() - before_entities,
        ReportEntity.objects.count() - before_links,
    )


def _match_escrows(
    entities: dict[tuple[str, str], tuple[bytes, str]],
    links: dict[tuple[int, bytes], tuple[str, int | None, int | None]],
) -> int:
    if not EscrowedIdentifier.objects.filter(state=EscrowedIdentifier.State.WAITING).exists():
        return 0
    from hotline.entities.services import _escrow_mark_matched
    from hotline.intake.models import Report

    escrow_key = _derived(_ESCROW_LABEL)
    by_escrow: dict[bytes, bytes] = {}
    for (kind, value), (digest, _) in entities.items():
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


def _live_links() -> npt.NDArray[np.int64]:
    """Return the live links as an (n, 2) array of (entity_id, report_id)."""
    if not _is_postgres():
        rows = list(
            ReportEntity.objects.filter(state__in=_LIVE).values_list("entity_id", "report_id")
        )
        return np.array(rows, dtype=np.int64).reshape(-1, 2)
    # Two arrays in one row: COPY would send one message per link (millions of round trips
    # through the driver), array_agg sends one value per column; array_send hands it over in
    # PostgreSQL's binary array layout, read by numpy without a Python int per element.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_send(array_agg(entity_id::bigint)),"
            " array_send(array_agg(report_id::bigint)) FROM entities_reportentity"
            " WHERE state IN ('extracted', 'confirmed')"
        )
        entity_ids, report_ids = cursor.fetchone() or (None, None)
    if entity_ids is None or report_ids is None:
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack([_int8_array(bytes(entity_ids)), _int8_array(bytes(report_ids))], axis=1)


# Binary array: ndim, has-nulls flag, element type, then (size, lower bound) per dimension,
# then (length, value) per element; array_agg gives one dimension and no NULLs here.
_ARRAY_HEADER = 20
_INT8_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])


def _int8_array(data: bytes) -> npt.NDArray[np.int64]:
    """Decode a one-dimensional bigint[] without NULLs from array_send's output."""
    ndim, has_nulls = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    if ndim != 1 or has_nulls:
        raise ValueError("expected a one-dimensional bigint array without NULLs")
    elements = np.frombuffer(data, dtype=_INT8_ELEMENT, offset=_ARRAY_HEADER)
    return elements["value"].astype(np.int64)


def _dense_index(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return (sorted distinct values, position of each distinct value by value) for ids >= 0.

    A bitmap over the id range: ids are dense database keys, and this is several times faster
    than np.unique plus searchsorted.
    """
    present = np.zeros(int(values.max()) + 1 if values.size else 0, dtype=bool)
    present[values] = True
    distinct = np.flatnonzero(present).astype(np.int64)
    position = np.cumsum(present, dtype=np.int64) - 1
    return distinct, position


def connected_components(
    u: npt.NDArray[np.int64], v: npt.NDArray[np.int64], nodes: int
) -> npt.NDArray[np.int64]:
    """Label each node with the smallest node index of its component (edges u[i]-v[i]).

    Hooks the larger root onto the smaller for every edge whose ends differ, then jumps
    pointers to the roots; repeats until no edge spans two labels. A few rounds in practice
    (13 for a million-node chain in random order), each linear in numpy.
    """
    labels = np.arange(nodes, dtype=np.int64)
    while True:
        ru, rv = labels[u], labels[v]
        differ = ru != rv
        if not differ.any():
            return labels
        ru, rv = ru[differ], rv[differ]
        np.minimum.at(labels, np.maximum(ru, rv), np.minimum(ru, rv))
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped


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


@_gc_paused()
def clusters_compute() -> int:
    """Recompute every report's cluster label over live links and shared hashes; return count.

    Reports and entities are nodes of one graph (reports first, so a component's smallest node
    is a report and its id is the label). Only reports with at least one live link or shared hash
    get a label; the others are alone.
    """
    links = _live_links()
    hash_edges = [(group[0], other) for group in _hash_groups() for other in group[1:]]
    pairs = np.array(hash_edges, dtype=np.int64).reshape(-1, 2)
    report_ids, report_position = _dense_index(np.concatenate([links[:, 1], pairs.ravel()]))
    entity_ids, entity_position = _dense_index(links[:, 0])
    first_entity = len(report_ids)
    u = np.concatenate([report_position[links[:, 1]], report_position[pairs[:, 0]]])
    v = np.concatenate([first_entity + entity_position[links[:, 0]], report_position[pairs[:, 1]]])
    labels = report_ids[connected_components(u, v, first_entity + len(entity_ids))[:first_entity]]

    now = timezone.now()
    with transaction.atomic():
        if _is_postgres():
            stamp = now.isoformat()
            query = "COPY entities_reportcluster (report_id, label, computed_at) FROM STDIN"
            with connection.cursor() as cursor:
                # TRUNCATE, not DELETE: after a DELETE every new row's primary-key check visits
                # the old row's heap tuple (a million random reads, 10 s of a 15 s run). Readers
                # of the labels wait for the commit instead of seeing the old labels meanwhile.
                cursor.execute("TRUNCATE entities_reportcluster")
                # Indexes built once after the load instead of a million single inserts.
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                rebuilt = _indexes_drop(cursor, "entities_reportcluster", primary=True)
            with connection.cursor() as cursor, cursor.copy(query) as copy:
                ids, marks = report_ids.tolist(), labels.tolist()
                for offset in range(0, len(ids), 100_000):
                    copy.write(
                        "".join(
                            f"{report_id}\t{label}\t{stamp}\n"
                            for report_id, label in zip(
                                ids[offset : offset + 100_000],
                                marks[offset : offset + 100_000],
                                strict=True,
                            )
                        )
                    )
            with connection.cursor() as cursor:
                for statement in rebuilt:
                    cursor.execute(statement)
        else:
            ReportCluster.objects.all().delete()
            ReportCluster.objects.bulk_create(
                [
                    ReportCluster(report_id=report_id, label=label, computed_at=now)
                    for report_id, label in zip(report_ids.tolist(), labels.tolist(), strict=True)
                ],
                batch_size=5000,
            )
    return int(np.unique(labels).size)


def cluster_reports_by_label(*, report_id: int) -> list[int]:
    """Return the report ids of a report's cluster from the last clustering run."""
    label = (
        ReportCluster.objects.filter(report_id=report_id).values_list("label", flat=True).first()
    )
    if label is None:
        return [report_id]
    return list(ReportCluster.objects.filter(label=label).values_list("report_id", flat=True))


def cluster_label(*, report_id: int) -> int | None:
    """Return a report's cluster label from the last clustering run, if it has one."""
    label: int | None = (
        ReportCluster.objects.filter(report_id=report_id).values_list("label", flat=True).first()
    )
    return label


def cluster_size(*, label: int) -> int:
    """Return how many reports carry a cluster label."""
    return ReportCluster.objects.filter(label=label).count()


def entity_cluster_label(*, entity_id: int) -> int | None:
    """Return the cluster label of the reports naming an entity (last clustering run)."""
    # No ordering: any live link will do, and LIMIT 1 then walks the (entity, state) index.
    report_ids = ReportEntity.objects.filter(entity_id=entity_id, state__in=_LIVE).values_list(
        "report_id", flat=True
    )[:1]
    for report_id in report_ids:
        return cluster_label(report_id=report_id)
    return None
