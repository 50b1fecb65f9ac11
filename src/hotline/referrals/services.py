"""Produce a police referral package (liaison only, audited) and check one that comes back."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can, require
from hotline.audit.checkpoints import document_sign, public_key, public_key_pem
from hotline.audit.custody import custody_record
from hotline.audit.services import audit_record
from hotline.cases.services import CaseError, report_state_change
from hotline.cases.workflow import transition_allowed
from hotline.intake.choices import CaseState
from hotline.intake.models import EvidenceFile, Report
from hotline.referrals.archive import (
    PUBLIC_KEY,
    SIGNATURE_PURPOSE,
    CheckedPackage,
    PackageRejected,
    PackageWriter,
    canonical_json,
    file_label,
    package_check,
)
from hotline.referrals.content import case_content, evidence_name
from hotline.referrals.models import ReferralPackage
from hotline.referrals.pdf import referral_pdf
from hotline.vault import services as vault

LANGUAGES = ("en", "km")
DEFAULT_MAX_EVIDENCE_BYTES = 2 << 30  # 2 GiB of decrypted evidence in one package


class ReferralError(Exception):
    """A package that cannot be produced; the message is meant for the liaison."""


@dataclass(frozen=True)
class ProducedPackage:
    record: ReferralPackage
    filename: str
    data: bytes
    moved_to_referred: bool


def _max_evidence_bytes() -> int:
    return int(getattr(settings, "HOTLINE_REFERRAL_MAX_EVIDENCE_BYTES", DEFAULT_MAX_EVIDENCE_BYTES))


def _evidence_bytes(evidence: EvidenceFile) -> tuple[bytes, bool]:
    """The original if the reporter kept it for police, else the working copy; decrypted."""
    if evidence.original_name:
        name, context, original = evidence.original_name, evidence.context + ":original", True
    else:
        name, context, original = evidence.working_name, evidence.context, False
    try:
        return vault.file_read(name=name, context=context), original
    except FileNotFoundError as exc:
        raise ReferralError(
            f"Evidence file {evidence.pk} (SHA-256 {evidence.sha256[:16]}…) is missing from the "
            "upload folder: produce the package without evidence files, or ask the operator "
            "to restore it from a backup. Nothing was produced."
        ) from exc


def referral_package_produce(
    *, actor: User, report: Report, language: str, include_evidence: bool
) -> ProducedPackage:
    """Build, sign and register one referral package of `report`; audit it.

    Only the law-enforcement liaison may (Action.REFERRAL_PACKAGE). The package is returned to
    be downloaded once and is not kept: it may hold decrypted evidence. If the actor may move
    the case and the workflow allows it, the case moves to "referred to police".
    """
    require(actor, Action.REFERRAL_PACKAGE)
    if language not in LANGUAGES:
        raise ReferralError("Choose English or Khmer for the package's labels.")
    package_id = uuid.uuid4()
    created_at = timezone.now()
    header: dict[str, Any] = {
        "package_id": str(package_id),
        "case_reference": str(report.public_id),
        "created_at": created_at.isoformat(),
        "version": 1,
    }
    writer = PackageWriter()
    evidence_files: dict[int, str] = {}
    if include_evidence:
        budget = _max_evidence_bytes()
        used = 0
        for index, evidence in enumerate(report.files.select_related("report").order_by("pk"), 1):
            data, original = _evidence_bytes(evidence)
            used += len(data)
            if used > budget:
                raise ReferralError(
                    f"The evidence files add up to more than {budget} bytes, too large for one "
                    "package: produce it without evidence files and hand them over separately."
                )
            name = evidence_name(index, evidence, original=original)
            writer.add(name, data, compress=False)  # pictures and videos do not compress
            evidence_files[evidence.pk] = name
    custody = custody_record(report=report, actor=actor)
    content = case_content(
        report=report,
        language=language,
        header=header,
        custody=custody,
        evidence_files=evidence_files,
    )
    writer.add("report.json", canonical_json(content))
    writer.add("report.pdf", referral_pdf(content))
    writer.add(PUBLIC_KEY, public_key_pem().encode())
    label = file_label(
        case_reference=header["case_reference"],
        created_at=header["created_at"],
        package_id=header["package_id"],
    )
    data, manifest = writer.finish(
        header={**header, "label": label},
        sign=lambda body: document_sign(body, purpose=SIGNATURE_PURPOSE),
    )
    moved = False
    with transaction.atomic():
        record = ReferralPackage.objects.create(
            package_id=package_id,
            report=report,
            created_at=created_at,
            created_by=actor,
            manifest_sha256=hashlib.sha256(manifest).hexdigest(),
            language=language,
            evidence_included=include_evidence,
            files=len(writer.entries),
            size=len(data),
        )
        audit_record(
            actor=actor,
            action="referral.package_produced",
            target_type="report",
            target_id=str(report.public_id),
            details={
                "package": str(package_id),
                "evidence_files": len(evidence_files),
                "bytes": len(data),
                "manifest_sha256": record.manifest_sha256,
            },
        )
        if can(actor, Action.CHANGE_STATUS) and transition_allowed(
            report.status, CaseState.REFERRED_POLICE
        ):
            try:
                report_state_change(
                    actor=actor,
                    report_id=report.pk,
                    expected_state=report.status,
                    to_state=CaseState.REFERRED_POLICE,
                )
                moved = True
            except CaseError:
                moved = False  # someone moved it meanwhile: the package stands on its own
    return ProducedPackage(
        record=record, filename=f"{label}.zip", data=data, moved_to_referred=moved
    )


def referral_package_downloaded(*, actor: User, record: ReferralPackage) -> None:
    """Audit that the package's bytes were handed to `actor` (the response to producing it)."""
    require(actor, Action.REFERRAL_PACKAGE)
    audit_record(
        actor=actor,
        action="referral.package_downloaded",
        target_type="report",
        target_id=str(record.report.public_id),
        details={"package": str(record.package_id)},
    )


