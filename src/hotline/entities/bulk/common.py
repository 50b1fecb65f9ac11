"""Helpers shared by the bulk linking and clustering paths."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

from django.db import connection

from hotline.entities.models import ReportEntity
from hotline.vault import services as vault

CHUNK = 20_000
LIVE = (ReportEntity.State.EXTRACTED.value, ReportEntity.State.CONFIRMED.value)

# (kind, value) -> (digest, platform), and (report_id, digest) -> (field, start, end)
EntityMap = dict[tuple[str, str], tuple[bytes, str]]
LinkMap = dict[tuple[int, bytes], tuple[str, int | None, int | None]]


def chunks(items: list[bytes], size: int = CHUNK) -> Iterator[list[bytes]]:
    """Yield successive lists of at most `size` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def is_postgres() -> bool:
    """Return whether the default database is PostgreSQL."""
    return bool(connection.vendor == "postgresql")


def new_entity_rows(
    entities: EntityMap, existing: set[bytes]
) -> list[tuple[str, bytes, bytes, str]]:
    """Return (kind, digest, value ciphertext, platform) for the entities not yet stored."""
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


@contextmanager
def gc_paused() -> Iterator[None]:
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
