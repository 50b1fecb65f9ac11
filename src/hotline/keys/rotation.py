"""The background half of a key rotation: rewrite every ciphertext, chunk by chunk.

A data rotation goes through each target (hotline.keys.targets) in id order from a cursor,
re-encrypting what is not yet under the new key; a digest rotation recomputes entity digests
under the new digest secret. Each chunk commits its writes with the cursor, under a lock on
the rotation row. Tasks are delivered at least once: a worker killed mid-chunk leaves the chunk
uncommitted and the next delivery starts from the cursor. A task works for part of the task
timeout, then queues its continuation.

When every target is through, a final scan counts blobs still under another key (written by a
process that had not yet seen the new key file); any found start one more pass.

Writes are conditional (`WHERE id = ... AND column = <the blob read>`): a row changed by a
user between our read and our write is left as they wrote it (under the new key already).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotline.keys.models import KeyRotation
from hotline.keys.selectors import (
    ENTITY_DIGESTS,
    blobs_not_under_key,
    column_not_under,
    steps_in_order,
)
from hotline.keys.targets import COLUMNS, FILES, ColumnTarget, FileTarget
from hotline.tasks.queue import enqueue
from hotline.vault import services as vault

logger = logging.getLogger(__name__)

TASK = "hotline.keys.tasks.key_rotation_run"
BUDGET_SHARE = 0.4
# The final scan waits until every process has had time to see the new key file (they look
# every vault.KEY_FILE_CHECK_SECONDS), so no blob under the old key can appear after it.
SETTLE_SECONDS = 3 * vault.KEY_FILE_CHECK_SECONDS


class RotationWaiting(Exception):
    """The rotation's new key is not in this process's key file yet."""


def rotation_run(
    *, rotation_id: int, budget_seconds: float | None = None, chunk_rows: int | None = None
) -> bool:
    """Run chunks of a rotation until it is done or the time budget is spent.

    Returns True when the rotation is done (or gone), False when a continuation was queued.
    """
    if budget_seconds is None:
        budget_seconds = float(settings.HOTLINE_TASK_TIMEOUT) * BUDGET_SHARE
    deadline = time.monotonic() + budget_seconds
    while True:
        with transaction.atomic():
            rotation = KeyRotation.objects.select_for_update().filter(pk=rotation_id).first()
            if rotation is None or rotation.state == KeyRotation.State.DONE:
                return True
            try:
                delay = _step(rotation, chunk_rows)
            except RotationWaiting:
                logger.warning("key rotation %s waits for its key in the key file", rotation.pk)
                enqueue(TASK, rotation.pk, delay_seconds=vault.KEY_FILE_CHECK_SECONDS)
                return False
            rotation.save()
            if rotation.state == KeyRotation.State.DONE:
                logger.info("key rotation %s done", rotation.pk)
                return True
            if delay or time.monotonic() >= deadline:
                # With the cursor: a continuation exists exactly when this chunk committed.
                enqueue(TASK, rotation.pk, delay_seconds=delay)
                return False


def _step(rotation: KeyRotation, chunk_rows: int | None) -> float:
    """Do one chunk (or the final scan) of `rotation`; return a delay before the next one."""
    vault.keys_refresh(force=True)
    keys = settings.KEYS
    if rotation.kind == KeyRotation.Kind.DATA:
        if rotation.new_id not in keys.vault_keys:
            raise RotationWaiting
    elif int(rotation.new_id) not in keys.pepper_versions():
        raise RotationWaiting
    for name, step in steps_in_order(rotation):
        if step["finished"]:
            continue
        rows = chunk_rows or int(settings.HOTLINE_KEY_ROTATION_CHUNK)
        if name == ENTITY_DIGESTS:
            _entity_digest_chunk(rotation, step, rows)
        elif target := _column(name):
            _column_chunk(rotation, target, step, rows)
        elif file_target := _file(name):
            # A file is read, decrypted, sealed again and fsynced: far more work than a row.
            _file_chunk(file_target, step, chunk_rows or max(1, rows // 20))
        return 0
    return _final_scan(rotation)


def _column(name: str) -> ColumnTarget | None:
    return next((t for t in COLUMNS if t.name == name), None)


def _file(name: str) -> FileTarget | None:
    return next((t for t in FILES if t.name == name), None)


def _column_chunk(
    rotation: KeyRotation, target: ColumnTarget, step: dict[str, Any], limit: int
) -> None:
    rows = list(
        column_not_under(target, rotation.new_id)
        .filter(pk__gt=step["cursor"])
        .order_by("pk")
        .values_list("pk", target.column, *target.related)[:limit]
    )
    if rows:
        olds = [bytes(row[1]) for row in rows]
        contexts = [target.context(*row[2:]) for row in rows]
        plaintexts = [
            vault.decrypt(old, context=context) for old, context in zip(olds, contexts, strict=True)
        ]
        news = vault.encrypt_many(list(zip(plaintexts, contexts, strict=True)))
        meta = target.model._meta
        quote = connection.ops.quote_name
        column = quote(str(getattr(meta.get_field(target.column), "column", target.column)))
        pk_column = quote(str(getattr(meta.pk, "column", "id")))
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {column} = %s "  # noqa: S608 (names from models)
            f"WHERE {pk_column} = %s AND {column} = %s"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                sql, [(new, row[0], old) for new, row, old in zip(news, rows, olds, strict=True)]
            )
        step["cursor"] = rows[-1][0]
        step["done"] += len(rows)
    step["finished"] = len(rows) < limit


def _file_chunk(target: FileTarget, step: dict[str, Any], limit: int) -> None:
    rows = list(
        target.model._default_manager.filter(pk__gt=step["cursor"])
        .order_by("pk")
        .values_list("pk", *target.related)[:limit]
    )
    for row in rows:
        for name, context in target.files(*row[1:]):
            vault.file_reencrypt(name=name, context=context)
        step["done"] += 1
    if rows:
        step["cursor"] = rows[-1][0]
    step["finished"] = len(rows) < limit


def _final_scan(rotation: KeyRotation) -> float:
    """Finish the rotation, or start another pass over targets still holding old blobs."""
    waited = (timezone.now() - rotation.started_at).total_seconds()
    if waited < SETTLE_SECONDS:
        return SETTLE_SECONDS - waited
    if rotation.kind == KeyRotation.Kind.DATA:
        left = {name: n for name, n in blobs_not_under_key(rotation.new_id).items() if n}
    else:
        from hotline.entities.models import Entity

        count = Entity.objects.exclude(digest_version=int(rotation.new_id)).count()
        left = {ENTITY_DIGESTS: count} if count else {}
    if not left:
        rotation.state = KeyRotation.State.DONE
        rotation.finished_at = timezone.now()
        return 0
    logger.warning("key rotation %s: another pass for %s", rotation.pk, sorted(left))
    rotation.passes += 1
    for name in left:
        rotation.progress[name].update(cursor=0, finished=False)
    return 0


def _entity_digest_chunk(rotation: KeyRotation, step: dict[str, Any], limit: int) -> None:
    """Recompute a chunk of entity digests (and re-seal their values, bound to the digest)."""
    from hotline.entities.keys import entity_digest
    from hotline.entities.models import Entity

    version = int(rotation.new_id)
    rows = list(
        Entity.objects.filter(pk__gt=step["cursor"])
        .exclude(digest_version=version)
        .order_by("pk")
        .only("pk", "kind", "digest", "value_ciphertext", "digest_version")[:limit]
    )
    for entity in rows:
        value = vault.decrypt_text(bytes(entity.value_ciphertext), context=entity.value_context)
        old_digest = bytes(entity.digest)
        entity.digest = entity_digest(entity.kind, value, version=version)
        entity.digest_version = version
        entity.value_ciphertext = vault.encrypt_text(value, context=entity.value_context)
        try:
            with transaction.atomic():
                updated = Entity.objects.filter(pk=entity.pk, digest=old_digest).update(
                    digest=entity.digest,
                    digest_version=version,
                    value_ciphertext=entity.value_ciphertext,
                )
        except IntegrityError:
            # Linking created the same identifier under the new digest meanwhile: one entity.
            _entity_merge(old_id=entity.pk, into_digest=bytes(entity.digest))
            updated = 1
        step["done"] += updated
    if rows:
        step["cursor"] = rows[-1].pk
    step["finished"] = len(rows) < limit


def _entity_merge(*, old_id: int, into_digest: bytes) -> None:
    """Move an entity's report links to the entity with `into_digest`, then delete it."""
    from hotline.entities.models import Entity, ReportEntity

    into = Entity.objects.get(digest=into_digest)
    linked = set(ReportEntity.objects.filter(entity=into).values_list("report_id", flat=True))
    links = ReportEntity.objects.filter(entity_id=old_id)
    links.filter(report_id__in=linked).delete()
    links.update(entity=into)
    Entity.objects.filter(pk=old_id).delete()
