"""Bulk linking on PostgreSQL: COPY into temporary tables, merge with joins in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from hotline.entities.bulk.common import CHUNK, EntityMap, LinkMap, new_entity_rows
from hotline.entities.bulk.schema import (
    constraints_defer_again,
    foreign_keys_drop,
    indexes_drop,
)
from hotline.entities.models import ReportEntity
from hotline.vault import services as vault

# COPY text format: NULL is \N; a bytea in hex is \x..., its backslash escaped as \\.
_NULL = "\\N"
_BYTEA_HEX = "\\\\x"


@lru_cache(maxsize=4096)
def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format (cached: fields, kinds and platforms repeat)."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def link_postgres(
    entities: EntityMap,
    links: LinkMap,
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
        rows = new_entity_rows(entities, set(existing))
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
    links: LinkMap,
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
    dropped = foreign_keys_drop(cursor, ("report_id", "entity_id"))
    # A first load into empty tables: building the secondary indexes once afterwards (sorted,
    # bulk-logged) is about twice as fast as millions of single inserts.
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    rebuilt: list[str] = []
    for table in ("entities_entity", "entities_reportentity"):
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
        if cursor.fetchone() == (True,):
            rebuilt += indexes_drop(cursor, table)
    columns = "id, kind, digest, value_ciphertext, platform, created_at"
    with cursor.copy(
        f"COPY entities_entity ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor.cursor)
    ) as copy:
        for offset in range(0, len(new), CHUNK):
            batch = new[offset : offset + CHUNK]
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
        for offset in range(0, len(direct), CHUNK):
            copy.write(
                "".join(
                    f"{report_id}\t{entity_id}\t{_span(field, start, end)}{extracted}"
                    for report_id, entity_id, field, start, end in direct[offset : offset + CHUNK]
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
    constraints_defer_again(cursor)
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
