"""The package's archive format: writing it, and checking one that came back (no database).

A package is a ZIP holding report.pdf, report.json, public-key.pem, evidence/* (if asked for),
manifest.json (every other file's SHA-256 and size, the package id, case reference, creation
time and label) and manifest.sig (the hotline's Ed25519 signature of manifest.json's bytes,
purpose "referral-manifest"). docs/decisions/referral-packages.md describes it.

Reading is for hostile input: nothing is extracted to disk, names are checked before any
content is read, every entry is read with a byte cap (a ZIP's declared sizes can lie), and
the number of entries and the whole size are capped, so a zip bomb or a ../ name fails with a
message instead of filling a disk or a memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.audit.checkpoints import document_signature_valid

MANIFEST_FORMAT = "openhotline-referral-manifest-1"
SIGNATURE_PURPOSE = "referral-manifest"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
UNSIGNED = frozenset({MANIFEST, SIGNATURE})

# Limits for reading a package someone hands us (a package we make stays far below them:
# evidence uploads are capped at intake).
MAX_ENTRIES = 2_000
MAX_ENTRY_BYTES = 1 << 30  # 1 GiB
MAX_TOTAL_BYTES = 4 << 30  # 4 GiB
MAX_MANIFEST_BYTES = 4 << 20
SIGNATURE_BYTES = 64

# One path segment, or evidence/ and one segment: no "..", no absolute path, no backslash,
# no directory entries, no control characters.
_SAFE_NAME = re.compile(r"^(?:evidence/)?[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_CHUNK = 1 << 20


class PackageRejected(Exception):
    """The file is a readable ZIP but not an intact package from the trusted key."""


class PackageUnreadable(Exception):
    """The file is not a package at all (not a ZIP, truncated, unreadable, not found)."""


def file_label(*, case_reference: str, created_at: str, package_id: str) -> str:
    """The label a package's file name carries: case, day of creation (UTC) and package id."""
    day = created_at[:10].replace("-", "")
    return f"referral-{case_reference}-{day}-{package_id}"


