"""Search reports by the digests of a query's terms: no report is decrypted to answer."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.models import Report
from hotline.search.keys import term_digests
from hotline.search.models import SearchTerm
from hotline.search.tokens import query_terms

# A term found in more reports than this is "common" (1 in 40 of 200,000 reports).
COMMON_TERM_REPORTS = 5_000


def _reports_with(digest: bytes, *, limit: int) -> int:
    """Count the reports holding `digest`, up to `limit` (an index-only scan of at most that)."""
    return SearchTerm.objects.filter(digest=digest)[:limit].count()


def reports_matching(reports: QuerySet[Report], digests: list[bytes]) -> QuerySet[Report]:
    """Return those of `reports` that have every digest, in the order `reports` already has.

    The query shape depends on how common the terms are, because PostgreSQL cannot know: the
    trigrams of one Khmer word always come together, and the planner, multiplying their
    frequencies as if independent, expected 1,400 reports where there were 41,000.
    - A rare term (at most COMMON_TERM_REPORTS reports): the reports are fetched from its few
      index rows (a semi-join), the other terms checked with EXISTS probes, then sorted.
    - Only common terms: the queue is read in its own index order and each report checked
      with one correlated count of its matching terms (a probe per term of the primary key
      (digest, report)); PostgreSQL stops at the page's last row.
    No relevance score: results keep the queue's order (docs/decisions/search.md).
    """
    wanted = list(dict.fromkeys(digests))
    counts = {digest: _reports_with(digest, limit=COMMON_TERM_REPORTS + 1) for digest in wanted}
    rarest = min(wanted, key=counts.__getitem__)
    if counts[rarest] <= COMMON_TERM_REPORTS:
        reports = reports.filter(
            pk__in=SearchTerm.objects.filter(digest=rarest).values("report_id")
        )
        for digest in wanted:
            if digest != rarest:
                reports = reports.filter(
                    Exists(SearchTerm.objects.filter(digest=digest, report=OuterRef("pk")))
                )
        return reports
    hits = (
        SearchTerm.objects.filter(report=OuterRef("pk"), digest__in=wanted)
        .order_by()
        .values("report")
        .annotate(n=Count("digest"))
        .values("n")
    )
    return reports.alias(search_hits=Subquery(hits)).filter(search_hits=len(wanted))


def reports_search(user: User, reports: QuerySet[Report], query: str) -> QuerySet[Report]:
    """Narrow `reports` to those matching `query`, for a staff member who may read narratives.

    Raises QueryError (hotline.search.tokens) for a query that cannot be searched. The search is
    audited; the query's words are not (they may be a victim's name): only how many terms.
    """
    require(user, Action.VIEW_NARRATIVE)
    terms = query_terms(query)
    audit_record(actor=user, action="report.search", details={"terms": len(terms)})
    return reports_matching(reports, term_digests(terms))
