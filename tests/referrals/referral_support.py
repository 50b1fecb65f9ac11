"""Reports, staff, packages and ZIP surgery for the referral tests (generated pictures only)."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment_support import VALUES, picture
from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.assessment.services import assess_report
from hotline.cases.services import report_state_change
from hotline.entities.services import escrow_deposit, report_entities_extract
from hotline.intake.evidence import evidence_prepare
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.referrals.services import ProducedPackage, referral_package_produce

PASSWORD = "a long enough passphrase 42"
KHMER_WORDS = "ខ្ញុំត្រូវបានគេគំរាមកំហែង"
NARRATIVE = f"He wrote to me on Telegram and asked for money. {KHMER_WORDS}"
CONTACT = "Sokha Chanthavy, sokha.reporter@example.org, +855 12 345 678"
# What identifies this reporter and must appear in no byte of a package.
IDENTITY = [
    "Sokha Chanthavy",
    "sokha.reporter@example.org",
    "+855 12 345 678",
    "012345678",
    "secret_reporter_handle",
    "chanthavy-passport",
]


def staff(role: str, name: str | None = None) -> User:
    """The staff account `name` (default: one per role), created on first use."""
    existing = User.objects.filter(username=name or f"{role}-1").first()
    return existing or staff_create(username=name or f"{role}-1", password=PASSWORD, role=role)


@dataclass
class Case:
    report: Report
    receipt: str


def case_full_of_identity(*, pictures: int = 2, keep_original: bool = True) -> Case:
    """A report whose reporter left their name, e-mail and phone everywhere they could."""
    evidence = [
        evidence_prepare(filename=f"chanthavy-passport-{i}.png", data=picture(i))
        for i in range(pictures)
    ]
    submitted = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            platforms=["telegram"],
            usernames=["@offender_channel_x"],
            links=["https://t.me/offender_channel_x"],
            narrative=NARRATIVE + " Write to me at sokha.reporter@example.org please.",
            contact=CONTACT + " 012345678",
            consent_contact=True,
            keep_original_for_police=keep_original,
            help_wanted=["counsellor"],
            language="km",
        ),
        evidence=evidence,
    )
    report = submitted.report
    escrow_deposit(report=report, text="@secret_reporter_handle")
    report_entities_extract(report_id=report.pk)
    analyst = staff("senior_analyst", f"senior-{report.pk}")
    report_state_change(
        actor=analyst, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    report.refresh_from_db()
    return Case(report=report, receipt=submitted.receipt_code)


def produce(
    report: Report, *, liaison: User | None = None, language: str = "en", evidence: bool = True
) -> ProducedPackage:
    return referral_package_produce(
        actor=liaison or staff("liaison", f"liaison-{report.pk}"),
        report=report,
        language=language,
        include_evidence=evidence,
    )


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(
    data: bytes,
    *,
    change: Mapping[str, bytes | None] | None = None,
    add: Mapping[str, bytes] | None = None,
) -> bytes:
    """The package with some files replaced (None: removed) or added: a careful forger's ZIP,
    with correct CRCs, so only the manifest can tell."""
    change = change or {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries(data).items():
            new = change.get(name, body)
            if new is not None:
                archive.writestr(name, new)
        for name, body in (add or {}).items():
            archive.writestr(name, body)
    return out.getvalue()


def flip(body: bytes, at: int | None = None) -> bytes:
    position = len(body) // 2 if at is None else at
    return body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]


def foreign_signature(
    manifest: bytes, purpose: str = "referral-manifest"
) -> tuple[bytes, Ed25519PrivateKey]:
    """A signature of `manifest` in the hotline's document format, by another key."""
    key = Ed25519PrivateKey.generate()
    signed = b"OpenHotline signed document\n" + purpose.encode() + b"\n" + manifest
    return key.sign(signed), key


# --- PDF text --------------------------------------------------------------------------------


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}

    def text(hex_text: str) -> str:
        raw = bytes.fromhex(hex_text)
        return raw.decode("utf-16-be", errors="replace")

    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[int(src, 16)] = text(dst.decode())
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def pdf_text(pdf: bytes) -> str:
    """The text a PDF draws, decoded through each font's ToUnicode map (what a reader's
    copy-and-paste or a search would find), plus its metadata."""
    document = pikepdf.open(io.BytesIO(pdf))
    parts = [str(value) for value in document.docinfo.values()]
    for page in document.pages:
        fonts: dict[str, tuple[dict[int, str], int]] = {}
        for name, font in page.Resources.Font.items():
            to_unicode = font.get("/ToUnicode")
            cmap = _cmap(to_unicode.read_bytes()) if to_unicode is not None else {}
            width = 2 if str(font.get("/Subtype")) == "/Type0" else 1
            fonts[str(name)] = (cmap, width)
        current: tuple[dict[int, str], int] = ({}, 1)
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "Tf":
                current = fonts.get(str(operands[0]), ({}, 1))
            elif op in ("Tj", "TJ", "'", '"'):
                strings = operands[-1] if op != "TJ" else operands[0]
                items = [strings] if op != "TJ" else list(strings)
                cmap, width = current
                for item in items:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        for i in range(0, len(raw) - width + 1, width):
                            code = int.from_bytes(raw[i : i + width], "big")
                            parts.append(cmap.get(code, ""))
                    elif float(item) < -200:
                        parts.append(" ")
            elif op in ("ET", "Td", "TD", "T*"):
                parts.append(" ")
    return "".join(parts)


def every_text(data: bytes) -> str:
    """Every byte of the package and of each file, decompressed, as text, with the PDF's
    drawn text: what someone searching the package could find."""
    chunks = [data.decode("latin-1"), data.decode("utf-8", errors="replace")]
    for name, body in entries(data).items():
        chunks.append(name)
        chunks.append(body.decode("utf-8", errors="replace"))
        chunks.append(body.decode("latin-1"))
        if name.endswith(".pdf"):
            chunks.append(pdf_text(body))
            document = pikepdf.open(io.BytesIO(body))
            for obj in document.objects:
                if isinstance(obj, pikepdf.Stream):
                    with contextlib.suppress(pikepdf.PdfError, zlib.error):
                        chunks.append(obj.read_bytes().decode("latin-1"))
    return "\n".join(chunks)