def safe_name(name: str) -> bool:
    """Whether `name` is a file name a package may hold (see _SAFE_NAME)."""
    return bool(_SAFE_NAME.fullmatch(name)) and ".." not in name


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON document that is hashed and signed."""
    return (
        json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), indent=None)
        + "\n"
    ).encode()


@dataclass
class PackageWriter:
    """Builds the ZIP in memory, hashing each file as it is added."""

    buffer: io.BytesIO = field(default_factory=io.BytesIO)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._zip = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: bytes, *, compress: bool = True) -> None:
        if not safe_name(name) or name in UNSIGNED:
            raise ValueError(f"not a package file name: {name!r}")
        if any(entry["name"] == name for entry in self.entries):
            raise ValueError(f"two files named {name!r}")
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        self._zip.writestr(info, data)
        self.entries.append(
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        )

    def finish(self, *, header: dict[str, Any], sign: Any) -> tuple[bytes, bytes]:
        """Write manifest.json and manifest.sig; return (the ZIP's bytes, the manifest's)."""
        manifest = canonical_json(
            {
                **header,
                "format": MANIFEST_FORMAT,
                "files": sorted(self.entries, key=lambda entry: entry["name"]),
            }
        )
        for name, data in ((MANIFEST, manifest), (SIGNATURE, sign(manifest))):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            self._zip.writestr(info, data)
        self._zip.close()
        return self.buffer.getvalue(), manifest


@dataclass(frozen=True)
class CheckedPackage:
    """A package whose files all match its manifest and whose manifest the key signed."""

    manifest: dict[str, Any]
    manifest_sha256: str
    label: str


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM text; PackageUnreadable if it is not one."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise PackageUnreadable("the key file is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise PackageUnreadable("the key file is not an Ed25519 public key")
    return key


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Iterable[bytes]:
    read = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            read += len(chunk)
            if read > cap:
                raise PackageRejected(f"{info.filename} is larger than {cap} bytes: not read")
            yield chunk


def package_check(source: Path | IO[bytes], *, key: Ed25519PublicKey | None) -> CheckedPackage:
    """Check a package: names, signature, every file's hash and size, nothing added or missing.

    `key` is the trusted verification key (None: this install's). The public key inside the
    package is never trusted. Raises PackageUnreadable or PackageRejected with the reason.
    """
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError as exc:
        raise PackageUnreadable(f"no file {exc.filename}") from exc
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageUnreadable(f"not a ZIP archive, or a truncated one ({exc})") from exc
    with archive:
        try:
            return _check_open(archive, key)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            # A damaged entry (CRC error, truncated data, unknown compression, encrypted).
            raise PackageRejected(f"the archive is damaged: {exc}") from exc
        except RuntimeError as exc:  # an encrypted entry asks for a password
            raise PackageRejected(f"the archive cannot be read: {exc}") from exc


def _check_open(archive: zipfile.ZipFile, key: Ed25519PublicKey | None) -> CheckedPackage:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise PackageRejected(f"the archive holds {len(infos)} entries (at most {MAX_ENTRIES})")
    seen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not safe_name(info.filename):
            raise PackageRejected(
                f"the archive holds a file name a package never has: {info.filename[:100]!r}"
            )
        if info.filename in seen:
            raise PackageRejected(f"the archive holds two files named {info.filename!r}")
        seen[info.filename] = info
    for name in (MANIFEST, SIGNATURE):
        if name not in seen:
            raise PackageRejected(f"the archive has no {name}: not a referral package")
    manifest_bytes = b"".join(_read_capped(archive, seen[MANIFEST], MAX_MANIFEST_BYTES))
    signature = b"".join(_read_capped(archive, seen[SIGNATURE], SIGNATURE_BYTES))
    if not document_signature_valid(manifest_bytes, signature, purpose=SIGNATURE_PURPOSE, key=key):
        raise PackageRejected(
            "the manifest's signature is not valid for the trusted key: the manifest was "
            "edited, or another key signed it"
        )
    manifest = _manifest_parse(manifest_bytes)
    listed = {entry["name"]: entry for entry in manifest["files"]}
    present = set(seen) - UNSIGNED
    if added := sorted(present - set(listed)):
        raise PackageRejected(f"files not in the manifest were added: {', '.join(added)[:300]}")
    if missing := sorted(set(listed) - present):
        raise PackageRejected(f"files in the manifest are missing: {', '.join(missing)[:300]}")
    total = 0
    for name, entry in sorted(listed.items()):
        digest = hashlib.sha256()
        size = 0
        cap = min(int(entry["size"]), MAX_ENTRY_BYTES)
        for chunk in _read_capped(archive, seen[name], cap):
            digest.update(chunk)
            size += len(chunk)
        total += size
        if total > MAX_TOTAL_BYTES:
            raise PackageRejected(f"the files add up to more than {MAX_TOTAL_BYTES} bytes")
        if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
            raise PackageRejected(f"{name} differs from the manifest: it was altered")
    return CheckedPackage(
        manifest=manifest,
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        label=file_label(
            case_reference=manifest["case_reference"],
            created_at=manifest["created_at"],
            package_id=manifest["package_id"],
        ),
    )


def _manifest_parse(data: bytes) -> dict[str, Any]:
    """Parse a signed manifest; its shape is checked even though our key signed it."""
    try:
        manifest = json.loads(data)
        files = manifest["files"]
        ok = (
            manifest.get("format") == MANIFEST_FORMAT
            and all(
                isinstance(manifest.get(k), str)
                for k in ("package_id", "case_reference", "created_at")
            )
            and isinstance(files, list)
            and all(
                isinstance(e, dict)
                and isinstance(e.get("name"), str)
                and safe_name(e["name"])
                and e["name"] not in UNSIGNED
                and isinstance(e.get("sha256"), str)
                and isinstance(e.get("size"), int)
                and e["size"] >= 0
                for e in files
            )
            and len({e["name"] for e in files}) == len(files)
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise PackageRejected("the manifest is not a referral manifest") from exc
    if not ok:
        raise PackageRejected("the manifest is not a referral manifest")
    return dict(manifest)
