"""Nothing published about a quarter lets a reader work out a hidden count.

The attacker is independent of the code under test (no flow network): it takes everything one
quarter publishes (the total; every table, each adding up to the total, "<N" meaning 1 to N-1,
"*" meaning N or more; the assessed / actioned / removed figures) and lists, by dynamic
programming over the other hidden cells of the table, every value each hidden cell can take.
A hidden cell with a single possible value is recovered: the test fails. The tables share only
the total, so a table's possibilities do not depend on the others once the total is known;
when the total itself is hidden, nothing else is published (checked too).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.statistics.public import (
    TABLES,
    QuarterCounts,
    derived_outcomes,
    quarter_figures,
)


def possible_values(cells: list[dict[str, Any]], total: int, threshold: int) -> list[set[int]]:
    known = sum(c["value"] for c in cells if c["value"] is not None)
    hidden = [c for c in cells if c["value"] is None]
    remainder = total - known
    domains = [
        range(1, threshold) if c["shown"] == "small" else range(threshold, remainder + 1)
        for c in hidden
    ]
    found: list[set[int]] = []
    for index, domain in enumerate(domains):
        # Sums the other hidden cells can make together.
        sums = {0}
        for other, other_domain in enumerate(domains):
            if other != index:
                sums = {s + v for s in sums for v in other_domain if s + v <= remainder}
        found.append({v for v in domain if remainder - v in sums})
    return found


def counts_from(reports: list[tuple[str, str, str, str]]) -> QuarterCounts:
    counts = QuarterCounts(total=len(reports))
    for report in reports:
        for name, code in zip(TABLES, report, strict=True):
            counts.tables[name][code] += 1
    return counts


def _codes(name: str, few: int) -> st.SearchStrategy[str]:
    # A few codes per table, so that small cells are common.
    return st.sampled_from(list(TABLES[name][1])[:few])


reports = st.lists(
    st.tuples(_codes("type", 4), _codes("platform", 3), _codes("age", 5), _codes("outcome", 5)),
    max_size=40,
)


def assert_nothing_recoverable(figures: dict[str, Any], counts: QuarterCounts) -> None:
    threshold = figures["threshold"]
    total = figures["total"]
    if total["value"] is None:
        # Fewer than threshold reports: the total is "<N" and nothing else is published.
        assert 0 < counts.total < threshold
        assert figures["tables"] is None
        assert all(v is None for v in derived_outcomes(figures).values())
        return
    assert total["value"] == counts.total
    for name, cells in figures["tables"].items():
        if cells is None:
            continue
        true = counts.tables[name]
        for cell in cells:
            value = true[cell["code"]]
            if cell["value"] is not None:
                assert cell["value"] == value
            elif cell["shown"] == "small":
                assert 0 < value < threshold
                assert cell["text"] == f"<{threshold}"
            else:
                assert value >= threshold
                assert cell["text"] == "*"
        hidden = [c for c in cells if c["value"] is None]
        for cell, values in zip(
            hidden, possible_values(cells, total["value"], threshold), strict=True
        ):
            assert true[cell["code"]] in values
            assert len(values) > 1, (name, cell, values)
    derived = derived_outcomes(figures)
    outcome = figures["tables"]["outcome"]
    if outcome is not None:
        hidden = {c["code"] for c in outcome if c["value"] is None}
        parts = {
            "assessed": {"closed", "pending", "actioned", "removed"},
            "actioned": {"actioned", "removed"},
            "removed": {"removed"},
        }
        for key, codes in parts.items():
            # A derived figure is shown only when it is a sum of published cells.
            assert (derived[key] is None) == bool(codes & hidden)


@settings(max_examples=400, deadline=None)
@given(reports=reports, threshold=st.sampled_from([3, 5]))
def test_no_hidden_count_can_be_worked_out_from_what_a_quarter_publishes(
    reports: list[tuple[str, str, str, str]], threshold: int
) -> None:
    counts = counts_from(reports)
    assert_nothing_recoverable(quarter_figures(counts, threshold), counts)


@settings(max_examples=200, deadline=None)
@given(reports=reports)
def test_no_number_from_1_to_threshold_minus_1_is_ever_shown(
    reports: list[tuple[str, str, str, str]],
) -> None:
    figures = quarter_figures(counts_from(reports), 5)
    cells = [figures["total"]] + [
        cell for table in (figures["tables"] or {}).values() for cell in table or []
    ]
    assert all(c["value"] is None or c["value"] == 0 or c["value"] >= 5 for c in cells)
    assert all(v is None or v == 0 or v >= 5 for v in derived_outcomes(figures).values())


def test_the_attacker_does_recover_a_lone_small_cell() -> None:
    # The check above must be able to fail: primary suppression alone gives a cell back.
    cells = [
        {"code": "a", "value": 10, "shown": "published"},
        {"code": "b", "value": None, "shown": "small"},
    ]
    assert possible_values(cells, 12, 5) == [{2}]


def test_a_lone_small_type_is_protected_by_withholding_another() -> None:
    counts = QuarterCounts(total=12)
    counts.tables["type"] = Counter({"sextortion": 10, "grooming": 2})
    figures = quarter_figures(counts, 5)
    shown = {c["code"]: c["text"] for c in figures["tables"]["type"]}
    assert shown["sextortion"] == "*"
    assert shown["grooming"] == "<5"
    assert shown["child_images"] == "0"
    assert figures["total"]["text"] == "12"
