"""Keyed digests of search terms, under a key derived from the key file (never the database).

The key is derived from the key file's pepper with its own label, so term digests cannot be
joined with the entity index's or escrow's digests (hotline.entities.keys). A digest is
HMAC-SHA256 of the term, cut to DIGEST_BYTES: 128 bits keep accidental collisions out of reach
for any number of terms a hotline will hold, in half the space of the full digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

from django.conf import settings

_SEARCH_LABEL = b"openhotline/search/terms/v1"
DIGEST_BYTES = 16


def _search_key() -> bytes:
    return hmac.new(settings.KEYS.receipt_pepper, _SEARCH_LABEL, hashlib.sha256).digest()


def term_digester() -> Callable[[str], bytes]:
    """Return a function digesting terms with the search key (derived once)."""
    key = _search_key()
    block = key.ljust(64, b"\x00")  # a 32-byte key, below SHA-256's block: pad once
    inner_pad = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer_pad = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(term: str) -> bytes:
        inner = inner_pad.copy()
        inner.update(term.encode("utf-8"))
        outer = outer_pad.copy()
        outer.update(inner.digest())
        return outer.digest()[:DIGEST_BYTES]

    return digest


def term_digests(terms: Iterable[str]) -> list[bytes]:
    """Return the digest of each term, in order."""
    digest = term_digester()
    return [digest(term) for term in terms]


def term_digest(term: str) -> bytes:
    """Return one term's digest (HMAC-SHA256 under the search key, truncated)."""
    return hmac.new(_search_key(), term.encode("utf-8"), hashlib.sha256).digest()[:DIGEST_BYTES]
