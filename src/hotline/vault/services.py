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

from hotline.config import (
    key_file_path,
    key_file_signature,
    load_keys,
    loaded_keys,
    make_private_dir,
    private_opener,
    uses_data,
)

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


# How often a process looks at the key file for a change (`hotline keys rotate` or `retire`
# rewrote it): a running web server or worker takes the new primary key within this delay.
KEY_FILE_CHECK_SECONDS = 2.0


_checked_at = 0.0


def keys_refresh(*, force: bool = False) -> None:
    """Reload settings.KEYS if the key file changed on disk since this process loaded it.

    Looks at most every KEY_FILE_CHECK_SECONDS unless `force` (one stat call). Keys that other
    code put in settings.KEYS (tests, throwaway keys) are left alone.
    """
    global _checked_at
    if not uses_data():
        return
    now = time.monotonic()
    if not force and now - _checked_at < KEY_FILE_CHECK_SECONDS:
        return
    _checked_at = now
    loaded = loaded_keys()
    if loaded is None or loaded[0] is not settings.KEYS:
        return
    signature = key_file_signature(key_file_path())
    if signature is None or signature == loaded[1]:
        return
    settings.KEYS = load_keys(create=False)
    logger.info("key file changed: primary key is now %s", settings.KEYS.vault_primary)


def _keys() -> tuple[str, dict[str, bytes]]:
    keys_refresh()
    keys = settings.KEYS
    return keys.vault_primary, keys.vault_keys


def blob_key_id(blob: bytes) -> str:
    """Return the id of the key a vault blob was sealed with (read from its header)."""
    blob = bytes(blob[: len(MAGIC) + 1 + 255])
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise VaultError("not a vault blob")
    kid_len = blob[len(MAGIC)]
    return blob[len(MAGIC) + 1 : len(MAGIC) + 1 + kid_len].decode(errors="replace")


def blob_header(kid: str) -> bytes:
    """Return the first bytes of every blob sealed with key `kid` (to find them in SQL)."""
    kid_bytes = kid.encode()
    return MAGIC + bytes([len(kid_bytes)]) + kid_bytes


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
        # A key added by `hotline keys rotate` moments ago in another process: look now.
        keys_refresh(force=True)
        ring = settings.KEYS.vault_keys
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


def file_key_id(*, name: str) -> str | None:
    """Return the key id in an encrypted file's header; None if the file is gone."""
    try:
        with open(Path(settings.UPLOAD_DIR) / name, "rb") as handle:
            head = handle.read(len(MAGIC) + 1 + 255)
    except FileNotFoundError:
        return None
    return blob_key_id(head)


def file_reencrypt(*, name: str, context: str) -> bool:
    """Seal an encrypted file again under the primary key; return False if already there.

    The new file is written and fsynced beside the old one, then renamed over it: a reader
    sees the old or the new file, each readable while both keys are in the key ring, and a
    crash leaves at worst a temporary file for `upload_temporaries_sweep`.
    """
    primary, _ = _keys()
    current = file_key_id(name=name)
    if current is None or current == primary:
        return False
    directory = Path(settings.UPLOAD_DIR)
    final = directory / name
    plaintext = decrypt(final.read_bytes(), context=context)
    temporary = directory / f".{name}{TEMPORARY_SUFFIX}"
    try:
        with open(temporary, "wb", opener=private_opener) as handle:
            handle.write(encrypt(plaintext, context=context))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def file_read(*, name: str, context: str) -> bytes:
    """Decrypt a file written by file_write_durably."""
    return decrypt((Path(settings.UPLOAD_DIR) / name).read_bytes(), context=context)


def file_delete(*, name: str) -> None:
    """Remove an encrypted file if it exists (used when its transaction rolls back)."""
    (Path(settings.UPLOAD_DIR) / name).unlink(missing_ok=True)
