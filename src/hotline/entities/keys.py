"""Keyed digests of identifiers, with keys derived from the key file (never the database).

Two keys, derived from the key file's pepper with distinct labels: one for the entity index
(search and linking) and one for escrow, so a leak of one index's digests cannot be joined with
the other's. Rotating the pepper means recomputing entity digests from their (vault-encrypted)
values; escrow digests cannot be recomputed and would stop matching (see the threat model).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from hotline.entities.extract import EntityType

_ENTITY_LABEL = b"openhotline/entities/index/v1"
_ESCROW_LABEL = b"openhotline/entities/escrow/v1"


def _derived(label: bytes) -> bytes:
    return hmac.new(settings.KEYS.receipt_pepper, label, hashlib.sha256).digest()


def _digest(key: bytes, kind: EntityType | str, value: str) -> bytes:
    message = str(kind).encode() + b"\x00" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def entity_digest(kind: EntityType | str, value: str) -> bytes:
    """Return the index digest of a canonical identifier."""
    return _digest(_derived(_ENTITY_LABEL), kind, value)


def escrow_digest(kind: EntityType | str, value: str) -> bytes:
    """Return the escrow digest of a canonical identifier."""
    return _digest(_derived(_ESCROW_LABEL), kind, value)
