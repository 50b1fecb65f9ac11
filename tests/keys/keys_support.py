"""Helpers for key rotation tests: a private copy of the key file, and stored data of every kind."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from hotline import config
from hotline.cases.models import CaseAttachment, CaseEvent, CaseNote
from hotline.cases.notes import attachment_add, attachment_filename, note_add, note_body
from hotline.cases.services import report_state_change
from hotline.entities.services import entity_get_or_create, entity_value
from hotline.intake.choices import CaseState
from hotline.intake.evidence import evidence_prepare
from hotline.intake.models import EvidenceFile, Message, Report
from hotline.intake.selectors import report_details
from hotline.intake.services import ReportInput, message_add, report_submit
from hotline.keys.selectors import blobs_not_under_key
from hotline.keys.targets import TARGET_NAMES
from hotline.vault import services as vault


@pytest.fixture
def own_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point this test at a copy of the key file, so rotating it touches no other test."""
    path = tmp_path / "keys" / "keys.json"
    path.parent.mkdir(mode=0o700)
    shutil.copy(config.key_file_path(), path)
    path.chmod(0o600)
    monkeypatch.setenv("HOTLINE_KEY_FILE", str(path))
    before_keys, before_loaded = settings.KEYS, config.loaded_keys()
    settings.KEYS = config.load_keys(create=False)
    try:
        yield path
    finally:
        settings.KEYS = before_keys
        config._loaded = before_loaded


def png(seed: int) -> bytes:
    """Return a small generated PNG (never real imagery)."""
    image = Image.new("RGB", (64, 48), (seed % 250, 90, 160))
    ImageDraw.Draw(image).ellipse((5, 5, 40 + seed % 20, 40), fill=(240, 200, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Stored:
    """What was stored, to read back after a rotation."""

    narratives: dict[int, str]
    messages: dict[int, str]
    notes: dict[int, str]
    filenames: dict[int, str]
    files: dict[str, bytes]
    entities: dict[int, str]
    staff_notes: dict[int, str]
    attachments: dict[int, tuple[str, bytes]]


def store_everything(*, reports: int, actor: object) -> Stored:
    """Store reports with evidence (kept originals), messages, case notes and entities."""
    stored = Stored({}, {}, {}, {}, {}, {}, {}, {})
    for i in range(reports):
        evidence = evidence_prepare(filename=f"photo-{i}.png", data=png(i))
        report = report_submit(
            data=ReportInput(
                reporter_role="myself",
                categories=["sextortion"],
                narrative=f"narrative number {i}",
                keep_original_for_police=True,
            ),  # type: ignore[call-arg]
            evidence=[evidence],
        ).report
        stored.narratives[report.pk] = f"narrative number {i}"
        message = message_add(report=report, author=Message.Author.STAFF, body=f"message {i}")
        stored.messages[message.pk] = f"message {i}"
        event = report_state_change(
            actor=actor,  # type: ignore[arg-type]
            report_id=report.pk,
            expected_state=CaseState.RECEIVED,
            to_state=CaseState.IN_REVIEW,
            note=f"note {i}",
        )
        stored.notes[event.pk] = f"note {i}"
        staff_note = note_add(actor=actor, report=report, body=f"staff note {i}")  # type: ignore[arg-type]
        stored.staff_notes[staff_note.pk] = f"staff note {i}"
        letter = f"letter from the police {i}".encode()
        attached = attachment_add(
            actor=actor, report=report, filename=f"letter-{i}.txt", data=letter
        )  # type: ignore[arg-type]
        stored.attachments[attached.pk] = (f"letter-{i}.txt", letter)
        entity = entity_get_or_create(kind="phone", value=f"+8551234{i:04d}")
        stored.entities[entity.pk] = f"+8551234{i:04d}"
    for record in EvidenceFile.objects.select_related("report"):
        stored.filenames[record.pk] = vault.decrypt_text(
            bytes(record.filename_ciphertext), context=record.context + ":name"
        )
        stored.files[record.working_name] = vault.file_read(
            name=record.working_name, context=record.context
        )
        assert record.original_name
        stored.files[record.original_name] = vault.file_read(
            name=record.original_name, context=record.context + ":original"
        )
    return stored


def assert_all_readable(stored: Stored) -> None:
    """Every stored value decrypts to what was written."""
    for pk, narrative in stored.narratives.items():
        assert report_details(Report.objects.get(pk=pk))["narrative"] == narrative
    for pk, body in stored.messages.items():
        message = Message.objects.get(pk=pk)
        assert vault.decrypt_text(bytes(message.body_ciphertext), context=message.context) == body
    for pk, note in stored.notes.items():
        event = CaseEvent.objects.get(pk=pk)
        assert event.note_ciphertext is not None
        assert vault.decrypt_text(bytes(event.note_ciphertext), context=event.note_context) == note
    for record in EvidenceFile.objects.select_related("report"):
        name = vault.decrypt_text(
            bytes(record.filename_ciphertext), context=record.context + ":name"
        )
        assert name == stored.filenames[record.pk]
        assert (
            vault.file_read(name=record.working_name, context=record.context)
            == (stored.files[record.working_name])
        )
        assert record.original_name
        assert (
            vault.file_read(name=record.original_name, context=record.context + ":original")
            == (stored.files[record.original_name])
        )
    for pk, body in stored.staff_notes.items():
        assert note_body(CaseNote.objects.get(pk=pk)) == body
    for pk, (filename, data) in stored.attachments.items():
        attached = CaseAttachment.objects.get(pk=pk)
        assert attachment_filename(attached) == filename
        assert vault.file_read(name=attached.stored_name, context=attached.context) == data
    from hotline.entities.models import Entity

    for pk, value in stored.entities.items():
        assert entity_value(Entity.objects.get(pk=pk)) == value


def left_on_other_keys(kid: str) -> dict[str, int]:
    """Return the targets that still hold a blob or file not sealed with `kid`."""
    counts = blobs_not_under_key(kid)
    assert set(counts) == set(TARGET_NAMES)
    return {name: n for name, n in counts.items() if n}
