"""The purge reaches what the other apps keep about a report: staff notes and files, notices,
the search index, reveals, cluster labels, the receipt digest's version; it keeps what is
anonymous (classification codes, links between reports, sub-status codes, alerts).

Real database, real encrypted files, the real services of each app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import models
from django.utils import timezone
from retention_support import full_report

from hotline.assessment.models import Assessment, ReportLink
from hotline.cases.models import CaseAttachment, CaseNote, ReporterNotice, SubStatus
from hotline.cases.notes import attachment_add, note_add, sub_status_set
from hotline.cases.notify import reporter_notice_queue
from hotline.entities.models import ReportCluster
from hotline.hashing.models import VideoHashing
from hotline.intake.models import EvidenceFile, Report
from hotline.retention import coverage
from hotline.retention.services import retention_purge
from hotline.search.keys import term_digests
from hotline.search.models import SearchIndexed, SearchTerm
from hotline.search.selectors import reports_matching
from hotline.search.services import report_search_index, report_search_read, report_search_store
from hotline.search.tokens import query_terms
from hotline.viewing.models import EvidenceReveal
from hotline.viewing.services import evidence_reveal
from staff_login import make_staff

pytestmark = pytest.mark.django_db

NOTE = "Police officer Dara called: the mother's number is 012 345 678."
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _expired_report() -> Report:
    return full_report(state="no_action", days_ago=91).report


def test_staff_notes_of_a_purged_report_are_deleted() -> None:
    analyst = make_staff().user
    report = _expired_report()
    note_add(actor=analyst, report=report, body=NOTE)

    assert retention_purge().purged == [report.pk]

    assert not CaseNote.objects.filter(report=report).exists()


def test_staff_attachments_of_a_purged_report_are_deleted_with_their_encrypted_files() -> None:
    analyst = make_staff().user
    report = _expired_report()
    record = attachment_add(actor=analyst, report=report, filename="police-letter.pdf", data=PDF)
    path = Path(settings.UPLOAD_DIR) / record.stored_name
    assert path.exists()

    retention_purge()

    assert not CaseAttachment.objects.filter(report=report).exists()
    assert not path.exists()


def test_reporter_notices_of_a_purged_report_are_deleted() -> None:
    report = _expired_report()
    assert report.consent_contact
    reporter_notice_queue(report=report, event_key=f"state:{report.pk}:1")
    assert ReporterNotice.objects.filter(report=report).exists()

    retention_purge()

    assert not ReporterNotice.objects.filter(report=report).exists()


def test_a_purged_report_leaves_no_term_in_the_search_index_and_is_not_found() -> None:
    report = _expired_report()
    report_search_index(report_id=report.pk)
    digests = term_digests(query_terms("Sreymom"))
    assert list(reports_matching(Report.objects.all(), digests)) == [report]

    retention_purge()

    assert not SearchTerm.objects.filter(report=report).exists()
    assert list(reports_matching(Report.objects.all(), digests)) == []
    # Indexing it again (a task queued before the purge) finds nothing to index.
    report_search_index(report_id=report.pk)
    assert not SearchTerm.objects.filter(report=report).exists()
    assert SearchIndexed.objects.filter(report=report).exists()


def test_the_receipt_digest_version_goes_with_the_receipt_digest() -> None:
    report = _expired_report()
    Report.objects.filter(pk=report.pk).update(receipt_digest_version=3)

    retention_purge()

    after = Report.objects.get(pk=report.pk)
    # As a partner report, which never had a digest: NULL digest, the column's default.
    assert (after.receipt_digest, after.receipt_digest_version) == (None, 1)


def test_reveal_records_and_video_hashing_rows_of_the_purged_evidence_are_deleted() -> None:
    analyst = make_staff().user
    report = _expired_report()
    evidence = EvidenceFile.objects.get(report=report)
    evidence_reveal(user=analyst, evidence=evidence)
    VideoHashing.objects.create(evidence=evidence, outcome="hashed")

    retention_purge()

    assert not EvidenceReveal.objects.filter(evidence__report=report).exists()
    assert not EvidenceReveal.objects.exists()
    assert not VideoHashing.objects.exists()


def test_the_cluster_label_of_a_purged_report_is_deleted() -> None:
    report = _expired_report()
    ReportCluster.objects.create(report=report, label=report.pk, computed_at=timezone.now())

    retention_purge()

    assert not ReportCluster.objects.filter(report=report).exists()


def test_classification_codes_links_and_sub_status_codes_are_kept() -> None:
    analyst = make_staff().user
    primary = full_report(state="in_review").report
    report = full_report(state="duplicate", days_ago=91).report
    Assessment.objects.create(
        report=report,
        version=1,
        values={"category": "sextortion"},
        assessed_by=analyst,
        assessed_at=timezone.now(),
    )
    ReportLink.objects.create(
        report=report,
        primary=primary,
        kind="duplicate",
        linked_by=analyst,
        linked_at=timezone.now(),
    )
    sub_status_set(actor=analyst, report=report, code=_a_sub_status())

    assert retention_purge().purged == [report.pk]

    assert Assessment.objects.get(report=report).values == {"category": "sextortion"}
    assert ReportLink.objects.get(report=report).primary == primary
    assert SubStatus.objects.filter(report=report).exists()


def _a_sub_status() -> str:
    from hotline.cases.lists import sub_statuses

    return next(iter(sub_statuses()))


def _relations(model: type[models.Model]) -> set[str]:
    """Return every model pointing at `model`, hidden relations (related_name="+") included.

    `_meta.related_objects` leaves hidden relations out, and ReporterNotice, VictimSubmission
    and ReportCluster are hidden: it would have missed them.
    """
    return {
        field.related_model._meta.label_lower
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created
        and not field.concrete
        and field.is_relation
        and field.related_model is not None
    }


@pytest.mark.parametrize("model", [Report, EvidenceFile])
def test_every_model_pointing_at_a_report_or_its_evidence_is_purged_or_listed_as_kept(
    model: type[models.Model],
) -> None:
    decided = set(coverage.PURGED) | set(coverage.KEPT)
    undecided = _relations(model) - decided
    assert not undecided, (
        f"{sorted(undecided)} point at {model._meta.label}: purge them in "
        "hotline.retention.services or list them in hotline.retention.coverage.KEPT (why)"
    )


def test_the_coverage_lists_name_only_models_that_exist_and_none_twice() -> None:
    existing = _relations(Report) | _relations(EvidenceFile)
    assert not (set(coverage.PURGED) & set(coverage.KEPT))
    assert set(coverage.PURGED) | set(coverage.KEPT) <= existing


def test_every_column_of_a_report_is_cleared_or_listed_as_kept() -> None:
    columns = {f.name for f in Report._meta.concrete_fields}
    assert not (set(coverage.REPORT_CLEARED) & set(coverage.REPORT_KEPT))
    assert columns == set(coverage.REPORT_CLEARED) | set(coverage.REPORT_KEPT), (
        "a new Report column: clear it in report_purge or list it in coverage.REPORT_KEPT"
    )


def test_a_purge_sets_every_cleared_column_to_its_cleared_value() -> None:
    report = _expired_report()
    Report.objects.filter(pk=report.pk).update(
        partner_reference="case-9", priority_reasons=["hash list match"]
    )
    retention_purge()
    after = Report.objects.get(pk=report.pk)
    for name, cleared in coverage.REPORT_CLEARED.items():
        if name == "details_ciphertext":
            continue  # an encrypted empty record: tests/retention/test_purge.py decrypts it
        value = getattr(after, name)
        assert (bytes(value) if isinstance(value, memoryview) else value) == cleared, name


def test_an_index_read_before_the_purge_and_stored_after_it_puts_no_purged_word_back() -> None:
    # The indexer decrypts outside its transaction (hotline.search.services): a purge may
    # commit between its read and its write.
    report = _expired_report()
    read = report_search_read(report_id=report.pk)
    assert read is not None
    assert read.digests

    retention_purge()
    assert report_search_store(read) is True

    assert not SearchTerm.objects.filter(report=report).exists()
    digests = term_digests(query_terms("Sreymom"))
    assert list(reports_matching(Report.objects.all(), digests)) == []


def test_a_purged_reports_notices_stay_as_records_with_their_text_and_answer_emptied() -> None:
    from hotline.takedown.models import Notice
    from hotline.vault import services as vault

    report = _expired_report()
    notice = Notice(
        report=report,
        kind=Notice.Kind.TAKEDOWN,
        channel="email",
        recipient="abuse@host.example",
        state=Notice.State.SENT,
        subject="Notice OH-1",
        created_at=timezone.now(),
        sent_at=timezone.now(),
        ticket="T-42",
        answered_at=timezone.now(),
    )
    notice.body_ciphertext = vault.encrypt_text(
        "Please remove https://files.example/abc", context=notice.body_context
    )
    notice.answer_ciphertext = vault.encrypt_text("Removed abc", context=notice.answer_context)
    notice.save()

    retention_purge()

    kept = Notice.objects.get(pk=notice.pk)
    assert (kept.state, kept.ticket, kept.recipient) == ("sent", "T-42", "abuse@host.example")
    assert vault.decrypt_text(bytes(kept.body_ciphertext), context=kept.body_context) == ""
    assert kept.answer_ciphertext is None
