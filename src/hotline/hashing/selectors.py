"""Reads of hash banks: match hashes against enabled entries, export a bank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hotline.hashing.formats import Export, FileFormat, HashRow, write_hash_file
from hotline.hashing.index import DEFAULT_THRESHOLD
from hotline.hashing.models import Bank, BankEntry, HashType, ReportMatch, VictimSubmission
from hotline.hashing.services import pdq_index_follow


@dataclass(frozen=True, slots=True)
class BankMatch:
    """An enabled bank entry that matches a queried hash (distance 0 for exact hashes)."""

    entry_id: int
    bank: str
    category: str
    hash_type: HashType
    value: str
    label: str
    distance: int
    query: str


def match_hashes(
    *,
    md5: list[str] | None = None,
    sha256: list[str] | None = None,
    pdq: list[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    victim_submitted: bool = True,
) -> list[BankMatch]:
    """Return enabled entries of enabled banks matching the given (normalised) hashes.

    MD5 and SHA-256 match exactly; PDQ within `threshold` bits, through the shared index.
    With victim_submitted=False the victim-submitted bank is left out (callers outside the
    hotline: such a match would tell them that someone reported that picture).
    """
    found: list[BankMatch] = []
    for hash_type, values in ((HashType.MD5, md5 or []), (HashType.SHA256, sha256 or [])):
        if values:
            for entry in _enabled(hash_type, values, victim_submitted):
                found.append(_match(entry, 0, entry.value))
    if pdq:
        index = pdq_index_follow()  # with what other hosts added
        near: dict[str, list[tuple[str, int]]] = {}
        for query in pdq:
            for m in index.query(query, threshold=threshold):
                near.setdefault(m.pdq_hex, []).append((query, m.distance))
        if near:
            for entry in _enabled(HashType.PDQ, list(near), victim_submitted):
                for query, distance in near[entry.value]:
                    found.append(_match(entry, distance, query))
    return sorted(found, key=lambda m: (m.distance, m.bank, m.entry_id, m.query))


def match_each(
    *,
    queries: Sequence[tuple[str, str]],
    threshold: int = DEFAULT_THRESHOLD,
    victim_submitted: bool = True,
) -> list[list[BankMatch]]:
    """Return the matches of each (kind, normalised value) query, in the order given.

    One lookup per kind for the whole batch; a query repeated in the batch gets the same answer.
    """
    wanted: dict[str, list[str]] = {"md5": [], "sha256": [], "pdq": []}
    for kind, value in dict.fromkeys(queries):
        wanted[kind].append(value)
    found = match_hashes(
        md5=wanted["md5"],
        sha256=wanted["sha256"],
        pdq=wanted["pdq"],
        threshold=threshold,
        victim_submitted=victim_submitted,
    )
    by_query: dict[tuple[str, str], list[BankMatch]] = {}
    for match in found:
        by_query.setdefault((str(match.hash_type), match.query), []).append(match)
    return [by_query.get(query, []) for query in queries]


def _enabled(hash_type: HashType, values: list[str], victim_submitted: bool) -> list[BankEntry]:
    entries = BankEntry.objects.filter(
        hash_type=hash_type, value__in=values, enabled=True, bank__enabled=True
    )
    if not victim_submitted:
        entries = entries.filter(bank__victim_submitted=False)
    return list(entries.select_related("bank"))


def _match(entry: BankEntry, distance: int, query: str) -> BankMatch:
    return BankMatch(
        entry_id=entry.pk,
        bank=entry.bank.name,
        category=entry.bank.category,
        hash_type=HashType(entry.hash_type),
        value=entry.value,
        label=entry.label,
        distance=distance,
        query=query,
    )


def bank_export(*, bank: Bank, fmt: FileFormat, include_disabled: bool = False) -> Export:
    """Return a bank's entries in `fmt` (see formats.FileFormat)."""
    entries = BankEntry.objects.filter(bank=bank).order_by("hash_type", "value")
    if not include_disabled:
        entries = entries.filter(enabled=True)
    rows = (
        HashRow(hash_type=HashType(t), value=v, label=label)
        for t, v, label in entries.values_list("hash_type", "value", "label").iterator()
    )
    return write_hash_file(rows, fmt=fmt, collab=bank.name)


def linked_report_ids(*, report_id: int) -> list[int]:
    """Return the other reports that share an identical or near-identical hash with this one.

    Links are stored once, on the later report's ReportMatch; this reads both directions.
    """
    forward = VictimSubmission.objects.filter(
        entry__report_matches__report_id=report_id
    ).values_list("report_id", flat=True)
    backward = ReportMatch.objects.filter(entry__submissions__report_id=report_id).values_list(
        "report_id", flat=True
    )
    return sorted((set(forward) | set(backward)) - {report_id})


def report_bank_matches(*, report_id: int) -> list[ReportMatch]:
    """Return a report's matches with known lists (not other reports' submissions)."""
    return list(
        ReportMatch.objects.filter(report_id=report_id)
        .exclude(entry__bank__victim_submitted=True)
        .select_related("entry__bank")
        .order_by("distance", "entry_id")
    )