@dataclass(frozen=True)
class Verified:
    package: CheckedPackage
    registry_checked: bool


def package_verify(
    source: Path | IO[bytes], *, filename: str, key: Ed25519PublicKey | None = None
) -> Verified:
    """Check a package file: archive and signature (archive.package_check), then its label.

    Relabelling is refused in two ways. The file's name must carry the package's signed label
    (referral-CASE-YYYYMMDD-PACKAGE): an old package renamed as another case, another day or
    another package fails. And with this install's key, the registry must hold a package
    with the manifest's id, for the same case, made at the same instant, with the same
    manifest SHA-256: a package this hotline did not make, or one whose registry row says
    otherwise, fails. With another key (`--key`) the registry is not consulted.
    """
    own_key = public_key()
    trusted = key or own_key
    checked = package_check(source, key=trusted)
    manifest = checked.manifest
    if checked.label not in Path(filename).name:
        raise PackageRejected(
            f"the file name {Path(filename).name[:120]!r} does not carry the package's signed "
            f"label {checked.label!r}: an old or other package relabelled? (rename it back to "
            f"{checked.label}.zip to check it as what it is)"
        )
    if manifest.get("label") != checked.label:
        raise PackageRejected("the manifest's label does not match its own case, date and id")
    same_key = trusted.public_bytes_raw() == own_key.public_bytes_raw()
    if not same_key:
        return Verified(package=checked, registry_checked=False)
    package_uuid = _uuid_or_none(manifest["package_id"])
    row = (
        ReferralPackage.objects.filter(package_id=package_uuid).select_related("report").first()
        if package_uuid is not None
        else None
    )
    if row is None:
        raise PackageRejected(
            f"this hotline's registry has no package {manifest['package_id'][:40]!r}"
        )
    if (
        str(row.report.public_id) != manifest["case_reference"]
        or row.created_at.isoformat() != manifest["created_at"]
        or row.manifest_sha256 != checked.manifest_sha256
    ):
        raise PackageRejected(
            "the registry records this package id for another case, time or manifest: relabelled"
        )
    return Verified(package=checked, registry_checked=True)


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
