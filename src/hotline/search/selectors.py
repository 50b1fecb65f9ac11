"""Search reports by the digests of a query's terms: no report is decrypted to answer."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.models import Report
from hotline.search.keys import term_digests
from hotline.search.models import SearchTerm
from hotline.search.tokens import query_terms


def reports_matching(reports: QuerySet[Report], digests: list[bytes]) -> QuerySet[Report]:
    """Return those of `reports` that have every digest, in the order `reports` already has.

    One EXISTS per term, each a probe of the index's primary key (digest, report): PostgreSQL
    walks the queue in its index order and stops at the page's last row when matches are
    common, or starts from a rare term's few rows. No GROUP BY over every match, and no
    relevance score: results keep the queue's order (most urgent first), see
    docs/decisions/search.md.
    """
    for digest in dict.fromkeys(digests):
        reports = reports.filter(
            Exists(SearchTerm.objects.filter(digest=digest, report=OuterRef("pk")))
        )
    return reports


def reports_search(user: User, reports: QuerySet[Report], query: str) -> QuerySet[Report]:
    """Narrow `reports` to those matching `query`, for a staff member who may read narratives.

    Raises QueryError (hotline.search.tokens) for a query that cannot be searched. The search is
    audited; the query's words are not (they may be a victim's name): only how many terms.
    """
    require(user, Action.VIEW_NARRATIVE)
    terms = query_terms(query)
    audit_record(actor=user, action="report.search", details={"terms": len(terms)})
    return reports_matching(reports, term_digests(terms))
