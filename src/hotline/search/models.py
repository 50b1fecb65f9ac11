"""The search index: keyed digests of the terms of each report, never a term in clear.

See docs/decisions/search.md for what the table reveals to someone holding the database but
not the key file.
"""

from __future__ import annotations

from django.db import models


class SearchTerm(models.Model):
    """One term of one report, as its digest (no count, no position: docs/decisions/search.md)."""

    # The primary key is the lookup: every query asks "which reports have this digest?", so
    # (digest, report) in one B-tree answers it from the index alone, and holds each pair once.
    pk = models.CompositePrimaryKey("digest", "report")
    digest = models.BinaryField(max_length=16)  # hotline.search.keys.DIGEST_BYTES
    report = models.ForeignKey(
        "intake.Report", related_name="search_terms", on_delete=models.CASCADE
    )

    def __str__(self) -> str:
        return f"term of report {self.report_id}"


class SearchIndexed(models.Model):
    """That a report's terms are in the index, and by which version of the tokeniser.

    Reports without a row (or with an older version) are what `hotline search reindex` does
    next: a run stopped half-way goes on where it stopped.
    """

    report = models.OneToOneField(
        "intake.Report", primary_key=True, related_name="search_indexed", on_delete=models.CASCADE
    )
    version = models.PositiveSmallIntegerField()
    indexed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"report {self.report_id} indexed (v{self.version})"
