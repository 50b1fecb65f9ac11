"""`hotline search reindex`: indexes what is not indexed, goes on where it stopped, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.search.keys import term_digest
from hotline.search.models import SearchIndexed, SearchTerm
from hotline.search.services import TOKENIZER_VERSION, reports_search_reindex

pytestmark = pytest.mark.django_db


def _stored(narrative: str) -> Report:
    data = ReportInput(reporter_role="myself", categories=["other"], narrative=narrative)
    return report_submit(data=data, evidence=[]).report  # stored, not processed: not indexed


def _reindex(*args: str) -> str:
    out = StringIO()
    call_command("search", "reindex", *args, stdout=out)
    return out.getvalue()


def _has(report: Report, word: str) -> bool:
    return SearchTerm.objects.filter(report=report, digest=term_digest(f"w:{word}")).exists()


def test_reindex_indexes_reports_not_yet_indexed_in_chunks() -> None:
    reports = [_stored(f"word{i} shared") for i in range(5)]
    out = _reindex("--chunk", "2")
    assert "indexed 2 reports so far" in out
    assert "indexed 4 reports so far" in out
    assert out.strip().endswith("indexed 5 reports; 0 could not be indexed")
    assert all(_has(r, "shared") for r in reports)
    assert _has(reports[3], "word3")
    assert not _has(reports[3], "word2")
    assert set(SearchIndexed.objects.values_list("version", flat=True)) == {TOKENIZER_VERSION}


def test_a_second_run_goes_on_where_the_first_stopped() -> None:
    first = _stored("alpha")
    reports_search_reindex()
    second = _stored("beta")
    assert _reindex().strip().endswith("indexed 1 reports; 0 could not be indexed")
    assert _has(first, "alpha")
    assert _has(second, "beta")


def test_reindex_all_redoes_every_report_with_the_same_rows() -> None:
    _stored("gamma delta")
    reports_search_reindex()
    before = sorted(SearchTerm.objects.values_list("digest", "report_id"))
    assert _reindex("--all").strip().endswith("indexed 1 reports; 0 could not be indexed")
    assert sorted(SearchTerm.objects.values_list("digest", "report_id")) == before


def test_a_report_that_cannot_be_decrypted_is_counted_and_the_run_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = _stored("one")
    fine = _stored("two")
    Report.objects.filter(pk=broken.pk).update(details_ciphertext=b"not a vault blob")
    with pytest.raises(Exception, match="1 reports could not be indexed"):
        _reindex()
    assert _has(fine, "two")
    assert "could not be indexed" in caplog.text
    assert "one" not in caplog.text.split()


def test_a_bad_chunk_size_is_refused() -> None:
    with pytest.raises(Exception, match="--chunk must be 1 or more"):
        _reindex("--chunk", "0")
