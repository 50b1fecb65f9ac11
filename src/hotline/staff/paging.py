"""Pages of a queryset without counting it: one query of a page and one row more.

Django's Paginator counts every matching row before showing a page. On a queue of 200,000
reports, with a filter or a search that no index fully answers, that count read most of the
table and cost more than the page itself (benchmarks/staff_queue.py). The queue shows only
"Previous" and "Next", which need no count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class Page[M: Model]:
    """One page of rows; what the template's Previous/Next links need."""

    object_list: list[M]
    number: int
    more: bool

    def __iter__(self) -> Iterator[M]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


# Deeper pages cost an OFFSET of that many rows; nobody pages that far through a queue.
MAX_PAGE = 1000


def page_of[M: Model](queryset: QuerySet[M], number: str | None, *, per_page: int) -> Page[M]:
    """Return page `number` (1 if missing or not a number, at most MAX_PAGE) of `queryset`."""
    try:
        wanted = int(number or 1)
    except ValueError:
        wanted = 1
    wanted = min(max(wanted, 1), MAX_PAGE)
    start = (wanted - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(object_list=rows[:per_page], number=wanted, more=len(rows) > per_page)
