"""Run verifications and checkpoints, record their outcome (CLI, hourly task, staff page)."""

from __future__ import annotations

import time
from pathlib import Path

from django.db import connection
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.checkpoints import (
    CheckpointError,
    checkpoint_create,
    checkpoint_newest,
    checkpoints_load,
)
from hotline.audit.models import AuditHead, VerificationRun
from hotline.audit.services import ChainCheck, audit_record, audit_verify


def audit_verify_run(*, trigger: str, extra_checkpoints: list[Path] | None = None) -> ChainCheck:
    """Verify the chain against every stored checkpoint (and `extra_checkpoints`); record it.

    A checkpoint file that is unreadable or not signed by this install's key fails the run:
    it is as suspicious as a broken link.
    """
    started = time.monotonic()
    try:
        checkpoints = checkpoints_load(extra_checkpoints)
    except CheckpointError as exc:
        check = ChainCheck(ok=False, events=0, reason=str(exc))
    else:
        check = audit_verify(checkpoints)
    VerificationRun.objects.create(
        at=timezone.now(),
        ok=check.ok,
        events=check.events,
        checkpoints=check.checkpoints,
        first_bad_id=check.first_bad_id,
        reason=check.reason[:300],
        seconds=time.monotonic() - started,
        trigger=trigger,
    )
    return check


def audit_checkpoint_hourly() -> str:
    """Verify the chain, then sign a checkpoint of its head if it is whole and has moved.

    The periodic job (hotline.tasks PERIODIC). A broken chain gets no new checkpoint: that would
    anchor the damage; the failed run is recorded for the audit viewer instead.
    """
    check = audit_verify_run(trigger="hourly")
    if not check.ok:
        return f"chain broken: {check.reason}"
    newest = checkpoint_newest()
    head = AuditHead.objects.filter(pk=1).first()
    if newest is not None and head is not None and newest.head == head.chain_hash:
        return "unchanged since the last checkpoint"
    checkpoint, path = checkpoint_create()
    return f"checkpoint of {checkpoint.events} events: {path.name}"


def audit_verify_request(*, actor: User) -> None:
    """Queue a verification asked for on the audit page (a million events take seconds)."""
    from hotline.tasks.queue import enqueue

    require(actor, Action.VIEW_AUDIT)
    audit_record(actor=actor, action="audit.verify_request", target_type="audit")
    enqueue("hotline.audit.verification.audit_verify_staff")


def audit_verify_staff() -> str:
    """Run a verification asked for by staff (a queued task)."""
    check = audit_verify_run(trigger="staff")
    return "ok" if check.ok else check.reason


def app_role_is_superuser() -> bool:
    """Tell whether the database role in use is a PostgreSQL superuser (the triggers spare it)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])
