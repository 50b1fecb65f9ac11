"""Re-matching earlier reports after a hash list import: RematchJob chunks, not the pipeline."""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import OrmQ

from hotline.audit.models import AuditEvent
from hotline.hashing.index import BruteForceIndex
from hotline.hashing.index.memory import MemoryMihIndex
from hotline.hashing.models import Bank, BankCategory, RematchJob, ReportMatch
from hotline.hashing.rematch import rematch_run
from hotline.hashing.selectors import report_bank_matches
from hotline.hashing.services import bank_create, bank_import, bank_set_enabled
from hotline.hashing.tasks import reports_rematch
from hotline.intake.models import Report
from hotline.intake.tasks import report_process

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, settings: object) -> None:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]


def flip_bits(hex_value: str, n: int, offset: int = 0) -> str:
    value = int(hex_value, 16)
    for bit in range(n):
        value ^= 1 << ((bit + offset) * 7 % 256)
    return f"{value:064x}"


def random_pdq() -> str:
    return secrets.token_hex(32)


def submit(hashes: list[tuple[str, str, int | None]]) -> int:
    from hotline.intake.services import ReportInput, report_submit

    data = ReportInput(reporter_role="myself", categories=["sextortion"], hashes=hashes)
    report_id = report_submit(data=data, evidence=[]).report.pk
    report_process(report_id)  # files its hashes in the victim-submitted bank
    return report_id


def import_list(bank: Bank, rows: list[tuple[str, str]]) -> RematchJob | None:
    text = "".join(f"{value},{kind},planted\n" for kind, value in rows)
    bank_import(bank=bank, text=text, fmt="csv")
    return RematchJob.objects.filter(bank=bank).order_by("-pk").first()


def run_to_end(job: RematchJob) -> int:
    """Run the job one chunk per call, as queued continuations would; return the calls."""
    calls = 0
    while not rematch_run(job_id=job.pk, budget_seconds=0):
        calls += 1
        assert calls < 1000
    return calls + 1


def matches() -> set[tuple[int, str, str, int]]:
    return set(
        ReportMatch.objects.exclude(entry__bank__victim_submitted=True).values_list(
            "report_id", "entry__value", "query_value", "distance"
        )
    )


