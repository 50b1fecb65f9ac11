"""The URL list for internet providers that block: confirmed, still-online web addresses.

Like the lists IWF and Project Arachnid supply, it names only addresses an analyst assessed as
illegal content (the report's current assessment, made by an analyst, has a legal status of
"illegal"), whose takedown target is still online; a removed target drops out of the next
version. Each export is a new version (numbers only grow, recorded in `UrlListExport` with the
file's SHA-256) and comes with a signed manifest (`FILE.sig`): the hotline's Ed25519 key signs,
for the purpose "url-list", the format, version, time, count and SHA-256 of the list file.
`url_list_verify` rejects a changed byte, reordered lines, a manifest relabelled to another
version, or a list this hotline did not issue. Format for providers: docs/decisions/url-list.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction
from django.db.models import CharField, Max, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.assessment.models import Assessment
from hotline.audit.checkpoints import document_sign, document_signature_valid, public_key
from hotline.audit.services import audit_record
from hotline.core.csvfile import SafeWriter
from hotline.entities.models import Kind
from hotline.entities.services import entity_value
from hotline.takedown.models import Target, UrlListExport

PURPOSE: Final = "url-list"
LIST_FORMAT: Final = "openhotline-url-list-1"
MANIFEST_FORMAT: Final = "openhotline-url-list-manifest-1"
CSV_HEADER: Final = ("url", "listed_since")
# Codes of the scheme's "legal_status" dimension that make content blockable.
ILLEGAL_STATUSES: Final = frozenset({"illegal_international", "illegal_national"})
FORMATS: Final = ("csv", "json")
# A manifest is a few hundred bytes; anything far larger is not one (read no further).
MANIFEST_MAX_BYTES: Final = 64 * 1024


class UrlListError(Exception):
    """A list or manifest that cannot be verified (the message says why, in one line)."""


@dataclass(frozen=True)
class ListedUrl:
    url: str
    listed_since: datetime


@dataclass(frozen=True)
class IssuedList:
    export: UrlListExport
    body: bytes
    manifest: bytes

    @property
    def filename(self) -> str:
        return f"url-list-v{self.export.version}.{self.export.format}"


@dataclass(frozen=True)
class Verified:
    version: int
    generated_at: str
    url_count: int
    latest_version: int


def confirmed_online_urls() -> list[ListedUrl]:
    """Web addresses of confirmed illegal content whose target is still online, sorted, once."""
    current_status = Subquery(
        Assessment.objects.filter(
            report=OuterRef("report"), current=True, assessed_by__isnull=False
        )
        .annotate(status=KeyTextTransform("legal_status", "values"))
        .values("status")[:1],
        output_field=CharField(),
    )
    targets = (
        Target.objects.filter(state=Target.State.ONLINE, entity__kind=Kind.URL)
        .annotate(legal_status=current_status)
        .filter(legal_status__in=sorted(ILLEGAL_STATUSES))
        .select_related("entity")
    )
    since: dict[str, datetime] = {}
    for target in targets.iterator(chunk_size=500):
        url = entity_value(target.entity)
        listed = target.first_noticed_at or target.created_at
        if url not in since or listed < since[url]:
            since[url] = listed
    return [ListedUrl(url, since[url]) for url in sorted(since)]


def _body(fmt: str, urls: list[ListedUrl], version: int, generated_at: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = SafeWriter(out)
        writer.writerow(CSV_HEADER)
        for item in urls:
            writer.writerow([item.url, _iso(item.listed_since)])
        return out.getvalue().encode()
    document = {
        "format": LIST_FORMAT,
        "version": version,
        "generated_at": generated_at,
        "urls": [{"url": u.url, "listed_since": _iso(u.listed_since)} for u in urls],
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _manifest_statement(
    *, fmt: str, version: int, generated_at: str, count: int, sha: str
) -> bytes:
    body = {
        "format": MANIFEST_FORMAT,
        "list_format": fmt,
        "version": version,
        "generated_at": generated_at,
        "url_count": count,
        "sha256": sha,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _public_key_b64() -> str:
    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def url_list_issue(*, actor: User, fmt: str = "csv") -> IssuedList:
    """Build, version, sign and record a new URL list; audited. Raises PermissionDenied."""
    require(actor, Action.EXPORT_URL_LIST)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt[:20]!r}: choose csv or json")
    urls = confirmed_online_urls()
    for _attempt in range(5):
        now = timezone.now().replace(microsecond=0)
        generated_at = _iso(now)
        try:
            with transaction.atomic():
                last = UrlListExport.objects.aggregate(last=Max("version"))["last"] or 0
                version = last + 1
                body = _body(fmt, urls, version, generated_at)
                sha = hashlib.sha256(body).hexdigest()
                export = UrlListExport.objects.create(
                    version=version,
                    generated_at=now,
                    format=fmt,
                    url_count=len(urls),
                    sha256=sha,
                    exported_by=actor,
                )
                audit_record(
                    actor=actor,
                    action="urllist.export",
                    target_type="url_list",
                    target_id=str(version),
                    # Counts and the file's digest only: never the addresses themselves.
                    details={"format": fmt, "url_count": len(urls), "sha256": sha},
                )
        except IntegrityError:
            continue  # another export took this version number meanwhile: take the next
        break
    else:  # pragma: no cover - five exports racing for the same number
        raise RuntimeError("could not allocate a URL list version; try again")
    statement = _manifest_statement(
        fmt=fmt, version=version, generated_at=generated_at, count=len(urls), sha=sha
    )
    manifest = {
        "statement": json.loads(statement),
        "purpose": PURPOSE,
        "public_key": _public_key_b64(),
        "signature": base64.b64encode(document_sign(statement, purpose=PURPOSE)).decode(),
    }
    manifest_bytes = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    return IssuedList(export=export, body=body, manifest=manifest_bytes)


def url_list_write(issued: IssuedList, out: Path) -> Path:
    """Write the list to `out` and its manifest next to it (`out` + ".sig"); return that path."""
    signature_path = out.with_name(out.name + ".sig")
    out.write_bytes(issued.body)
    signature_path.write_bytes(issued.manifest)
    return signature_path


def _read_manifest(data: bytes) -> tuple[dict[str, Any], bytes]:
    if len(data) > MANIFEST_MAX_BYTES:
        raise UrlListError("the signature file is far too large to be a URL list manifest")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UrlListError("the signature file is not a URL list manifest (not JSON)") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("statement"), dict):
        raise UrlListError("the signature file is not a URL list manifest (no statement)")
    statement = manifest["statement"]
    expected = {"format", "list_format", "version", "generated_at", "url_count", "sha256"}
    if set(statement) != expected or statement.get("format") != MANIFEST_FORMAT:
        raise UrlListError("the signature file is not a URL list manifest of this format")
    version, count = statement["version"], statement["url_count"]
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or not isinstance(count, int)
        or isinstance(count, bool)
        or not all(isinstance(statement[k], str) for k in ("list_format", "generated_at", "sha256"))
    ):
        raise UrlListError("the manifest's fields have the wrong types")
    signature_text = manifest.get("signature")
    if not isinstance(signature_text, str):
        raise UrlListError("the manifest has no signature")
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UrlListError("the manifest's signature is not base64") from exc
    return statement, signature


def url_list_verify(data: bytes, manifest_data: bytes) -> Verified:
    """Check a list file against its manifest and this hotline's key and records.

    Raises UrlListError naming the first problem; returns what the list is otherwise.
    """
    statement, signature = _read_manifest(manifest_data)
    signed = _manifest_statement(
        fmt=statement["list_format"],
        version=statement["version"],
        generated_at=statement["generated_at"],
        count=statement["url_count"],
        sha=statement["sha256"],
    )
    if not document_signature_valid(signed, signature, purpose=PURPOSE):
        raise UrlListError(
            "the manifest's signature is not valid: it was changed, or another key signed it"
        )
    if hashlib.sha256(data).hexdigest() != statement["sha256"]:
        raise UrlListError(
            "the list file differs from the one signed (a changed byte, reordered or "
            "removed lines, or the list of another version)"
        )
    issued = UrlListExport.objects.filter(version=statement["version"]).first()
    if issued is None or issued.sha256 != statement["sha256"]:
        raise UrlListError(
            f"this hotline has no record of issuing version {statement['version']} as signed"
        )
    latest = UrlListExport.objects.aggregate(last=Max("version"))["last"] or issued.version
    return Verified(
        version=issued.version,
        generated_at=statement["generated_at"],
        url_count=statement["url_count"],
        latest_version=latest,
    )


def url_list_exports(*, actor: User) -> list[UrlListExport]:
    """The versions issued, newest first (for the staff page; no addresses)."""
    require(actor, Action.EXPORT_URL_LIST)
    return list(UrlListExport.objects.select_related("exported_by")[:50])
