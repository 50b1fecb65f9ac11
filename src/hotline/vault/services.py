"""Encrypt and decrypt sensitive fields and files (AES-256-GCM with a key ring).

Blob layout: b"OH1" | key-id length (1 byte) | key id | 12-byte nonce | ciphertext+tag.
The associated data names what the blob belongs to (for example "intake.report:42:details"),
so a ciphertext copied into another row or field fails to decrypt instead of being misread.
Keys come from the key file (hotline.config), never from the database.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from hotline.config import make_private_dir, private_opener

logger = logging.getLogger(__name__)

MAGIC = b"OH1"
NONCE_BYTES = 12
# An encrypted file is written as ".<name>.tmp", then renamed to "<name>".
TEMPORARY_SUFFIX = ".tmp"
# At start-up, temporary files older than this are orphans of a killed process: no write of a
# live process lasts that long.
TEMPORARY_ORPHAN_SECONDS = 600


class VaultError(Exception):
    """A blob could not be decrypted (wrong key, wrong context or tampering)."""


def _keys() -> tuple[str, dict[str, bytes]]:
    keys = settings.KEYS
    return keys.vault_primary, keys.vault_keys


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    # Building an AESGCM object costs about as much as sealing a short field: reuse it.
    return AESGCM(key)


def encrypt(plaintext: bytes, *, context: str) -> bytes:
    """Return `plaintext` encrypted under the primary key, bound to `context`."""
    kid, ring = _keys()
    nonce = secrets.token_bytes(NONCE_BYTES)
    kid_bytes = kid.encode()
    sealed = _cipher(ring[kid]).encrypt(nonce, plaintext, context.encode())
    return MAGIC + bytes([len(kid_bytes)]) + kid_bytes + nonce + sealed


def encrypt_many(items: Sequence[tuple[bytes, str]]) -> list[bytes]:
    """Return each (plaintext, context) encrypted as `encrypt` would, for bulk jobs."""
    # One key lookup and one read of the random source for all nonces: per-call overhead
    # was most of the cost of sealing a million short values one by one.
    kid, ring = _keys()
    kid_bytes = kid.encode()
    header = MAGIC + bytes([len(kid_bytes)]) + kid_bytes
    seal = _cipher(ring[kid]).encrypt
    nonces = secrets.token_bytes(NONCE_BYTES * len(items))
    blobs = []
    for index, (plaintext, context) in enumerate(items):
        nonce = nonces[index * NONCE_BYTES : (index + 1) * NONCE_BYTES]
        blobs.append(header + nonce + seal(nonce, plaintext, context.encode()))
    return blobs


def decrypt(blob: bytes, *, context: str) -> bytes:
    """Return the plaintext of `blob`; raise VaultError if it is not ours or was altered."""
    blob = bytes(blob)
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise VaultError("not a vault blob")
    kid_len = blob[len(MAGIC)]
    start = len(MAGIC) + 1
    kid = blob[start : start + kid_len].decode(errors="replace")
    nonce = blob[start + kid_len : start + kid_len + NONCE_BYTES]
    sealed = blob[start + kid_len + NONCE_BYTES :]
    _, ring = _keys()
    if kid not in ring:
        raise VaultError(f"unknown key id {kid!r}: is the right key file loaded?")
    try:
        return _cipher(ring[kid]).decrypt(nonce, sealed, context.encode())
    except InvalidTag as exc:
        raise VaultError("blob failed authentication (wrong key, context or tampering)") from exc


def seal_with_key(plaintext: bytes, *, key: bytes, context: str) -> bytes:
    """Return `plaintext` sealed under a caller's own 32-byte key (not the key ring).

    For values that only the holder of a secret may read back, such as the receipt code kept
    for a retried submission under a key derived from the form's one-time token: the key file
    alone cannot open them. Layout: 12-byte nonce | ciphertext+tag, bound to `context`.
    """
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def open_with_key(blob: bytes, *, key: bytes, context: str) -> bytes:
    """Return the plaintext of a `seal_with_key` blob; raise VaultError if key or context differ."""
    blob = bytes(blob)
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise VaultError("blob failed authentication (wrong key, context or tampering)") from exc


def encrypt_json(value: Any, *, context: str) -> bytes:
    """Encrypt a JSON-serialisable value."""
    return encrypt(json.dumps(value, ensure_ascii=False).encode(), context=context)


def decrypt_json(blob: bytes, *, context: str) -> Any:
    """Decrypt a value stored with encrypt_json."""
    return json.loads(decrypt(blob, context=context))


def encrypt_text(text: str, *, context: str) -> bytes:
    """Encrypt a string."""
    return encrypt(text.encode(), context=context)


def decrypt_text(blob: bytes, *, context: str) -> str:
    """Decrypt a string stored with encrypt_text."""
    return decrypt(blob, context=context).decode()


def file_write_durably(*, data: bytes, name: str, context: str) -> Path:
    """Encrypt `data` into the upload folder under `name` and fsync it before returning.

    Called before the database transaction that refers to the file commits, so an
    acknowledged report never points at a file that a crash could lose. On any failure (a
    full disk above all) neither the temporary nor the final file is left behind; a crash
    mid-write leaves the temporary one, which `upload_temporaries_sweep` removes later.
    """
    directory = Path(settings.UPLOAD_DIR)
    make_private_dir(directory)
    final = directory / name
    temporary = directory / f".{name}{TEMPORARY_SUFFIX}"
    renamed = False
    try:
        with open(temporary, "wb", opener=private_opener) as handle:
            handle.write(encrypt(data, context=context))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        renamed = True
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        # Whichever step failed, the caller will not refer to this file: remove it.
        (final if renamed else temporary).unlink(missing_ok=True)
        raise
    return final


def upload_temporaries_sweep(*, older_than_seconds: float) -> int:
    """Delete temporary upload files older than `older_than_seconds`; return how many.

    They are what a process killed mid-write leaves (the power cut, the out-of-memory kill).
    Run at start-up by `hotline run` and `hotline worker`; the age limit spares a file that
    another process is writing right now (a write takes well under a second).
    """
    directory = Path(settings.UPLOAD_DIR)
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in directory.glob(f".*{TEMPORARY_SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # renamed into place or removed by another sweep meanwhile
    if removed:
        logger.warning("removed %d unfinished upload file(s) left by a stopped process", removed)
    return removed


def file_read(*, name: str, context: str) -> bytes:
    """Decrypt a file written by file_write_durably."""
    return decrypt((Path(settings.UPLOAD_DIR) / name).read_bytes(), context=context)


def file_delete(*, name: str) -> None:
    """Remove an encrypted file if it exists (used when its transaction rolls back)."""
    (Path(settings.UPLOAD_DIR) / name).unlink(missing_ok=True)
