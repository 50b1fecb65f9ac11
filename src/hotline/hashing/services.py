"""Changes to hash banks: create banks, add, import and disable entries.

Every PDQ value written to a bank is also appended to the shared match index (pdq_index). The
index may hold values whose entry was rolled back or disabled: matching filters through the
database, so an extra index value can never produce a match, and a missing one would. Values
added through another host reach this host's index through the database (pdq_index_follow).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from hotline.accounts.models import User
from hotline.audit.services import audit_record
from hotline.hashing.follow import follow_build, follow_database, follow_lock, follow_state_read
from hotline.hashing.formats import FileFormat, HashRow, normalise_hash, parse_hash_file
from hotline.hashing.index import MihIndex
from hotline.hashing.models import Bank, BankCategory, BankEntry, HashType

VICTIM_BANK_NAME = "victim-submitted"
# Above this many unmerged additions a query scans more than ~0.2 ms of delta: fold them in.
COMPACT_AFTER = 200_000
_BATCH = 5000

_indexes: dict[Path, MihIndex] = {}
_indexes_lock = threading.Lock()


def pdq_index_dir() -> Path:
    """Return the directory of this installation's PDQ match index."""
    configured = getattr(settings, "HASHING_INDEX_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "pdq-index"


def pdq_index() -> MihIndex:
    """Return this process's handle on the shared PDQ index, building it from the banks if new."""
    directory = pdq_index_dir()
    with _indexes_lock:
        index = _indexes.get(directory)
        if index is None:
            if not (directory / "CURRENT").exists() or follow_state_read(directory) is None:
                with follow_lock(directory):
                    if not (directory / "CURRENT").exists() or follow_state_read(directory) is None:
                        follow_build(directory)
            index = MihIndex(directory)
            _indexes[directory] = index
        return index


def pdq_index_follow() -> MihIndex:
    """Return the PDQ index after absorbing entries added through other hosts (see follow).

    One indexed query when nothing is new; call it before matching.
    """
    index = pdq_index()
    follow_database(index)
    return index


def pdq_index_rebuild() -> int:
    """Rebuild the PDQ index from every PDQ bank entry; return the number of distinct hashes."""
    directory = pdq_index_dir()
    with _indexes_lock, follow_lock(directory):
        count = follow_build(directory)
        _indexes[directory] = MihIndex(directory)
    return count


def _index_pdq(values: list[str]) -> None:
    if not values:
        return
    index = pdq_index()
    index.add(values)
    # One process compacts at a time; the others go on (their additions are in the delta, where
    # they match all the same, and the compactor carries them into the new generation).
    index.compact_if_needed(limit=getattr(settings, "HASHING_COMPACT_AFTER", COMPACT_AFTER))


def bank_create(
    *,
    name: str,
    category: str,
    source: str = "",
    description: str = "",
    actor: User | None = None,
) -> Bank:
    """Create a bank."""
    with transaction.atomic():
        bank = Bank.objects.create(
            name=name.strip(), category=category, source=source, description=description
        )
        audit_record(
            actor=actor,
            action="hashing.bank_create",
            target_type="hashing.bank",
            target_id=bank.pk,
            details={"name": bank.name, "category": category},
        )
    return bank


def victim_bank() -> Bank:
    """Return the bank that holds every hash reporters submit, creating it on first use."""
    bank, _ = Bank.objects.get_or_create(
        victim_submitted=True,
        defaults={
            "name": VICTIM_BANK_NAME,
            "category": BankCategory.VICTIM_SUBMITTED,
            "description": "Hashes submitted by reporters (uploaded or computed on device).",
        },
    )
    return bank


def entry_add(
    *,
    bank: Bank,
    hash_type: HashType,
    value: str,
    label: str = "",
    actor: User | None = None,
    added_via: str = "",
) -> BankEntry:
    """Add one hash to a bank (or return the existing entry); it is matchable on return."""
    value = normalise_hash(hash_type, value)
    with transaction.atomic():
        entry, created = BankEntry.objects.get_or_create(
            bank=bank,
            hash_type=hash_type,
            value=value,
            defaults={"label": label, "added_by": actor, "added_via": added_via},
        )
        if created:
            audit_record(
                actor=actor,
                action="hashing.entry_add",
                target_type="hashing.bankentry",
                target_id=entry.pk,
                details={"bank": bank.name, "hash_type": hash_type.value},
            )
    if created and hash_type == HashType.PDQ:
        _index_pdq([value])
    return entry


def entry_set_enabled(*, entry: BankEntry, enabled: bool, actor: User | None = None) -> None:
    """Enable or disable an entry; a disabled entry stays in the bank but never matches."""
    with transaction.atomic():
        BankEntry.objects.filter(pk=entry.pk).update(enabled=enabled)
        entry.enabled = enabled
        audit_record(
            actor=actor,
            action="hashing.entry_enable" if enabled else "hashing.entry_disable",
            target_type="hashing.bankentry",
            target_id=entry.pk,
        )


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did."""

    added: int
    already_present: int


def bank_import(
    *,
    bank: Bank,
    text: str,
    fmt: FileFormat,
    actor: User | None = None,
    source_name: str = "",
) -> ImportResult:
    """Import a CSV/TSV hash list into a bank in one transaction.

    Raises formats.HashFileError (listing bad lines) before writing anything if any row is bad.
    """
    rows = parse_hash_file(text, fmt=fmt)
    return bank_import_rows(bank=bank, rows=rows, actor=actor, source_name=source_name)


def bank_import_rows(
    *, bank: Bank, rows: list[HashRow], actor: User | None = None, source_name: str = ""
) -> ImportResult:
    """Add parsed rows to a bank in one transaction; existing hashes are left as they are."""
    from hotline.hashing.rematch import entry_high_water, rematch_queue

    via = f"import:{source_name}"[:200] if source_name else "import"
    with transaction.atomic():
        before = BankEntry.objects.filter(bank=bank).count()
        # Ids are handed out in order: this import's entries are the bank's above this one.
        high_water = entry_high_water()
        for start in range(0, len(rows), _BATCH):
            BankEntry.objects.bulk_create(
                [
                    BankEntry(
                        bank=bank,
                        hash_type=row.hash_type,
                        value=row.value,
                        label=row.label,
                        added_by=actor,
                        added_via=via,
                    )
                    for row in rows[start : start + _BATCH]
                ],
                ignore_conflicts=True,
            )
        added = BankEntry.objects.filter(bank=bank).count() - before
        audit_record(
            actor=actor,
            action="hashing.bank_import",
            target_type="hashing.bank",
            target_id=bank.pk,
            details={"rows": len(rows), "added": added, "source": source_name},
        )
        if added:
            # Reports filed before this list arrived are matched against its new entries in
            # the background (a RematchJob); queued in the transaction, so a failed import
            # queues nothing.
            rematch_queue(bank=bank, entry_after=high_water, reason=via, actor=actor)
    _index_pdq([r.value for r in rows if r.hash_type == HashType.PDQ])
    return ImportResult(added=added, already_present=len(rows) - added)


def bank_set_enabled(*, bank: Bank, enabled: bool, actor: User | None = None) -> None:
    """Enable or disable a bank; a disabled bank matches nothing.

    Enabling queues a rematch of all its entries: reports processed while it was disabled were
    not matched against it.
    """
    from hotline.hashing.rematch import rematch_queue

    with transaction.atomic():
        current = Bank.objects.select_for_update().get(pk=bank.pk)
        bank.enabled = enabled
        if current.enabled == enabled:
            return
        Bank.objects.filter(pk=bank.pk).update(enabled=enabled)
        audit_record(
            actor=actor,
            action="hashing.bank_enable" if enabled else "hashing.bank_disable",
            target_type="hashing.bank",
            target_id=bank.pk,
            details={"name": bank.name},
        )
        if enabled:
            rematch_queue(bank=bank, entry_after=0, reason="enable", actor=actor)
