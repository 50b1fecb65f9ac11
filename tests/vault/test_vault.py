"""Encryption at rest: round trips, binding to context, tamper detection, durable files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.vault import services as vault


@given(st.binary(max_size=4096), st.text(max_size=60))
def test_round_trip(plaintext: bytes, context: str) -> None:
    assert vault.decrypt(vault.encrypt(plaintext, context=context), context=context) == plaintext


def test_ciphertext_moved_to_another_row_fails() -> None:
    blob = vault.encrypt(b"secret narrative", context="intake.report:a:details")
    with pytest.raises(vault.VaultError):
        vault.decrypt(blob, context="intake.report:b:details")


def test_tampered_ciphertext_fails() -> None:
    blob = bytearray(vault.encrypt(b"secret narrative", context="x"))
    blob[-1] ^= 1
    with pytest.raises(vault.VaultError):
        vault.decrypt(bytes(blob), context="x")


def test_garbage_is_not_a_blob() -> None:
    with pytest.raises(vault.VaultError):
        vault.decrypt(b"hello", context="x")


def test_unknown_key_id_is_reported(settings: object) -> None:
    blob = vault.encrypt(b"x", context="c")
    keys = settings.KEYS  # type: ignore[attr-defined]
    other = type(keys)(
        secret_key=keys.secret_key,
        receipt_pepper=keys.receipt_pepper,
        vault_keys={"k9": b"\x01" * 32},
        vault_primary="k9",
    )
    settings.KEYS = other  # type: ignore[attr-defined]
    with pytest.raises(vault.VaultError, match="unknown key id"):
        vault.decrypt(blob, context="c")


def test_rotation_keeps_old_blobs_readable(settings: object) -> None:
    keys = settings.KEYS  # type: ignore[attr-defined]
    old_blob = vault.encrypt(b"old", context="c")
    rotated = type(keys)(
        secret_key=keys.secret_key,
        receipt_pepper=keys.receipt_pepper,
        vault_keys={**keys.vault_keys, "k2": b"\x02" * 32},
        vault_primary="k2",
    )
    settings.KEYS = rotated  # type: ignore[attr-defined]
    new_blob = vault.encrypt(b"new", context="c")
    assert b"k2" in new_blob[:8]
    assert vault.decrypt(old_blob, context="c") == b"old"
    assert vault.decrypt(new_blob, context="c") == b"new"


def test_file_is_written_encrypted(settings: object, tmp_path: Path) -> None:
    path = vault.file_write_durably(data=b"evidence bytes", name="f.bin", context="ctx")
    assert b"evidence bytes" not in path.read_bytes()
    assert vault.file_read(name="f.bin", context="ctx") == b"evidence bytes"
    assert not list(path.parent.glob(".*.tmp"))
