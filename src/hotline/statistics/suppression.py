"""Small-cell suppression for published tables, with complementary suppression checked exactly.

A published table of counts (rows x columns, with row totals, column totals and the grand
total) must not let anyone work out a small number: a count of 1 to threshold-1 could point to
one child. Such cells are shown as "<5" (primary suppression). That alone is not enough: when a
row holds one hidden cell, its total minus the other cells gives it back. So other cells are
withheld too (complementary suppression, shown as "*"), until no hidden cell can be worked out.

"Can be worked out" is decided exactly, from everything a reader knows: the published numbers,
that a "<5" cell is between 1 and threshold-1, that a "*" cell is at least the threshold, and
that every row and column adds up to its total. A table with its margins is a flow network
(grand total -> row totals -> cells -> column totals -> grand total), so the values a hidden cell
can take form an interval, and a cell is safe when its true value plus or minus one is also
possible: a feasibility question that networkx's network simplex answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import networkx as nx

DEFAULT_THRESHOLD = 5

Cell = tuple[int, int]  # (row, column) in the table with margins: row m = column totals, etc.


class Shown(StrEnum):
    PUBLISHED = "published"
    SMALL = "small"  # primary: 1 .. threshold-1
    WITHHELD = "withheld"  # complementary: threshold or more


@dataclass(frozen=True)
class PublishedCell:
    value: int | None  # None when hidden
    shown: Shown
    text: str


@dataclass(frozen=True)
class PublishedTable:
    """`cells` has one more row (column totals) and one more column (row totals) than the
    counts; `cells[-1][-1]` is the grand total."""

    rows: list[str]
    columns: list[str]
    cells: list[list[PublishedCell]]
    threshold: int

    @property
    def hidden(self) -> list[Cell]:
        return [
            (i, j)
            for i, row in enumerate(self.cells)
            for j, cell in enumerate(row)
            if cell.value is None
        ]


def with_margins(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The counts with a row total at the end of each row and a row of column totals."""
    grid = [[*row, sum(row)] for row in counts]
    width = len(grid[0]) if grid else 1
    grid.append([sum(row[j] for row in grid) for j in range(width)])
    return grid


def _bounds(value: int, shown: Shown, threshold: int) -> tuple[int, int | None]:
    if shown is Shown.PUBLISHED:
        return value, value
    if shown is Shown.SMALL:
        return 1, threshold - 1
    return threshold, None


def _feasible(
    grid: list[list[int]],
    shown: list[list[Shown]],
    threshold: int,
    fixed: Cell,
    value: int,
) -> bool:
    """Whether some table consistent with what is published has `value` at `fixed`."""
    m, n = len(grid) - 1, len(grid[0]) - 1
    graph = nx.DiGraph()
    demand: dict[str, int] = {}

    def edge(tail: str, head: str, cell: Cell) -> None:
        i, j = cell
        low, high = (value, value) if cell == fixed else _bounds(grid[i][j], shown[i][j], threshold)
        if high is None:
            graph.add_edge(tail, head, weight=0)
        else:
            graph.add_edge(tail, head, weight=0, capacity=high - low)
        demand[tail] = demand.get(tail, 0) + low
        demand[head] = demand.get(head, 0) - low

    for i in range(m):
        edge("total", f"r{i}", (i, n))
        for j in range(n):
            edge(f"r{i}", f"c{j}", (i, j))
    for j in range(n):
        edge(f"c{j}", "sink", (m, j))
    edge("sink", "total", (m, n))
    for node, need in demand.items():
        graph.nodes[node]["demand"] = need
    try:
        nx.network_simplex(graph)
    except nx.NetworkXUnfeasible:
        return False
    return True


def recoverable(
    grid: list[list[int]], shown: list[list[Shown]], threshold: int, cell: Cell
) -> bool:
    """Whether a hidden cell's value follows from what is published (no other value fits)."""
    i, j = cell
    value = grid[i][j]
    low, high = _bounds(value, shown[i][j], threshold)
    for other in (value - 1, value + 1):
        possible = other >= low and (high is None or other <= high)
        if possible and _feasible(grid, shown, threshold, cell, other):
            return False
    return True


def _complement_for(
    grid: list[list[int]], shown: list[list[Shown]], cell: Cell, threshold: int
) -> Cell | None:
    """The published cell to withhold next to protect `cell`: in its row or column, a count of
    at least the threshold (never a zero), the smallest, cells before totals."""
    i, j = cell
    m, n = len(grid) - 1, len(grid[0]) - 1
    line = [(i, b) for b in range(n + 1) if b != j] + [(a, j) for a in range(m + 1) if a != i]
    anywhere = [(a, b) for a in range(m + 1) for b in range(n + 1)]
    for candidates in (line, anywhere):
        usable = [
            (a, b)
            for a, b in candidates
            if shown[a][b] is Shown.PUBLISHED and grid[a][b] >= threshold
        ]
        if usable:
            return min(usable, key=lambda c: (c[0] == m or c[1] == n, grid[c[0]][c[1]], c))
    return None


def suppress(
    counts: Sequence[Sequence[int]],
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
) -> PublishedTable:
    """Publish `counts` (one list per row) with its totals, small numbers safely withheld."""
    if threshold < 3:
        # "<2" would say "exactly 1".
        raise ValueError("the suppression threshold must be 3 or more")
    if len(counts) != len(rows) or any(len(row) != len(columns) for row in counts):
        raise ValueError("the counts do not match the row and column labels")
    if any(value < 0 for row in counts for value in row):
        raise ValueError("counts cannot be negative")
    grid = with_margins(counts) if rows else [[0] * (len(columns) + 1)]
    shown = [
        [Shown.SMALL if 0 < value < threshold else Shown.PUBLISHED for value in row] for row in grid
    ]
    while True:
        exposed = next(
            (
                (i, j)
                for i, row in enumerate(shown)
                for j, state in enumerate(row)
                if state is not Shown.PUBLISHED and recoverable(grid, shown, threshold, (i, j))
            ),
            None,
        )
        if exposed is None:
            break
        complement = _complement_for(grid, shown, exposed, threshold)
        if complement is None:
            # Nothing left to withhold: hide the whole table rather than publish a small count.
            shown = [[Shown.WITHHELD] * len(row) for row in grid]
            break
        shown[complement[0]][complement[1]] = Shown.WITHHELD
    cells = [
        [
            PublishedCell(
                value=value if state is Shown.PUBLISHED else None,
                shown=state,
                text=str(value)
                if state is Shown.PUBLISHED
                else (f"<{threshold}" if state is Shown.SMALL else "*"),
            )
            for value, state in zip(row, states, strict=True)
        ]
        for row, states in zip(grid, shown, strict=True)
    ]
    return PublishedTable(rows=list(rows), columns=list(columns), cells=cells, threshold=threshold)