def test_memory_index_finds_exactly_what_brute_force_finds() -> None:
    rng = np.random.default_rng(7)
    indexed = rng.integers(0, 256, size=(3000, 32), dtype=np.uint8)
    queries = rng.integers(0, 256, size=(400, 32), dtype=np.uint8)
    for i in range(0, 400, 2):  # half the queries near an indexed hash, 0..40 bits away
        row = indexed[i * 7].copy()
        for bit in rng.choice(256, size=int(rng.integers(0, 41)), replace=False):
            row[bit // 8] ^= np.uint8(1 << (bit % 8))
        queries[i] = row
    index = MemoryMihIndex(indexed)
    brute = BruteForceIndex([r.tobytes() for r in indexed])
    for threshold in (0, 10, 31, 40):
        q_at, row_at, dist = index.query_batch(queries, threshold=threshold)
        got = set(zip(q_at.tolist(), row_at.tolist(), dist.tolist(), strict=True))
        expected = set()
        for qi in range(len(queries)):
            d = brute.distances(queries[qi].tobytes())
            expected |= {(qi, int(r), int(d[r])) for r in np.flatnonzero(d <= threshold)}
        assert got == expected, threshold
        assert len(got) == len(q_at)  # each pair once
    assert any(d == 31 for *_, d in got)


def test_planted_matches_are_found_and_nothing_else(settings: object) -> None:
    settings.HOTLINE_REMATCH_CHUNK = 2  # type: ignore[attr-defined]
    near, far, low = random_pdq(), random_pdq(), random_pdq()
    md5 = secrets.token_hex(16)
    sha = secrets.token_hex(32)
    r_near = submit([("pdq", near, 100)])
    r_far = submit([("pdq", far, 100)])
    r_low = submit([("pdq", low, 10)])  # too flat to match (quality < 50)
    r_exact = submit([("md5", md5, None), ("sha256", sha, None)])
    r_none = submit([("pdq", random_pdq(), 100), ("md5", secrets.token_hex(16), None)])
    priorities = dict(Report.objects.values_list("pk", "priority"))

    bank = bank_create(name="arrived later", category=BankCategory.CSAM)
    job = import_list(
        bank,
        [
            ("pdq", flip_bits(near, 31)),  # at the threshold: a match
            ("pdq", flip_bits(far, 32)),  # one bit beyond: none
            ("pdq", flip_bits(low, 3)),
            ("md5", md5),
            ("sha256", sha),
            ("md5", secrets.token_hex(16)),
            *[("pdq", random_pdq()) for _ in range(20)],
        ],
    )
    assert job is not None
    assert job.state == RematchJob.State.QUEUED
    calls = run_to_end(job)

    assert matches() == {
        (r_near, flip_bits(near, 31), near, 31),
        (r_exact, md5, md5, 0),
        (r_exact, sha, sha, 0),
    }
    job.refresh_from_db()
    # Chunks of 2: 3 imported exact entries in 2 chunks, then an empty one that turns to PDQ;
    # 4 reported PDQ hashes in 2 chunks, then the empty one that ends the job.
    assert (job.state, job.exact_total, job.exact_done, job.pdq_imported) == ("done", 3, 3, 23)
    assert (job.pdq_total, job.pdq_scanned, job.matched, job.chunks) == (4, 4, 3, 3 + 3)
    assert calls == job.chunks
    assert job.started_at is not None
    assert job.finished_at is not None
    # Same consequence as the pipeline: the priority rises with a reason, for matched reports.
    for report, count in ((r_near, 1), (r_exact, 2)):
        assert Report.objects.get(pk=report).priority == priorities[report] + 60
        reasons = Report.objects.get(pk=report).priority_reasons
        assert {"signal": "hash_list_match", "weight": 60, "count": count} in reasons
    for report in (r_far, r_low, r_none):
        assert Report.objects.get(pk=report).priority == priorities[report]
    assert [m.entry.label for m in report_bank_matches(report_id=r_near)] == ["planted"]
    actions = list(
        AuditEvent.objects.filter(action__startswith="hashing.rematch").values_list(
            "action", flat=True
        )
    )
    assert actions == ["hashing.rematch_queue", "hashing.rematch_done"]


def test_the_pipeline_and_the_rematch_give_the_same_priority() -> None:
    bank = bank_create(name="known", category=BankCategory.CSAM)
    first, second = random_pdq(), random_pdq()
    before = submit([("pdq", first, 100)])
    job = import_list(bank, [("pdq", flip_bits(first, 4)), ("pdq", flip_bits(second, 4))])
    assert job is not None
    run_to_end(job)
    after = submit([("pdq", second, 100)])  # matched by its own pipeline
    a, b = Report.objects.get(pk=before), Report.objects.get(pk=after)
    assert a.priority - a.base_priority == b.priority - b.base_priority == 60
    assert a.priority_reasons == b.priority_reasons
    assert {"signal": "hash_list_match", "weight": 60, "count": 1} in a.priority_reasons


def test_a_chunk_run_twice_adds_no_duplicate_match() -> None:
    pdq = random_pdq()
    report = submit([("pdq", pdq, 100)])
    bank = bank_create(name="known", category=BankCategory.CSAM)
    job = import_list(bank, [("pdq", flip_bits(pdq, 2)), ("pdq", random_pdq())])
    assert job is not None
    reports_rematch(job.pk)
    job.refresh_from_db()
    assert (job.state, job.matched) == ("done", 1)
    # A second delivery of a chunk whose commit the first could not acknowledge.
    RematchJob.objects.filter(pk=job.pk).update(
        state="running", phase="pdq", cursor=0, finished_at=None
    )
    reports_rematch(job.pk)
    job.refresh_from_db()
    assert (job.state, job.matched) == ("done", 1)
    assert ReportMatch.objects.filter(report_id=report, entry__bank=bank).count() == 1
    reports_rematch(job.pk)  # delivered again after it finished: nothing at all
    assert ReportMatch.objects.filter(report_id=report, entry__bank=bank).count() == 1


def test_an_empty_list_or_a_list_already_present_queues_no_rematch() -> None:
    submit([("pdq", random_pdq(), 100)])
    bank = bank_create(name="empty", category=BankCategory.CSAM)
    queued = OrmQ.objects.count()
    result = bank_import(bank=bank, text="", fmt="csv")
    assert (result.added, result.already_present) == (0, 0)
    value = random_pdq()
    assert import_list(bank, [("pdq", value)]) is not None
    queued_after_one = OrmQ.objects.count()
    assert queued_after_one == queued + 1
    bank_import(bank=bank, text=f"{value},pdq,again\n", fmt="csv")
    assert OrmQ.objects.count() == queued_after_one
    assert RematchJob.objects.filter(bank=bank).count() == 1


def test_an_md5_only_list_does_not_scan_the_reported_pdq_hashes(settings: object) -> None:
    settings.HOTLINE_REMATCH_CHUNK = 1  # type: ignore[attr-defined]
    for _ in range(5):
        submit([("pdq", random_pdq(), 100)])
    md5 = secrets.token_hex(16)
    report = submit([("md5", md5, None)])
    bank = bank_create(name="md5 list", category=BankCategory.CSAM)
    job = import_list(bank, [("md5", md5)])
    assert job is not None
    run_to_end(job)
    job.refresh_from_db()
    assert (job.state, job.pdq_scanned, job.chunks, job.matched) == ("done", 0, 2, 1)
    assert "no PDQ imported" in job.progress
    assert matches() == {(report, md5, md5, 0)}


def test_the_rematch_does_not_rerun_the_pipeline_per_report() -> None:
    """Its work grows with chunks and matches, not with the number of reports."""

    def queries_for(reports: int) -> int:
        for _ in range(reports):
            submit([("pdq", random_pdq(), 100), ("md5", secrets.token_hex(16), None)])
        bank = bank_create(name=f"list {reports}", category=BankCategory.CSAM)
        job = import_list(bank, [("pdq", random_pdq()), ("md5", secrets.token_hex(16))])
        assert job is not None
        with CaptureQueriesContext(connection) as captured:
            reports_rematch(job.pk)
        job.refresh_from_db()
        assert job.state == "done"
        return len(captured)

    few = queries_for(3)
    many = queries_for(40)
    assert many == few
    assert Report.objects.count() == 43


def test_a_disabled_bank_is_skipped_and_enabling_it_rematches_all_entries() -> None:
    pdq, md5 = random_pdq(), secrets.token_hex(16)
    report = submit([("pdq", pdq, 100), ("md5", md5, None)])
    bank = bank_create(name="paused", category=BankCategory.CSAM)
    bank_set_enabled(bank=bank, enabled=False)
    job = import_list(bank, [("pdq", flip_bits(pdq, 5)), ("md5", md5)])
    assert job is not None
    reports_rematch(job.pk)
    job.refresh_from_db()
    assert (job.state, job.matched) == ("skipped", 0)
    assert matches() == set()

    bank_set_enabled(bank=bank, enabled=True)
    again = RematchJob.objects.filter(bank=bank).order_by("-pk").first()
    assert again is not None
    assert (again.pk != job.pk, again.reason) == (True, "enable")
    assert (again.exact_total, again.pdq_imported) == (1, 1)
    reports_rematch(again.pk)
    assert matches() == {(report, md5, md5, 0), (report, flip_bits(pdq, 5), pdq, 5)}
    bank_set_enabled(bank=bank, enabled=True)  # already enabled: nothing queued
    assert RematchJob.objects.filter(bank=bank).count() == 2


def test_hashbank_command_enables_disables_and_shows_rematch_progress() -> None:
    from io import StringIO

    from django.core.management import call_command

    md5 = secrets.token_hex(16)
    submit([("md5", md5, None)])
    bank = bank_create(name="cli list", category=BankCategory.CSAM)
    job = import_list(bank, [("md5", md5), ("pdq", random_pdq())])
    assert job is not None
    out = StringIO()
    call_command("hashbank", "rematches", stdout=out)
    assert f"{job.pk}\tcli list\tqueued\tMD5/SHA-256 0/1 imported hashes joined;" in out.getvalue()
    reports_rematch(job.pk)
    out = StringIO()
    call_command("hashbank", "rematches", stdout=out)
    line = out.getvalue().splitlines()[0]
    assert line.startswith(f"{job.pk}\tcli list\tdone\tMD5/SHA-256 1/1 imported hashes joined;")
    assert "; PDQ 0/0 reported hashes scanned; 1 new matches\tqueued " in line  # MD5 only
    assert ", finished " in line

    call_command("hashbank", "disable", "cli list", stdout=StringIO())
    bank.refresh_from_db()
    assert not bank.enabled
    call_command("hashbank", "enable", "cli list", stdout=StringIO())
    bank.refresh_from_db()
    assert bank.enabled
    assert RematchJob.objects.filter(bank=bank, reason="enable").count() == 1
