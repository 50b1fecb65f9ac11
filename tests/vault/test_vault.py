"""Encryption at rest: round trips, binding to context, tamper detection, durable files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.config import KEY_FILE_VERSION, load_keys
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


def test_a_key_added_to_the_key_file_as_primary_encrypts_new_blobs_and_old_ones_stay_readable(
    settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key ring as an operator changes it: a new key id in the key file, made primary.

    (Re-encrypting old blobs is `hotline keys rotate`'s background work: tests/keys.)
    """
    old_keys = settings.KEYS  # type: ignore[attr-defined]
    old_blob = vault.encrypt(b"old", context="c")
    assert _key_id(old_blob) == old_keys.vault_primary
    key_file = tmp_path / "keys.json"
    raw = {
        "version": KEY_FILE_VERSION,
        "secret_key": old_keys.secret_key,
        "receipt_pepper": base64.b64encode(old_keys.receipt_pepper).decode(),
        "vault_keys": {
            **{kid: base64.b64encode(key).decode() for kid, key in old_keys.vault_keys.items()},
            "k2": base64.b64encode(b"\x02" * 32).decode(),
        },
        "vault_primary": "k2",
    }
    key_file.write_text(json.dumps(raw))
    monkeypatch.setenv("HOTLINE_KEY_FILE", str(key_file))
    settings.KEYS = load_keys(create=False)  # type: ignore[attr-defined]
    new_blob = vault.encrypt(b"new", context="c")
    assert _key_id(new_blob) == "k2"
    assert vault.decrypt(old_blob, context="c") == b"old"
    assert vault.decrypt(new_blob, context="c") == b"new"
    # The new blob really is under the new key: the old ring alone cannot open it.
    settings.KEYS = old_keys  # type: ignore[attr-defined]
    with pytest.raises(vault.VaultError, match="unknown key id"):
        vault.decrypt(new_blob, context="c")


def _key_id(blob: bytes) -> str:
    """Read the key id from the blob layout: b"OH1" | key-id length | key id | nonce | sealed."""
    length = blob[len(vault.MAGIC)]
    return blob[len(vault.MAGIC) + 1 : len(vault.MAGIC) + 1 + length].decode()


def test_file_is_written_encrypted(settings: object, tmp_path: Path) -> None:
    path = vault.file_write_durably(data=b"evidence bytes", name="f.bin", context="ctx")
    assert b"evidence bytes" not in path.read_bytes()
    assert vault.file_read(name="f.bin", context="ctx") == b"evidence bytes"
    assert not list(path.parent.glob(".*.tmp"))
