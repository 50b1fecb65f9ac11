"""Search reports by the digests of a query's terms: no report is decrypted to answer."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.models import Report
from hotline.search.keys import term_digests
from hotline.search.tokens import query_terms


def reports_matching(reports: QuerySet[Report], digests: list[bytes]) -> QuerySet[Report]:
    """Return those of `reports` that have every digest, the most uses of the terms first.

    One join of the index (its primary key starts with the digest) and a GROUP BY: only rows
    that hold one of the digests are read. Ties keep the queue's order (worst, then oldest).
    """
    wanted = list(dict.fromkeys(digests))
    return (
        reports.filter(search_terms__digest__in=wanted)
        .annotate(
            search_hits=Count("search_terms__digest"), search_score=Sum("search_terms__count")
        )
        .filter(search_hits=len(wanted))
        .order_by("-search_score", "-priority", "created_at", "id")
    )


def reports_search(user: User, reports: QuerySet[Report], query: str) -> QuerySet[Report]:
    """Narrow `reports` to those matching `query`, for a staff member who may read narratives.

    Raises QueryError (hotline.search.tokens) for a query that cannot be searched. The search is
    audited; the query's words are not (they may be a victim's name): only how many terms.
    """
    require(user, Action.VIEW_NARRATIVE)
    terms = query_terms(query)
    audit_record(actor=user, action="report.search", details={"terms": len(terms)})
    return reports_matching(reports, term_digests(terms))
