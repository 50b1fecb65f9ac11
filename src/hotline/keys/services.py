"""Rotate the data key and the digest secret; retire a data key nothing uses any more.

`key_rotate` adds a key to the key file, makes it current for new writes at once (every process
reloads a changed key file within vault.KEY_FILE_CHECK_SECONDS) and queues the background work
of hotline.keys.rotation. Both keys stay in the key ring until `key_retire`, so nothing is ever
unreadable. The rotation row is committed (with its task) before the key file changes: a crash
in between leaves a rotation waiting for its key, which the next `hotline keys rotate` writes.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction

from hotline.accounts.models import User
from hotline.audit.services import audit_record
from hotline.config import (
    key_file_locked,
    key_file_path,
    key_file_read_raw,
    key_file_replace,
    load_keys,
)
from hotline.keys.checks import key_check_forget, key_checks_verify
from hotline.keys.models import KeyRotation
from hotline.keys.selectors import blobs_under_key, rotation_totals
from hotline.tasks.queue import enqueue

TASK = "hotline.keys.tasks.key_rotation_run"


class KeyRotationError(Exception):
    """An operator mistake with `hotline keys` (one ASCII line, nothing changed)."""


def _next_key_id(existing: dict[str, Any]) -> str:
    numbers = [int(kid[1:]) for kid in existing if kid[:1] == "k" and kid[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"


def _next_digest_version(raw: dict[str, Any]) -> int:
    return max([1, *(int(v) for v in raw.get("digest_peppers", {}))]) + 1


def _running() -> KeyRotation | None:
    return KeyRotation.objects.filter(state=KeyRotation.State.RUNNING).first()


def _in_key_file(rotation: KeyRotation, raw: dict[str, Any]) -> bool:
    if rotation.kind == KeyRotation.Kind.DATA:
        return rotation.new_id in raw["vault_keys"]
    return rotation.new_id in raw.get("digest_peppers", {})


def _write_new_key(rotation: KeyRotation, raw: dict[str, Any]) -> None:
    """Add the rotation's new key to the key file as the current one, then reload it here."""
    material = base64.b64encode(secrets.token_bytes(32)).decode()
    if rotation.kind == KeyRotation.Kind.DATA:
        raw["vault_keys"][rotation.new_id] = material
        raw["vault_primary"] = rotation.new_id
    else:
        raw.setdefault("digest_peppers", {})[rotation.new_id] = material
        raw["digest_current"] = int(rotation.new_id)
    path = key_file_path()
    key_file_replace(path, raw)
    settings.KEYS = load_keys(create=False)
    key_checks_verify()  # records the new key's check value


def key_rotate(*, digests: bool = False, actor: User | None = None) -> KeyRotation:
    """Add a new data key (or digest secret version), make it current, queue the rewrite.

    Holds the key file lock throughout. Refuses while another rotation runs, unless that one
    never got its key into the key file (a crash): then its key is written and it goes on.
    """
    path = key_file_path()
    with key_file_locked(path):
        raw = key_file_read_raw(path)
        running = _running()
        if running is not None:
            if _in_key_file(running, raw):
                raise KeyRotationError(
                    f"a key rotation is already running ({running.kind} key {running.old_id} ->"
                    f" {running.new_id}, started {running.started_at:%Y-%m-%d %H:%M} UTC): wait"
                    " until `hotline keys status` shows it done."
                )
            _write_new_key(running, raw)
            return running
        kind = KeyRotation.Kind.DIGESTS if digests else KeyRotation.Kind.DATA
        if digests:
            new_id, old_id = str(_next_digest_version(raw)), str(raw.get("digest_current", 1))
        else:
            new_id, old_id = _next_key_id(raw["vault_keys"]), str(raw["vault_primary"])
        with transaction.atomic():
            rotation = KeyRotation.objects.create(kind=kind, new_id=new_id, old_id=old_id)
            rotation.progress = {
                name: {"cursor": 0, "done": 0, "total": total, "finished": False}
                for name, total in rotation_totals(rotation).items()
            }
            rotation.save(update_fields=["progress"])
            audit_record(
                actor=actor,
                action="keys.rotate",
                target_type="keys.keyrotation",
                target_id=rotation.pk,
                details={"kind": kind, "old": old_id, "new": new_id},
            )
            enqueue(TASK, rotation.pk)
        _write_new_key(rotation, raw)
        return rotation


def key_retire(*, key_id: str, actor: User | None = None) -> None:
    """Remove data key `key_id` from the key file once no ciphertext uses it.

    Scans the key id in every ciphertext header (database columns and upload files). If any
    still uses it, the last rotation is queued again to rewrite them and nothing is removed.
    """
    path = key_file_path()
    with key_file_locked(path):
        raw = key_file_read_raw(path)
        if key_id not in raw["vault_keys"]:
            known = ", ".join(sorted(raw["vault_keys"]))
            # ascii(): the message stays one ASCII line whatever was typed.
            shown = ascii(key_id[:40])
            raise KeyRotationError(f"unknown key id {shown}: the key file has {known}.")
        if key_id == raw["vault_primary"]:
            raise KeyRotationError(
                f"key {key_id} is the current key: run `hotline keys rotate` first."
            )
        running = _running()
        if running is not None:
            raise KeyRotationError(
                f"a key rotation is running ({running.old_id} -> {running.new_id}): wait until"
                " `hotline keys status` shows it done, then retire."
            )
        used = {name: count for name, count in blobs_under_key(key_id).items() if count}
        if used:
            again = _rotation_again()
            where = ", ".join(f"{name} {count}" for name, count in sorted(used.items()))
            queued = f" re-encryption queued again (rotation {again.pk});"
            raise KeyRotationError(
                f"key {key_id} is still used by {sum(used.values())} value(s) ({where}):"
                f"{queued} retire when `hotline keys status` shows it done."
            )
        del raw["vault_keys"][key_id]
        with transaction.atomic():
            key_check_forget(f"vault:{key_id}")
            audit_record(
                actor=actor,
                action="keys.retire",
                target_type="keys.key",
                target_id=key_id,
            )
            # Inside the transaction: if the file cannot be written, the check value stays.
            key_file_replace(path, raw)
        settings.KEYS = load_keys(create=False)


def _rotation_again() -> KeyRotation:
    """Reopen the newest data rotation for one more pass (values written under an old key)."""
    with transaction.atomic():
        last = (
            KeyRotation.objects.select_for_update()
            .filter(kind=KeyRotation.Kind.DATA, new_id=settings.KEYS.vault_primary)
            .order_by("-pk")
            .first()
        )
        if last is None:
            # The current key came from a hand-edited key file: rotate onto it from here.
            last = KeyRotation.objects.create(
                kind=KeyRotation.Kind.DATA, new_id=settings.KEYS.vault_primary, old_id="?"
            )
            last.progress = {
                name: {"cursor": 0, "done": 0, "total": total, "finished": False}
                for name, total in rotation_totals(last).items()
            }
        for step in last.progress.values():
            step.update(cursor=0, finished=False)
        last.state = KeyRotation.State.RUNNING
        last.passes += 1
        last.finished_at = None
        last.save()
        enqueue(TASK, last.pk)
        return last
