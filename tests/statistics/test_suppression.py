"""Published tables never let a reader work out a withheld count.

The attacker here is independent of the code under test: it tries every table of whole
numbers that agrees with what is published (the shown numbers, "<5" meaning 1-4, "*" meaning 5
or more, rows and columns adding up to their totals) and lists the values each hidden cell can
take. A hidden cell with only one possible value has been recovered: the test fails.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hotline.statistics.suppression import PublishedTable, Shown, suppress, with_margins


def possible_values(table: PublishedTable) -> dict[tuple[int, int], set[int]]:
    """Every value each hidden cell can take in a table consistent with the published one."""
    cells = table.cells
    m, n = len(cells) - 1, len(cells[0]) - 1
    grand = cells[m][n]
    # Interior cells decide everything; an upper bound for unbounded ones: the grand total if
    # shown, else generous (counts in these tests stay small).
    ceiling = grand.value if grand.value is not None else 200
    domains: list[list[int]] = []
    hidden_inside = [(i, j) for i in range(m) for j in range(n) if cells[i][j].value is None]
    for i, j in hidden_inside:
        cell = cells[i][j]
        if cell.shown is Shown.SMALL:
            domains.append(list(range(1, table.threshold)))
        else:
            domains.append(list(range(table.threshold, ceiling + 1)))
    assume(math.prod(len(d) for d in domains) <= 300_000)
    found: dict[tuple[int, int], set[int]] = {cell: set() for cell in table.hidden}
    for guess in itertools.product(*domains):
        counts = [[cells[i][j].value or 0 for j in range(n)] for i in range(m)]
        for (i, j), value in zip(hidden_inside, guess, strict=True):
            counts[i][j] = value
        full = with_margins(counts)
        if all(
            _agrees(full[i][j], cells[i][j], table.threshold)
            for i in range(m + 1)
            for j in range(n + 1)
        ):
            for cell in found:
                found[cell].add(full[cell[0]][cell[1]])
    return found


def _agrees(value: int, cell, threshold: int) -> bool:  # type: ignore[no-untyped-def]
    if cell.shown is Shown.PUBLISHED:
        return bool(value == cell.value)
    if cell.shown is Shown.SMALL:
        return 1 <= value < threshold
    return value >= threshold


small_tables = st.integers(1, 3).flatmap(
    lambda rows: st.integers(1, 3).flatmap(
        lambda cols: st.lists(
            st.lists(
                st.one_of(st.integers(0, 4), st.integers(5, 12)), min_size=cols, max_size=cols
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=200, deadline=None)
@given(small_tables)
def test_no_withheld_cell_can_be_worked_out_from_the_published_table(
    counts: list[list[int]],
) -> None:
    table = suppress(
        counts,
        rows=[f"r{i}" for i in range(len(counts))],
        columns=[f"c{j}" for j in range(len(counts[0]))],
    )
    for cell, values in possible_values(table).items():
        assert len(values) >= 2, (counts, cell, values, [[c.text for c in r] for r in table.cells])


@settings(max_examples=200, deadline=None)
@given(small_tables)
def test_every_small_count_is_hidden_and_every_shown_number_is_true(
    counts: list[list[int]],
) -> None:
    table = suppress(counts, rows=["a"] * len(counts), columns=["b"] * len(counts[0]))
    truth = with_margins(counts)
    for true_row, row in zip(truth, table.cells, strict=True):
        for true_value, cell in zip(true_row, row, strict=True):
            if 0 < true_value < 5:
                assert cell.value is None
                assert cell.text in {"<5", "*"}  # "*" only when the table had to be hidden whole
            if cell.value is not None:
                assert cell.value == true_value
            if cell.shown is Shown.WITHHELD and cell.text == "*":
                assert true_value >= 5 or all(
                    c.shown is Shown.WITHHELD for r in table.cells for c in r
                )


def test_a_lone_small_cell_in_a_row_gets_a_partner_so_the_total_does_not_give_it_away() -> None:
    table = suppress([[3, 40, 0], [10, 20, 30]], rows=["a", "b"], columns=["x", "y", "z"])
    texts = [[cell.text for cell in row] for row in table.cells]
    assert texts[0][0] == "<5"
    hidden_in_first_row = [cell for cell in table.cells[0] if cell.value is None]
    hidden_in_first_column = [row[0] for row in table.cells if row[0].value is None]
    assert len(hidden_in_first_row) >= 2
    assert len(hidden_in_first_column) >= 2


def test_a_table_without_small_numbers_is_published_whole() -> None:
    table = suppress([[5, 6], [7, 0]], rows=["a", "b"], columns=["x", "y"])
    assert table.hidden == []
    assert [[cell.text for cell in row] for row in table.cells] == [
        ["5", "6", "11"],
        ["7", "0", "7"],
        ["12", "6", "18"],
    ]


def test_a_table_with_nothing_to_withhold_instead_is_hidden_whole() -> None:
    # One small count and nothing of 5 or more to withhold beside it except totals that
    # would give it back: the whole table is withheld rather than any small number shown.
    table = suppress([[2]], rows=["a"], columns=["x"])
    assert all(cell.value is None for row in table.cells for cell in row)


@pytest.mark.parametrize(
    ("counts", "threshold", "message"),
    [
        ([[1]], 2, "3 or more"),
        ([[1, 2]], 5, "do not match"),
        ([[-1]], 5, "negative"),
    ],
)
def test_bad_tables_and_thresholds_are_refused(
    counts: list[list[int]], threshold: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(counts, rows=["a"], columns=["x"], threshold=threshold)


def test_an_empty_period_publishes_zeros() -> None:
    table = suppress([[0, 0]], rows=["a"], columns=["x", "y"])
    assert [[cell.text for cell in row] for row in table.cells] == [
        ["0", "0", "0"],
        ["0", "0", "0"],
    ]
