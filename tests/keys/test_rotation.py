"""`hotline keys rotate` / `retire` in-process: the key file, re-encryption, resuming, refusals."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from keys_support import (
    assert_all_readable,
    left_on_other_keys,
    own_key_file,  # noqa: F401 - fixture
    store_everything,
)

from hotline import config
from hotline.intake.models import Message, Report
from hotline.intake.services import message_add
from hotline.keys.models import KeyCheck, KeyRotation
from hotline.keys.rotation import rotation_run
from hotline.keys.services import KeyRotationError, key_retire, key_rotate
from hotline.vault import services as vault
from staff_login import make_staff

pytestmark = pytest.mark.django_db


def run_to_end(rotation: KeyRotation) -> KeyRotation:
    """Run the rotation's task body until done, as a worker would across continuations."""
    # The final scan waits for other processes to see the new key file: that time has passed.
    KeyRotation.objects.filter(pk=rotation.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    for _ in range(200):
        if rotation_run(rotation_id=rotation.pk):
            break
    rotation.refresh_from_db()
    assert rotation.state == KeyRotation.State.DONE
    return rotation


def test_rotate_adds_a_private_key_keeps_the_old_one_and_new_writes_use_it(
    own_key_file: Path,  # noqa: F811
) -> None:
    before = json.loads(own_key_file.read_text())
    rotation = key_rotate()
    after = json.loads(own_key_file.read_text())
    assert rotation.old_id == "k1"
    assert rotation.new_id == "k2"
    assert after["vault_primary"] == "k2"
    assert after["vault_keys"]["k1"] == before["vault_keys"]["k1"]
    assert after["vault_keys"]["k2"] != after["vault_keys"]["k1"]
    assert {k: v for k, v in after.items() if k not in ("vault_keys", "vault_primary")} == {
        k: v for k, v in before.items() if k not in ("vault_keys", "vault_primary")
    }
    assert stat.S_IMODE(own_key_file.stat().st_mode) == 0o600
    assert [p.name for p in own_key_file.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert vault.blob_key_id(vault.encrypt(b"x", context="c")) == "k2"
    assert KeyCheck.objects.filter(name="vault:k2").exists()
    assert rotation.progress["intake.report.details"]["finished"] is False


def test_rotation_reencrypts_every_column_and_file_then_the_old_key_is_retired(
    own_key_file: Path,  # noqa: F811
) -> None:
    stored = store_everything(reports=3, actor=make_staff("analyst").user)
    assert left_on_other_keys("k1") == {}
    rotation = key_rotate()
    assert set(left_on_other_keys("k2")) == {
        "intake.report.details",
        "intake.message.body",
        "intake.evidencefile.filename",
        "intake.evidencefile.files",
        "cases.caseevent.note",
        "cases.casenote.body",
        "cases.caseattachment.filename",
        "cases.caseattachment.files",
        "entities.entity.value",
    }
    run_to_end(rotation)
    assert left_on_other_keys("k2") == {}
    assert_all_readable(stored)
    key_retire(key_id="k1")
    assert set(json.loads(own_key_file.read_text())["vault_keys"]) == {"k2"}
    assert "k1" not in settings.KEYS.vault_keys
    assert not KeyCheck.objects.filter(name="vault:k1").exists()
    assert_all_readable(stored)


def test_a_rotation_half_done_is_readable_throughout_and_resumes_from_its_cursor(
    own_key_file: Path,  # noqa: F811
) -> None:
    stored = store_everything(reports=4, actor=make_staff("analyst").user)
    rotation = key_rotate()
    # One chunk of one row, then the budget is spent: a continuation is queued.
    assert rotation_run(rotation_id=rotation.pk, budget_seconds=0, chunk_rows=1) is False
    rotation.refresh_from_db()
    step = rotation.progress["intake.report.details"]
    first = Report.objects.order_by("pk").first()
    assert first is not None
    assert step["cursor"] == first.pk
    assert step["done"] == 1
    keys_in_use = {vault.blob_key_id(bytes(r.details_ciphertext)) for r in Report.objects.all()}
    assert keys_in_use == {"k1", "k2"}
    assert_all_readable(stored)
    run_to_end(rotation)
    rotation.refresh_from_db()
    assert rotation.progress["intake.report.details"]["done"] == 4
    assert left_on_other_keys("k2") == {}
    assert_all_readable(stored)


def test_a_value_written_under_the_old_key_behind_the_cursor_gets_another_pass(
    own_key_file: Path,  # noqa: F811
) -> None:
    stored = store_everything(reports=2, actor=make_staff("analyst").user)
    rotation = key_rotate()
    new_keys = settings.KEYS
    for name in list(rotation.progress)[:2]:  # reports and messages are through
        rotation.progress[name].update(finished=True)
    rotation.save()
    # A process that has not seen the new key file yet writes a message under k1.
    settings.KEYS = config.Keys(
        secret_key=new_keys.secret_key,
        receipt_pepper=new_keys.receipt_pepper,
        vault_keys=new_keys.vault_keys,
        vault_primary="k1",
    )
    late = message_add(report=Report.objects.first(), author=Message.Author.STAFF, body="late")
    settings.KEYS = new_keys
    assert vault.blob_key_id(bytes(late.body_ciphertext)) == "k1"
    stored.messages[late.pk] = "late"
    run_to_end(rotation)
    rotation.refresh_from_db()
    assert rotation.passes == 2
    assert left_on_other_keys("k2") == {}
    assert_all_readable(stored)


def test_rotate_refuses_while_a_rotation_runs(own_key_file: Path) -> None:  # noqa: F811
    key_rotate()
    before = own_key_file.read_bytes()
    with pytest.raises(KeyRotationError, match=r"^a key rotation is already running \(data key"):
        key_rotate()
    with pytest.raises(KeyRotationError, match="already running"):
        key_rotate(digests=True)
    assert own_key_file.read_bytes() == before
    assert KeyRotation.objects.count() == 1


def test_retire_refuses_an_unknown_id_the_current_key_and_a_running_rotation(
    own_key_file: Path,  # noqa: F811
) -> None:
    with pytest.raises(KeyRotationError, match=r"^unknown key id 'k7': the key file has k1\.$"):
        key_retire(key_id="k7")
    with pytest.raises(KeyRotationError, match="is the current key"):
        key_retire(key_id="k1")
    key_rotate()
    before = own_key_file.read_bytes()
    with pytest.raises(KeyRotationError, match="a key rotation is running"):
        key_retire(key_id="k1")
    assert own_key_file.read_bytes() == before


def test_retire_refuses_a_key_still_in_use_and_queues_another_pass(
    own_key_file: Path,  # noqa: F811
) -> None:
    stored = store_everything(reports=2, actor=make_staff("analyst").user)
    rotation = run_to_end(key_rotate())
    # Written under k1 after the rotation ended (a process that missed the new key file).
    new_keys = settings.KEYS
    settings.KEYS = config.Keys(
        secret_key=new_keys.secret_key,
        receipt_pepper=new_keys.receipt_pepper,
        vault_keys=new_keys.vault_keys,
        vault_primary="k1",
    )
    late = message_add(report=Report.objects.first(), author=Message.Author.STAFF, body="late")
    settings.KEYS = new_keys
    stored.messages[late.pk] = "late"
    before = own_key_file.read_bytes()
    with pytest.raises(
        KeyRotationError,
        match=r"^key k1 is still used by 1 value\(s\) \(intake.message.body 1\): re-encryption",
    ):
        key_retire(key_id="k1")
    assert own_key_file.read_bytes() == before
    run_to_end(KeyRotation.objects.get(pk=rotation.pk))
    key_retire(key_id="k1")
    assert_all_readable(stored)


def test_keys_command_errors_are_one_ascii_line(own_key_file: Path) -> None:  # noqa: F811
    before = own_key_file.read_bytes()
    for args in (
        ("retire", "nope"),
        ("retire", "k1"),
        ("retire", "\u1780\u17d2\u1789\u17bb\u17c6"),
        ("retire", "k1\nforged line"),
        ("retire", "x" * 5000),
    ):
        with pytest.raises(CommandError) as caught:
            call_command("keys", *args)
        message = str(caught.value)
        assert message.isascii()
        assert "\n" not in message
        assert len(message) < 300
    assert own_key_file.read_bytes() == before


def test_keys_status_shows_progress_per_table(
    own_key_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_everything(reports=2, actor=make_staff("analyst").user)
    rotation = key_rotate()
    rotation_run(rotation_id=rotation.pk, budget_seconds=0, chunk_rows=1)
    call_command("keys", "status")
    out = capsys.readouterr().out
    assert "data keys k1, k2 (current k2)" in out
    assert f"Rotation {rotation.pk}: data key k1 -> k2, running" in out
    assert "intake.report.details" in out
    assert "1 / 2 rows  working" in out
