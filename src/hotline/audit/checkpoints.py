"""Signed checkpoints: the chain's head anchored outside the database.

A checkpoint is a small JSON file saying "after N events the chain hash was H, at time T",
signed with an Ed25519 key that lives in the key directory, not in the database. Someone who
can rewrite the audit table and its head row together still cannot make a chain that agrees
with the checkpoints made before the rewrite, nor sign a new one without the key file.
Copies of checkpoint files kept elsewhere (`hotline audit checkpoint` prints one) are checked
the same way (`hotline audit verify --checkpoint FILE`).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from hotline.audit.models import GENESIS, AuditHead
from hotline.config import PRIVATE_FILE_MODE, key_file_path, make_private_dir, private_opener

FORMAT = "openhotline-audit-checkpoint-1"
SIGNING_KEY_NAME = "audit-signing.key"
CHECKPOINT_DIR_NAME = "audit-checkpoints"


class CheckpointError(Exception):
    """A checkpoint file that cannot be read, or is not signed by this install's key."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: after `events` events the chain hash was `head`."""

    events: int
    head: str
    at: str
    source: str = ""


def key_dir() -> Path:
    """Return the directory of the key file (the signing key and checkpoints live there too).

    HOTLINE_AUDIT_DIR (a setting, used by tests) puts both somewhere else.
    """
    override = getattr(settings, "HOTLINE_AUDIT_DIR", None)
    return Path(override) if override else key_file_path().parent


def checkpoint_dir() -> Path:
    """Return the folder of checkpoint files."""
    return key_dir() / CHECKPOINT_DIR_NAME


def _signing_key() -> Ed25519PrivateKey:
    """Load the signing key, creating it (readable by this user only) on first use."""
    path = key_dir() / SIGNING_KEY_NAME
    if not path.exists():
        try:
            make_private_dir(path.parent)
        except OSError as exc:
            raise CheckpointError(f"Cannot create the folder {path.parent}: {exc}") from exc
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            # O_EXCL: two processes creating the key at once must not end up with two keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        except FileExistsError:
            pass  # another process made it first: read that one below
        except OSError as exc:
            raise CheckpointError(f"Cannot create the audit signing key {path}: {exc}") from exc
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"The audit signing key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"The audit signing key {path} is not an Ed25519 key.")
    return key


def public_key() -> Ed25519PublicKey:
    """Return this install's checkpoint verification key."""
    return _signing_key().public_key()


def public_key_pem() -> str:
    """Return the verification key as PEM text (to hand to whoever checks an export)."""
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _document_bytes(data: bytes, purpose: str) -> bytes:
    if not purpose.isascii() or not purpose or "\n" in purpose:
        raise ValueError("a signing purpose is a short ASCII name")
    return b"OpenHotline signed document\n" + purpose.encode() + b"\n" + data


def document_sign(data: bytes, *, purpose: str) -> bytes:
    """Sign `data` (a referral package's manifest, a URL list) with the hotline's Ed25519 key.

    The purpose (for example "referral-manifest" or "url-list") is signed with the data, so a
    signature made for one kind of document never verifies as another kind, nor as a checkpoint.
    """
    return _signing_key().sign(_document_bytes(data, purpose))


def document_signature_valid(
    data: bytes, signature: bytes, *, purpose: str, key: Ed25519PublicKey | None = None
) -> bool:
    """Whether `signature` is this hotline's (or `key`'s) signature of `data` for `purpose`."""
    from cryptography.exceptions import InvalidSignature

    try:
        (key or public_key()).verify(signature, _document_bytes(data, purpose))
    except InvalidSignature:
        return False
    return True


def _signed_bytes(events: int, head: str, at: str) -> bytes:
    body = {"format": FORMAT, "events": events, "head": head, "at": at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_document(checkpoint: Checkpoint) -> dict[str, Any]:
    """Return the signed JSON document of a checkpoint (what the file holds)."""
    signature = _signing_key().sign(
        _signed_bytes(checkpoint.events, checkpoint.head, checkpoint.at)
    )
    raw_public = public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {
        "format": FORMAT,
        "events": checkpoint.events,
        "head": checkpoint.head,
        "at": checkpoint.at,
        "public_key": base64.b64encode(raw_public).decode(),
        "signature": base64.b64encode(signature).decode(),
    }


def checkpoint_create() -> tuple[Checkpoint, Path]:
    """Sign the current head and write it to the checkpoints folder; return it and its path.

    The head row is updated in the same transaction as each append, so its count and hash
    always belong together.
    """
    head = AuditHead.objects.filter(pk=1).first()
    events, head_hash = (head.events, head.chain_hash) if head is not None else (0, GENESIS)
    now = datetime.now(UTC)
    checkpoint = Checkpoint(events=events, head=head_hash, at=now.isoformat())
    folder = checkpoint_dir()
    path = folder / f"{now:%Y%m%dT%H%M%S%fZ}-{events}.json"
    document = checkpoint_document(checkpoint)
    try:
        make_private_dir(folder)
        with open(path, "x", encoding="utf-8", opener=private_opener) as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
    except OSError as exc:
        raise CheckpointError(f"Cannot write the checkpoint {path}: {exc}") from exc
    return Checkpoint(events=events, head=head_hash, at=checkpoint.at, source=str(path)), path


def checkpoint_read(path: Path, key: Ed25519PublicKey | None = None) -> Checkpoint:
    """Read a checkpoint file and check its signature against this install's key.

    The public key inside the file is not trusted: anyone can sign with a key of their own.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError("not an audit checkpoint")
        events, head, at = int(raw["events"]), str(raw["head"]), str(raw["at"])
        signature = base64.b64decode(raw["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"The checkpoint {path} cannot be read: {exc}") from exc
    try:
        (key or public_key()).verify(signature, _signed_bytes(events, head, at))
    except InvalidSignature as exc:
        raise CheckpointError(
            f"The checkpoint {path} is not signed by this install's audit key "
            "(forged, altered, or from another install)."
        ) from exc
    return Checkpoint(events=events, head=head, at=at, source=str(path))


def checkpoints_stored() -> list[Path]:
    """Return the checkpoint files in the checkpoints folder, oldest first."""
    folder = checkpoint_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def checkpoints_load(extra: list[Path] | None = None) -> list[Checkpoint]:
    """Read and check every stored checkpoint and each of `extra`; raise CheckpointError."""
    key = public_key()
    return [checkpoint_read(path, key) for path in [*checkpoints_stored(), *(extra or [])]]


def checkpoint_newest() -> Checkpoint | None:
    """Return the newest stored checkpoint (signature checked), or None."""
    paths = checkpoints_stored()
    return checkpoint_read(paths[-1]) if paths else None
