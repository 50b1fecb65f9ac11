"""The background pipeline links reports, matches hashes and explains the raised priority."""

from __future__ import annotations

import pytest

from hotline.hashing.models import BankCategory, HashType
from hotline.hashing.services import bank_create, entry_add
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process

pytestmark = pytest.mark.django_db(transaction=True)

KNOWN_PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def _submit(**fields: object) -> Report:
    data = ReportInput(reporter_role="saw_online", categories=["selling_group"], **fields)  # type: ignore[arg-type]
    return report_submit(data=data, evidence=[]).report


def test_second_report_naming_the_same_group_is_linked_and_raised() -> None:
    first = _submit(links=["https://t.me/demo_market_group"])
    report_process(first.pk)
    second = _submit(narrative="They sell videos in t.me/demo_market_group, pay by Wing")
    report_process(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.priority == first.base_priority
    assert second.priority > second.base_priority
    assert second.priority_reasons == ["linked to 1 earlier report(s)"]


def test_hash_list_match_raises_priority_and_is_idempotent() -> None:
    bank = bank_create(name="partner list", category=BankCategory.CSAM)
    entry_add(bank=bank, hash_type=HashType.PDQ, value=KNOWN_PDQ)
    # One bit flipped: a near-duplicate still matches within the PDQ threshold.
    near = format(int(KNOWN_PDQ, 16) ^ 1, "064x")
    report = _submit(hashes=[("pdq", near, 100)])
    report_process(report.pk)
    report_process(report.pk)  # at-least-once delivery: a second run changes nothing
    report.refresh_from_db()
    assert report.priority == report.base_priority + 60
    assert report.priority_reasons == ["matches 1 entries of known hash lists"]


def test_unrelated_report_keeps_its_base_priority() -> None:
    report = _submit(narrative="nothing to link here")
    report_process(report.pk)
    report.refresh_from_db()
    assert report.priority == report.base_priority
    assert report.priority_reasons == []
