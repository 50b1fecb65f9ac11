"""Read the state of key rotations and which key each stored ciphertext uses."""

from __future__ import annotations

from typing import Any

from django.db.models import BinaryField, QuerySet
from django.db.models.functions import Substr

from hotline.keys.models import KeyRotation
from hotline.keys.targets import COLUMNS, FILES, TARGET_NAMES, ColumnTarget, FileTarget
from hotline.vault import services as vault

ENTITY_DIGESTS = "entities.entity.digest"


def column_rows(target: ColumnTarget) -> QuerySet:  # type: ignore[type-arg]
    """Return the target's rows that hold a blob."""
    rows: QuerySet = target.model._default_manager.filter(  # type: ignore[type-arg]
        **{f"{target.column}__isnull": False}
    )
    return rows


def _with_head(target: ColumnTarget, header: bytes) -> QuerySet:  # type: ignore[type-arg]
    # The key id sits in the blob's header: SQL compares it without reading keys or content.
    rows: QuerySet = column_rows(target).annotate(  # type: ignore[type-arg]
        _head=Substr(target.column, 1, len(header), output_field=BinaryField())
    )
    return rows


def column_not_under(target: ColumnTarget, kid: str) -> QuerySet:  # type: ignore[type-arg]
    """Return the target's rows whose blob is sealed with any key but `kid`."""
    header = vault.blob_header(kid)
    return _with_head(target, header).exclude(_head=header)


def file_names(target: FileTarget) -> list[tuple[str, str]]:
    """Return (file name, context) of every file the target's rows name."""
    rows = target.model._default_manager.order_by("pk").values_list(*target.related)
    return [pair for row in rows.iterator(chunk_size=2000) for pair in target.files(*row)]


def blobs_under_key(kid: str) -> dict[str, int]:
    """Return, per target, how many stored blobs and files are sealed with key `kid`."""
    header = vault.blob_header(kid)
    counts = {t.name: _with_head(t, header).filter(_head=header).count() for t in COLUMNS}
    for target in FILES:
        counts[target.name] = sum(
            1 for name, _ in file_names(target) if vault.file_key_id(name=name) == kid
        )
    return counts


def blobs_not_under_key(kid: str) -> dict[str, int]:
    """Return, per target, how many stored blobs and files are sealed with another key."""
    counts = {t.name: column_not_under(t, kid).count() for t in COLUMNS}
    for target in FILES:
        counts[target.name] = sum(
            1 for name, _ in file_names(target) if vault.file_key_id(name=name) not in (None, kid)
        )
    return counts


def rotation_totals(rotation: KeyRotation) -> dict[str, int]:
    """Return how many rows each target of `rotation` has to go through (for progress)."""
    from hotline.entities.models import Entity

    if rotation.kind == KeyRotation.Kind.DIGESTS:
        return {ENTITY_DIGESTS: Entity.objects.count()}
    totals = {t.name: column_rows(t).count() for t in COLUMNS}
    for target in FILES:
        totals[target.name] = target.model._default_manager.count()
    return totals


def steps_in_order(rotation: KeyRotation) -> list[tuple[str, dict[str, Any]]]:
    """Return the rotation's (target, progress) pairs in the order the targets are worked.

    Not the JSON's own order: PostgreSQL's jsonb stores object keys sorted by length.
    """
    order = {name: i for i, name in enumerate((ENTITY_DIGESTS, *TARGET_NAMES))}
    return sorted(rotation.progress.items(), key=lambda item: order.get(item[0], len(order)))


def rotations_recent(*, limit: int = 5) -> list[KeyRotation]:
    """Return the newest rotations, newest first."""
    return list(KeyRotation.objects.order_by("-pk")[:limit])
