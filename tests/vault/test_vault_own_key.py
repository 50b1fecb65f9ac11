"""Sealing under a caller's own key (the receipt replay): only that key and context open it."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hotline.vault import services as vault


def _key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def test_sealed_value_opens_with_the_same_key_and_context() -> None:
    blob = vault.seal_with_key(b"RC-CODE", key=_key("token-a"), context="digest-a")
    assert vault.open_with_key(blob, key=_key("token-a"), context="digest-a") == b"RC-CODE"


def test_another_key_cannot_open_a_sealed_value() -> None:
    blob = vault.seal_with_key(b"RC-CODE", key=_key("token-a"), context="digest-a")
    with pytest.raises(vault.VaultError):
        vault.open_with_key(blob, key=_key("token-b"), context="digest-a")


def test_another_context_cannot_open_a_sealed_value() -> None:
    blob = vault.seal_with_key(b"RC-CODE", key=_key("token-a"), context="digest-a")
    with pytest.raises(vault.VaultError):
        vault.open_with_key(blob, key=_key("token-a"), context="digest-b")


def test_sealing_twice_uses_distinct_nonces() -> None:
    blobs = [vault.seal_with_key(b"same", key=_key("k"), context="c") for _ in range(50)]
    nonces = {blob[: vault.NONCE_BYTES] for blob in blobs}
    assert len(nonces) == 50


def test_blobs_written_before_the_vault_api_still_open() -> None:
    """Rows stored as nonce | AES-GCM(key, code, digest) by earlier versions stay readable."""
    key, nonce = _key("token-a"), secrets.token_bytes(12)
    earlier = nonce + AESGCM(key).encrypt(nonce, b"RC-CODE", b"digest-a")
    assert vault.open_with_key(earlier, key=key, context="digest-a") == b"RC-CODE"
