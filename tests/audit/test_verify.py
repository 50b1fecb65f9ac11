"""`hotline audit verify` and signed checkpoints: tampering of any kind is found and named,
the newest events' removal included even when the head row was rewritten with them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from hotline.audit.checkpoints import (
    checkpoint_create,
    checkpoint_dir,
    checkpoints_load,
    key_dir,
)
from hotline.audit.models import AuditEvent, AuditHead, VerificationRun
from hotline.audit.services import (
    GENESIS,
    _canonical,
    audit_record,
    audit_verify,
    canonical,
    canonical_reference,
)
from hotline.audit.verification import audit_checkpoint_hourly

pytestmark = pytest.mark.django_db


def _events(count: int = 5) -> list[AuditEvent]:
    return [
        audit_record(
            actor=None,
            action=f"test.{i}",
            target_type="thing",
            target_id=i,
            details={"n": i, "word": "សួស្តី", "nested": {"b": [1, 2.5, None], "a": True}},
        )
        for i in range(count)
    ]


def _verify_command(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _broken(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        _verify_command(*args)
    return str(caught.value)


def _rewrite_tail(events: list[AuditEvent], kept: int) -> None:
    """Delete the newest events and set the head to what is left (a careful forger)."""
    AuditEvent.objects.filter(pk__gt=events[kept - 1].pk).delete()
    AuditHead.objects.filter(pk=1).update(events=kept, chain_hash=events[kept - 1].chain_hash)


def test_fast_walk_hashes_exactly_what_audit_record_hashed() -> None:
    events = _events()
    rows = AuditEvent.objects.order_by("id").values_list(
        "at", "actor_label", "action", "target_type", "target_id", "details"
    )
    for event, (at, label, action, target_type, target_id, details) in zip(
        events, rows, strict=True
    ):
        fast = canonical(
            at=at,
            actor_label=label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
        # Hashed from the instance audit_record saved, and from the row read back.
        assert fast == _canonical(event)
        assert (
            hashlib.sha256(event.previous_hash.encode() + b"|" + fast).hexdigest()
            == event.chain_hash
        )
    assert audit_verify().ok


HOSTILE = [
    'quote " backslash \\ slash / nul \x00 tab \t newline \n',
    "\u2028 line separator, \ud7ff, emoji 🙂, Khmer សួស្តី, RTL \u202e",
    "",
    "</script><script>alert(1)</script>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_fast_canonical_is_byte_for_byte_the_plain_sorted_json(text: str) -> None:
    from datetime import UTC, datetime

    fields = {
        "at": datetime(2026, 12, 3, 14, 0, 0, 1, tzinfo=UTC),
        "actor_label": text,
        "action": text + "x",
        "target_type": text[:3],
        "target_id": text[::-1],
        "details": {"z": text, "a": [1, 2.5, None, True], text: {"nested": text}},
    }
    assert canonical(**fields) == canonical_reference(**fields)  # type: ignore[arg-type]


def test_events_with_hostile_text_verify_and_then_break_when_edited() -> None:
    events = [
        audit_record(actor=None, action=text, target_id=text[:80], details={"v": text, text: 1})
        for text in HOSTILE
    ]
    assert audit_verify().ok
    AuditEvent.objects.filter(pk=events[1].pk).update(details={"v": HOSTILE[1], HOSTILE[1]: 2})
    assert audit_verify().first_bad_id == events[1].pk


def test_a_nul_character_is_recorded_as_a_replacement_character_on_every_database() -> None:
    event = audit_record(
        actor=None,
        action="test.\x00",
        target_id="/staff/\x00/",
        details={"path\x00": ["a\x00", {"b": "\x00"}], "typed": "\\u0000"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.target_id) == ("test.\ufffd", "/staff/\ufffd/")
    assert stored.details == {"path\ufffd": ["a\ufffd", {"b": "\ufffd"}], "typed": "\\u0000"}
    assert audit_verify().ok


def test_verify_command_reports_a_whole_chain_and_records_the_run() -> None:
    _events()
    out = _verify_command()
    assert "whole: 5 events" in out
    run = VerificationRun.objects.get()
    assert (run.ok, run.events, run.trigger) == (True, 5, "command")


def test_verify_command_names_the_edited_event() -> None:
    events = _events()
    AuditEvent.objects.filter(pk=events[2].pk).update(details={"n": 99})
    message = _broken()
    assert f"First broken event: {events[2].pk}." in message
    assert VerificationRun.objects.get().ok is False


def test_details_that_are_not_json_cannot_be_stored_on_either_database() -> None:
    """The walk decodes details without a fallback: the column itself holds only JSON."""
    from django.db import DatabaseError, connection

    events = _events()
    sql = "UPDATE audit_auditevent SET details = '{not json' WHERE id = %s"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [events[3].pk])
    assert audit_verify().ok


def test_verify_command_names_the_event_after_a_deleted_one() -> None:
    events = _events()
    AuditEvent.objects.filter(pk=events[1].pk).delete()
    assert f"First broken event: {events[2].pk}." in _broken()


def test_reordered_events_are_detected() -> None:
    events = _events()
    a, b = events[1].pk, events[3].pk
    spare = events[-1].pk + 1000
    AuditEvent.objects.filter(pk=a).update(id=spare)
    AuditEvent.objects.filter(pk=b).update(id=a)
    AuditEvent.objects.filter(pk=spare).update(id=b)
    check = audit_verify()
    assert not check.ok
    assert check.first_bad_id == a


def test_truncated_tail_with_the_head_rewritten_too_is_caught_by_a_checkpoint() -> None:
    events = _events()
    checkpoint_create()
    _rewrite_tail(events, kept=3)
    assert audit_verify().ok, "without the checkpoint this forgery is invisible"
    message = _broken()
    assert "the newest 2 events are missing" in message
    assert "recorded 5 events, the chain has 3" in message


def test_truncated_and_regrown_chain_is_caught_at_the_checkpoint_position() -> None:
    events = _events()
    checkpoint_create()
    _rewrite_tail(events, kept=3)
    regrown = _events(4)  # the chain is longer again than the checkpoint, but another one
    assert audit_verify().ok
    message = _broken()
    assert "differs from the signed checkpoint" in message
    assert f"First broken event: {regrown[1].pk}." in message


def test_a_head_row_rewritten_backwards_disagrees_with_the_newest_checkpoint() -> None:
    events = _events()
    checkpoint_create()
    AuditHead.objects.filter(pk=1).update(events=2, chain_hash=events[1].chain_hash)
    assert "the head was rewritten" in _broken()


def test_a_copy_of_a_checkpoint_kept_elsewhere_catches_deleted_checkpoint_files(
    tmp_path: Path,
) -> None:
    events = _events()
    _, path = checkpoint_create()
    copy = tmp_path / "offsite.json"
    copy.write_bytes(path.read_bytes())
    path.unlink()
    _rewrite_tail(events, kept=2)
    _verify_command()  # the forger also deleted the stored checkpoint
    assert "the newest 3 events are missing" in _broken("--checkpoint", str(copy))


def test_a_forged_or_altered_checkpoint_fails_verification() -> None:
    _events()
    _, path = checkpoint_create()
    document = json.loads(path.read_text())
    document["events"] = 2
    path.write_text(json.dumps(document))
    message = _broken()
    assert "not signed by this install's audit key" in message
    assert path.name in message


def test_an_unreadable_checkpoint_fails_verification_with_one_clear_line() -> None:
    _events()
    folder = checkpoint_dir()
    folder.mkdir(parents=True)
    (folder / "garbage.json").write_bytes(b"\x00not json")
    message = _broken()
    assert "cannot be read" in message
    assert "\n" not in message


def test_a_missing_extra_checkpoint_file_is_one_clear_error(tmp_path: Path) -> None:
    assert _broken("--checkpoint", str(tmp_path / "nope.json")).startswith("No checkpoint file")


def test_checkpoint_command_signs_the_head_and_keeps_the_key_private() -> None:
    events = _events(3)
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out, stderr=io.StringIO())
    document = json.loads(out.getvalue())
    assert (document["events"], document["head"]) == (3, events[-1].chain_hash)
    (stored,) = checkpoints_load()
    assert (stored.events, stored.head) == (3, events[-1].chain_hash)
    key_file = key_dir() / "audit-signing.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(checkpoint_dir()).st_mode) == 0o700
    shown = io.StringIO()
    call_command("audit", "checkpoint", "--show", stdout=shown)
    assert json.loads(shown.getvalue())["head"] == events[-1].chain_hash
    pem = io.StringIO()
    call_command("audit", "checkpoint", "--public-key", stdout=pem)
    assert pem.getvalue().startswith("-----BEGIN PUBLIC KEY-----")


def test_checkpoint_show_without_any_checkpoint_is_one_clear_error() -> None:
    with pytest.raises(CommandError, match="No checkpoint in"):
        call_command("audit", "checkpoint", "--show")


def test_a_checkpoint_of_an_empty_chain_verifies() -> None:
    checkpoint, _ = checkpoint_create()
    assert (checkpoint.events, checkpoint.head) == (0, GENESIS)
    assert "whole: 0 events, checked against 1" in _verify_command()


def test_hourly_job_checkpoints_a_whole_moved_chain_only() -> None:
    _events(2)
    assert audit_checkpoint_hourly().startswith("checkpoint of 2 events")
    assert audit_checkpoint_hourly() == "unchanged since the last checkpoint"
    events = _events(1)
    assert audit_checkpoint_hourly().startswith("checkpoint of 3 events")
    AuditEvent.objects.filter(pk=events[0].pk).update(action="forged")
    assert audit_checkpoint_hourly().startswith("chain broken")
    assert len(checkpoints_load()) == 2
    assert [r.ok for r in VerificationRun.objects.order_by("at")] == [True, True, True, False]


def test_each_deletion_of_the_tail_after_a_checkpoint_is_detected_one_by_one() -> None:
    events = _events()
    checkpoint_create()
    for kept in range(len(events)):
        with transaction.atomic():
            if kept:
                _rewrite_tail(events, kept=kept)
            else:
                AuditEvent.objects.all().delete()
                AuditHead.objects.filter(pk=1).update(events=0, chain_hash=GENESIS)
            assert not audit_verify(checkpoints_load()).ok, f"kept {kept} went unnoticed"
            transaction.set_rollback(True)
    assert audit_verify(checkpoints_load()).ok


def test_the_workers_run_the_hourly_checkpoint_through_the_task_runner() -> None:
    from hotline.tasks import runner
    from hotline.tasks.services import PERIODIC

    (job,) = [p for p in PERIODIC if p.name == "audit.checkpoint_hourly"]
    assert (job.func_path, job.minutes) == (
        "hotline.audit.verification.audit_checkpoint_hourly",
        60,
    )
    _events(2)
    runner.execute(job.func_path, [], 1)
    (checkpoint,) = checkpoints_load()
    assert checkpoint.events == 2


def test_verify_warns_when_the_database_role_is_a_superuser() -> None:
    from django.db import connection

    err = io.StringIO()
    call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    # The test database's role is PostgreSQL's superuser, whom the triggers spare; SQLite has
    # no roles.
    warned = "the database role is a superuser" in err.getvalue()
    assert warned == (connection.vendor == "postgresql")


def test_an_unusable_key_directory_is_one_clear_error(tmp_path: Path, settings: object) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # A folder under a file cannot be made, by root neither (file modes would not stop root).
    settings.HOTLINE_AUDIT_DIR = blocker / "keys"  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match=r"^Cannot create the folder"):
        call_command("audit", "checkpoint", stdout=io.StringIO(), stderr=io.StringIO())
