"""A report's hashes: filed in the victim-submitted bank, hashed (videos), matched to every bank.

Services of the report pipeline (hotline.intake.pipeline); safe to run twice: entries,
submissions and matches are get-or-create under unique constraints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from hotline.hashing.hashers import HashingError
from hotline.hashing.models import (
    MIN_PDQ_QUALITY,
    HashType,
    ReportMatch,
    VictimSubmission,
    VideoHashing,
)
from hotline.hashing.selectors import match_hashes
from hotline.hashing.services import entry_add, victim_bank

logger = logging.getLogger(__name__)

VIDEO_TYPES = ("video/mp4", "video/quicktime")


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    """What matching one report found."""

    new_matches: int
    bank_matches: int  # entries of lists other than the victim-submitted bank
    linked_reports: tuple[int, ...]  # other reports that submitted a matching hash


def report_hashes_match(report_id: int) -> MatchOutcome:
    """File a report's hashes in the victim-submitted bank and match them against every bank.

    Called by the report pipeline (hotline.intake.pipeline.report_pipeline_run); safe to run
    twice. Returns what was found so the caller can raise the report's priority.
    """
    from hotline.intake.models import EvidenceFile, EvidenceHash, Report

    if not Report.objects.filter(pk=report_id).exists():
        logger.warning("report %s no longer exists; nothing to match", report_id)
        return MatchOutcome(0, 0, ())
    report_videos_hash(report_id)
    hashes: dict[tuple[HashType, str], int | None] = {}
    for md5, sha256, pdq, quality in EvidenceFile.objects.filter(report_id=report_id).values_list(
        "md5", "sha256", "pdq", "pdq_quality"
    ):
        hashes[HashType.MD5, md5] = None
        hashes[HashType.SHA256, sha256] = None
        if pdq:
            hashes[HashType.PDQ, pdq] = quality
    for kind, value, quality in EvidenceHash.objects.filter(report_id=report_id).values_list(
        "kind", "value", "quality"
    ):
        hashes[HashType(kind), value] = quality

    bank = victim_bank()
    own_entries: set[int] = set()
    with transaction.atomic():
        for (hash_type, value), _quality in hashes.items():
            entry = entry_add(
                bank=bank, hash_type=hash_type, value=value, added_via=f"report:{report_id}"
            )
            VictimSubmission.objects.get_or_create(entry=entry, report_id=report_id)
            own_entries.add(entry.pk)

    def values(hash_type: HashType) -> list[str]:
        return [
            v
            for (t, v), quality in hashes.items()
            if t == hash_type
            and (hash_type != HashType.PDQ or quality is None or quality >= MIN_PDQ_QUALITY)
        ]

    matches = match_hashes(
        md5=values(HashType.MD5), sha256=values(HashType.SHA256), pdq=values(HashType.PDQ)
    )
    new = 0
    bank_matches = 0
    linked: set[int] = set()
    for match in matches:
        if match.entry_id in own_entries or match.bank == bank.name:
            others = set(
                VictimSubmission.objects.filter(entry_id=match.entry_id)
                .exclude(report_id=report_id)
                .values_list("report_id", flat=True)
            )
            if not others:
                continue  # the report's own submission, seen by no one else
            linked |= others
        else:
            bank_matches += 1
        _, created = ReportMatch.objects.get_or_create(
            report_id=report_id,
            entry_id=match.entry_id,
            query_value=match.query,
            defaults={"hash_type": match.hash_type, "distance": match.distance},
        )
        new += created
    return MatchOutcome(new, bank_matches, tuple(sorted(linked)))


def report_videos_hash(report_id: int) -> int:
    """Store the distinct vPDQ frame hashes of a report's videos as its PDQ hashes.

    Each video is hashed once (a VideoHashing row marks it, whatever the outcome), so the rematch
    after every bank import does not decode it again. Without vpdq nothing is marked: the videos
    are hashed by the first run after the `video` extra is installed. Returns videos hashed now.
    """
    from hotline.hashing.video import VideoHashingUnavailableError, hash_video_bytes
    from hotline.intake.models import EvidenceFile, EvidenceHash
    from hotline.vault import services as vault

    pending = (
        EvidenceFile.objects.filter(
            report_id=report_id, content_type__in=VIDEO_TYPES, video_hashing__isnull=True
        )
        .select_related("report")
        .order_by("pk")
    )
    done = 0
    for evidence in pending:
        # Decoding takes seconds: outside any transaction.
        data = vault.file_read(name=evidence.working_name, context=evidence.context)
        try:
            video = hash_video_bytes(data)
        except VideoHashingUnavailableError:
            logger.info(
                "video hashing is not installed; evidence %s keeps exact hashes", evidence.pk
            )
            return done
        except HashingError as exc:
            outcome = exc.code if exc.code in VideoHashing.Outcome.values else "video_error"
            logger.warning("video evidence %s not hashed: %s", evidence.pk, exc.code)
            VideoHashing.objects.get_or_create(evidence=evidence, defaults={"outcome": outcome})
            continue
        distinct = video.distinct_pdq()
        now = timezone.now()
        with transaction.atomic():
            # Unique (report, kind, value): a frame seen before, or a redelivery, adds nothing.
            EvidenceHash.objects.bulk_create(
                [
                    EvidenceHash(
                        report_id=report_id, kind="pdq", value=pdq, quality=q, created_at=now
                    )
                    for pdq, q in distinct.items()
                ],
                ignore_conflicts=True,
            )
            VideoHashing.objects.get_or_create(
                evidence=evidence,
                defaults={
                    "outcome": VideoHashing.Outcome.HASHED,
                    "frames": len(video.frames),
                    "distinct_pdq": len(distinct),
                },
            )
        done += 1
    return done
