"""Every place the vault's ciphertext lives, for re-encryption and for the retire check.

A new encrypted column or file must be added here, or `hotline keys retire` would remove a key
that still opens it; tests/keys/test_targets.py fails for any BinaryField not listed here or in
NOT_VAULT (values sealed under other keys, and digests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from hotline.cases.models import CaseAttachment, CaseEvent, CaseNote
from hotline.entities.models import Entity
from hotline.intake.models import EvidenceFile, Message, Report
from hotline.support.models import SupportNote
from hotline.takedown.models import Notice


@dataclass(frozen=True)
class ColumnTarget:
    """A database column of vault blobs; `context` builds a row's context from `related`."""

    name: str
    model: type[models.Model]
    column: str
    related: tuple[str, ...]
    context: Callable[..., str]


@dataclass(frozen=True)
class FileTarget:
    """Encrypted files named by a model's rows; `files` yields (file name, context) per row."""

    name: str
    model: type[models.Model]
    related: tuple[str, ...]
    files: Callable[..., list[tuple[str, str]]]


def _evidence_context(public_id: Any, working_name: str) -> str:
    return f"intake.evidence:{public_id}:{working_name}"


def _evidence_files(
    public_id: Any, working_name: str, original_name: str | None
) -> list[tuple[str, str]]:
    context = _evidence_context(public_id, working_name)
    files = [(working_name, context)]
    if original_name:
        files.append((original_name, context + ":original"))
    return files


COLUMNS: tuple[ColumnTarget, ...] = (
    ColumnTarget(
        "intake.report.details",
        Report,
        "details_ciphertext",
        ("public_id",),
        lambda public_id: f"intake.report:{public_id}:details",
    ),
    ColumnTarget(
        "intake.message.body",
        Message,
        "body_ciphertext",
        ("public_id",),
        lambda public_id: f"intake.message:{public_id}",
    ),
    ColumnTarget(
        "intake.evidencefile.filename",
        EvidenceFile,
        "filename_ciphertext",
        ("report__public_id", "working_name"),
        lambda public_id, working_name: _evidence_context(public_id, working_name) + ":name",
    ),
    ColumnTarget(
        "cases.caseevent.note",
        CaseEvent,
        "note_ciphertext",
        ("public_id",),
        lambda public_id: f"cases.event:{public_id}:note",
    ),
    ColumnTarget(
        "cases.casenote.body",
        CaseNote,
        "body_ciphertext",
        ("public_id",),
        lambda public_id: f"cases.note:{public_id}",
    ),
    ColumnTarget(
        "cases.caseattachment.filename",
        CaseAttachment,
        "filename_ciphertext",
        ("public_id",),
        lambda public_id: f"cases.attachment:{public_id}:name",
    ),
    ColumnTarget(
        "takedown.notice.body",
        Notice,
        "body_ciphertext",
        ("public_id",),
        lambda public_id: f"takedown.notice:{public_id}",
    ),
    ColumnTarget(
        "takedown.notice.answer",
        Notice,
        "answer_ciphertext",
        ("public_id",),
        lambda public_id: f"takedown.notice:{public_id}:answer",
    ),
    ColumnTarget(
        "support.supportnote.body",
        SupportNote,
        "body_ciphertext",
        ("public_id",),
        lambda public_id: f"support.note:{public_id}",
    ),
    ColumnTarget(
        "entities.entity.value",
        Entity,
        "value_ciphertext",
        ("digest",),
        lambda digest: f"entities.entity:{bytes(digest).hex()}:value",
    ),
)

FILES: tuple[FileTarget, ...] = (
    FileTarget(
        "intake.evidencefile.files",
        EvidenceFile,
        ("report__public_id", "working_name", "original_name"),
        _evidence_files,
    ),
    FileTarget(
        "cases.caseattachment.files",
        CaseAttachment,
        ("public_id", "stored_name"),
        lambda public_id, stored_name: [(stored_name, f"cases.attachment:{public_id}")],
    ),
)

# Binary columns that hold no vault blob: digests, and values sealed under a key the key file
# does not hold (the retried-submission code and drafts, under keys from the reporter's token).
NOT_VAULT: frozenset[str] = frozenset(
    {
        "intake.report.receipt_digest",
        "intake.report.replay_ciphertext",
        "intake.formdraft.ciphertext",
        "entities.entity.digest",
        "entities.escrowedidentifier.digest",
        "search.searchterm.digest",
    }
)

TARGET_NAMES: tuple[str, ...] = tuple(t.name for t in COLUMNS) + tuple(t.name for t in FILES)
