"""Background matching of reports' hashes: victim-submitted bank, bank matches, linked reports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django_q.models import OrmQ
from PIL import Image, ImageDraw

from hotline.hashing.hashers import hash_image_bytes
from hotline.hashing.models import (
    Bank,
    BankCategory,
    BankEntry,
    HashType,
    RematchJob,
    ReportMatch,
)
from hotline.hashing.reports import report_hashes_match
from hotline.hashing.selectors import linked_report_ids, report_bank_matches
from hotline.hashing.services import bank_create, bank_import, entry_add, victim_bank
from hotline.hashing.tasks import reports_rematch
from hotline.intake.evidence import evidence_prepare
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d35c785545392755e7e4164457657269"


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, settings: object) -> None:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]


def flip_bits(hex_value: str, n: int, offset: int = 0) -> str:
    value = int(hex_value, 16)
    for bit in range(n):
        value ^= 1 << ((bit + offset) * 7 % 256)
    return f"{value:064x}"


def submit(hashes: list[tuple[str, str, int | None]], evidence: tuple[bytes, ...] = ()) -> int:
    data = ReportInput(reporter_role="myself", categories=["sextortion"], hashes=hashes)
    prepared = [evidence_prepare(filename=f"photo{i}.png", data=d) for i, d in enumerate(evidence)]
    return report_submit(data=data, evidence=prepared).report.pk


@pytest.fixture
def known() -> Bank:
    bank = bank_create(name="known", category=BankCategory.CSAM)
    entry_add(bank=bank, hash_type=HashType.PDQ, value=flip_bits(PDQ, 10), label="known image")
    return bank


def test_report_hashes_go_to_victim_bank_and_match_lists(known: Bank) -> None:
    report = submit([("pdq", PDQ, 100), ("md5", MD5, None)])
    outcome = report_hashes_match(report)
    assert (outcome.new_matches, outcome.bank_matches, outcome.linked_reports) == (1, 1, ())
    victim = victim_bank()
    assert sorted(victim.entries.values_list("hash_type", "value", "added_via")) == [
        ("md5", MD5, f"report:{report}"),
        ("pdq", PDQ, f"report:{report}"),
    ]
    assert [(m.entry.label, m.distance) for m in report_bank_matches(report_id=report)] == [
        ("known image", 10)
    ]
    again = report_hashes_match(report)  # at-least-once delivery
    assert (again.new_matches, again.bank_matches) == (0, 1)
    assert ReportMatch.objects.count() == 1
    assert BankEntry.objects.filter(bank=victim).count() == 2


def test_near_identical_reports_are_linked(known: Bank) -> None:
    first = submit([("pdq", PDQ, 100)])
    report_hashes_match(first)
    unrelated = submit([("pdq", flip_bits(PDQ, 100, offset=3), 100)])
    report_hashes_match(unrelated)
    second = submit([("pdq", flip_bits(PDQ, 5, offset=40), 90)])
    outcome = report_hashes_match(second)
    assert outcome.linked_reports == (first,)
    assert linked_report_ids(report_id=second) == [first]
    assert linked_report_ids(report_id=first) == [second]
    assert linked_report_ids(report_id=unrelated) == []


def test_low_quality_pdq_is_filed_but_not_matched(known: Bank) -> None:
    report = submit([("pdq", PDQ, 10)])
    assert report_hashes_match(report).bank_matches == 0
    assert victim_bank().entries.filter(value=PDQ).exists()


def test_uploaded_evidence_is_matched(tmp_path: Path) -> None:
    image = Image.new("RGB", (320, 240), (20, 120, 200))
    ImageDraw.Draw(image).ellipse((40, 30, 250, 200), fill=(240, 200, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    hashes = hash_image_bytes(buffer.getvalue())
    bank = bank_create(name="exact", category=BankCategory.NCII)
    entry_add(bank=bank, hash_type=HashType.SHA256, value=hashes.sha256)
    report = submit([], evidence=(buffer.getvalue(),))
    outcome = report_hashes_match(report)
    assert outcome.bank_matches == 1
    assert ReportMatch.objects.get(report_id=report).hash_type == HashType.SHA256
    filed = set(victim_bank().entries.values_list("hash_type", flat=True))
    assert filed == {"md5", "sha256", "pdq"}


def test_an_imported_list_is_matched_against_earlier_reports() -> None:
    report = submit([("md5", MD5, None)])
    report_hashes_match(report)
    bank = bank_create(name="arrived later", category=BankCategory.CSAM)
    queued = OrmQ.objects.count()
    bank_import(bank=bank, text=f"{MD5},md5,later\n", fmt="csv")
    assert OrmQ.objects.count() == queued + 1  # reports_rematch queued with the import
    before = Report.objects.get(pk=report).priority
    (job,) = RematchJob.objects.filter(bank=bank)
    reports_rematch(job.pk)
    assert [m.entry.label for m in report_bank_matches(report_id=report)] == ["later"]
    assert Report.objects.get(pk=report).priority == before + 60  # the match raised it


def test_missing_report() -> None:
    assert report_hashes_match(999_999).new_matches == 0
