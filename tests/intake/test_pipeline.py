"""The background pipeline links reports, matches hashes and explains the raised priority."""

from __future__ import annotations

import pytest
from reporter_support import browser_post, form_token

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
    assert {"signal": "linked_reports", "weight": 5, "count": 1} in second.priority_reasons


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
    assert {"signal": "hash_list_match", "weight": 60, "count": 1} in report.priority_reasons


def test_unrelated_report_keeps_its_base_priority() -> None:
    report = _submit(narrative="nothing to link here")
    report_process(report.pk)
    report.refresh_from_db()
    assert report.priority == report.base_priority
    # Only the reporter's answers count: nothing found in the background.
    assert [reason["signal"] for reason in report.priority_reasons] == ["category"]


def test_new_reports_wait_in_their_own_rows_until_a_worker_poll_queues_them() -> None:
    from django.test import Client
    from django_q.models import OrmQ

    from hotline.intake.services import reports_pipeline_dispatch

    client = Client()
    answer = browser_post(
        client,
        "/report/",
        {
            "submission_token": form_token(client),
            "reporter_role": "myself",
            "categories": ["sextortion"],
        },
    )
    assert answer.status_code == 200
    report = Report.objects.get()
    # The request wrote the report and nothing else: no task on the queue.
    assert report.pipeline_queued is False
    assert OrmQ.objects.count() == 0

    assert reports_pipeline_dispatch() == 1
    (task,) = [row.task for row in OrmQ.objects.all()]
    assert task["args"][:2] == ("hotline.intake.tasks.report_process_many", [report.pk])
    report.refresh_from_db()
    assert report.pipeline_queued is True
    assert reports_pipeline_dispatch() == 0  # queued once only
    assert OrmQ.objects.count() == 1


def test_more_evidence_marks_the_report_for_processing_again() -> None:
    from hotline.intake.services import report_add_information, reports_pipeline_dispatch

    report = _submit()
    assert reports_pipeline_dispatch() == 1
    report_add_information(report=report, text="", evidence=[], hashes=[("pdq", KNOWN_PDQ, 90)])
    report.refresh_from_db()
    assert report.pipeline_queued is False
    assert reports_pipeline_dispatch() == 1
    # A message alone is processed again too: its words go into the search index.
    report_add_information(report=report, text="One more thing.", evidence=[], hashes=[])
    assert reports_pipeline_dispatch() == 1


def test_outbox_drains_at_most_once_per_interval_and_survives_a_failing_drain(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import DatabaseError

    from hotline.tasks import outbox

    monkeypatch.setattr(outbox, "_last_drain", -float("inf"))
    _submit()
    assert outbox.outbox_drain(min_interval=60) == 1
    _submit()
    assert outbox.outbox_drain(min_interval=60) == 0  # too soon: the next poll takes it
    assert outbox.outbox_drain(min_interval=0) == 1

    def failing() -> int:
        raise DatabaseError("database away")

    monkeypatch.setattr("hotline.intake.services.reports_pipeline_dispatch", failing)
    _submit()
    assert outbox.outbox_drain() == 0
    assert "retrying at the next poll" in caplog.text
    assert Report.objects.filter(pipeline_queued=False).count() == 1


def test_fast_report_insert_stores_exactly_what_the_orm_would() -> None:
    import uuid
    from datetime import UTC, datetime

    from hotline.intake.services import _report_insert

    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)

    def report(unique: str) -> Report:
        return Report(
            public_id=uuid.uuid4(),
            receipt_digest=unique.encode() * 32,
            created_at=moment,
            updated_at=moment,
            language="en",
            reporter_role="someone_i_know",
            victim_age="13_15",
            categories=["sextortion", "grooming"],
            platforms=["telegram", "facebook"],
            payment_methods=["wing"],
            money="paid",
            in_danger=True,
            help_wanted=["counsellor", "legal"],
            consent_contact=True,
            keep_original_for_police=True,
            details_ciphertext=b"\x00\xff\x10 ciphertext",
            priority=105,
            base_priority=100,
            priority_reasons=["linked to 2 earlier report(s)", "ខ្មែរ"],
            submission_digest=unique * 64,
            replay_ciphertext=b"\x01\x02\x00",
        )

    by_orm = report("a")
    by_orm.save()
    fast = report("b")
    _report_insert(fast)
    assert fast.pk is not None
    assert fast.pk != by_orm.pk
    assert not fast._state.adding

    different = {"id", "public_id", "receipt_digest", "submission_digest"}
    names = [f.attname for f in Report._meta.concrete_fields if f.attname not in different]
    stored_orm = Report.objects.filter(pk=by_orm.pk).values(*names).get()
    stored_fast = Report.objects.filter(pk=fast.pk).values(*names).get()
    assert stored_fast == stored_orm
    reloaded = Report.objects.get(pk=fast.pk)
    assert reloaded.public_id == fast.public_id
    assert bytes(reloaded.receipt_digest) == b"b" * 32
    assert reloaded.created_at == moment
    assert reloaded.pipeline_queued is False
