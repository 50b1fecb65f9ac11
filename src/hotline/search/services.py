"""Write the search index: a report's terms as keyed digests (hotline.search.tokens, .keys).

Called by the report pipeline after intake and after a reporter's reply (hotline.intake.pipeline),
and by `hotline search reindex`. Indexing decrypts one report; searching decrypts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from hotline.audit.services import audit_record
from hotline.intake.models import Message, Report
from hotline.intake.selectors import message_body, report_details
from hotline.search.keys import term_digester
from hotline.search.models import SearchIndexed, SearchTerm
from hotline.search.tokens import document_terms

logger = logging.getLogger(__name__)

# Raise when tokens.py changes what terms a text gives: `hotline search reindex` then redoes
# every report indexed by an older version.
TOKENIZER_VERSION = 1
# The details fields searched. "contact" (how to reach the reporter) is left out: a search would
# reveal it to roles that may not see it (Action.VIEW_CONTACT_DETAILS).
DETAIL_FIELDS = (
    "narrative",
    "links",
    "usernames",
    "phones",
    "payment_accounts",
    "started",
    "amount",
)


def report_texts(report: Report) -> list[str]:
    """Return the decrypted texts of a report that the index covers (callers keep them in memory).

    The details fields above and the reporter's messages; staff messages are staff's own words.
    """
    details = report_details(report)
    texts: list[str] = []
    for field in DETAIL_FIELDS:
        value = details.get(field)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(item for item in value if isinstance(item, str))
    for message in report.messages.filter(author=Message.Author.REPORTER):
        texts.append(message_body(message))
    return texts


@dataclass(frozen=True)
class IndexRead:
    """A report's term digests, and the details ciphertext they were read from."""

    report_id: int
    details_ciphertext: bytes
    digests: frozenset[bytes]


def report_search_read(*, report_id: int) -> IndexRead | None:
    """Decrypt a report and digest its terms, without a lock; None if it no longer exists."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return None
    digest = term_digester()
    return IndexRead(
        report_id=report_id,
        details_ciphertext=bytes(report.details_ciphertext),
        digests=frozenset(digest(term) for term in document_terms(report_texts(report))),
    )


def report_search_store(read: IndexRead) -> bool:
    """Replace a report's terms by `read`'s; return False if the report no longer exists.

    The report row is locked while its terms are replaced, so two workers indexing it at once
    cannot interleave their rows. If its details changed since `read` (the retention purge
    rewrites them), it is read again under the lock: terms of a purged text never go back.
    """
    with transaction.atomic():
        current = (
            Report.objects.select_for_update()
            .filter(pk=read.report_id)
            .values_list("details_ciphertext", flat=True)
            .first()
        )
        if current is None:
            return False
        digests = read.digests
        if bytes(current) != read.details_ciphertext:
            again = report_search_read(report_id=read.report_id)
            digests = again.digests if again is not None else frozenset()
        SearchTerm.objects.filter(report_id=read.report_id).delete()
        SearchTerm.objects.bulk_create(
            SearchTerm(report_id=read.report_id, digest=key) for key in digests
        )
        SearchIndexed.objects.update_or_create(
            report_id=read.report_id,
            defaults={"version": TOKENIZER_VERSION, "indexed_at": timezone.now()},
        )
    return True


def report_search_index(*, report_id: int) -> bool:
    """Replace a report's terms in the index; return False if the report no longer exists.

    Idempotent (a task delivered twice writes the same rows). Decrypts outside the transaction
    (report_search_read), then stores under the report's lock (report_search_store).
    """
    read = report_search_read(report_id=report_id)
    return read is not None and report_search_store(read)


def reports_search_reindex(
    *,
    chunk: int = 500,
    everything: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Index every report not yet indexed by this tokeniser version; return (done, failed).

    Resumable: each report is committed on its own, and a report is done once its SearchIndexed
    row has the current version, so a run stopped half-way goes on where it stopped. With
    `everything`, every report is marked to do first (one UPDATE) and then done again. A report
    that cannot be indexed (a ciphertext that does not open) is logged without content and
    skipped; the run goes on and reports the count.
    """
    if everything:
        SearchIndexed.objects.update(version=0)
    audit_record(actor=None, action="search.reindex", details={"everything": everything})
    done = failed = 0
    last_id = 0
    while True:
        ids = list(
            Report.objects.filter(pk__gt=last_id)
            .exclude(search_indexed__version=TOKENIZER_VERSION)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return done, failed
        for report_id in ids:
            try:
                report_search_index(report_id=report_id)
            except Exception:
                logger.exception("report %s could not be indexed for search", report_id)
                failed += 1
            else:
                done += 1
        last_id = ids[-1]
        if progress is not None:
            progress(done, failed)
