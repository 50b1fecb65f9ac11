"""CSV and TSV files that are safe to open in a spreadsheet: every writer of the project uses this.

A cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab, a
carriage return or a line feed, or their full-width forms, possibly after spaces and quotes) is
written with a single quote in front (OWASP, "CSV Injection"), and a cell holding the delimiter,
a double quote or a line break is put in double quotes with its quotes doubled, so no value can
start a cell of its own. Quoting every cell would add nothing: spreadsheets evaluate a quoted
`"=1+1"` too; the single quote is what keeps them from it. Labels and names in hash lists and
other exports come from partners and reporters: without this, opening an export runs whatever
they wrote.

The escape can be undone exactly (`unescape_cell`), so a file written here and imported again
gives back the original strings: a label "-1" is written as `'-1` and read back as "-1". Cells
that never start with such a character (hex hashes, numbers without a sign, dates) are written
as they are, so other tools read them unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Final, Literal, Protocol

Delimiter = Literal[",", "\t"]

# Optional leading quotes (an earlier escape, or the value's own), optional white space, then
# a character that makes a spreadsheet evaluate the cell. Full-width forms are included: some
# spreadsheets fold them to their ASCII forms.
_FORMULA: Final = re.compile("'*[\\s\u3000]*[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")
ESCAPE: Final = "'"


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def escape_cell(value: str) -> str:
    """Return `value` as a cell no spreadsheet evaluates (a quote in front when needed)."""
    return ESCAPE + value if _FORMULA.match(value) else value


def unescape_cell(cell: str) -> str:
    """Return the original value of a cell written by `escape_cell` (other cells unchanged).

    Exact inverse: `escape_cell` adds a quote exactly to values matching the formula pattern,
    and a value with one more leading quote matches it too, so only those lose a quote here.
    """
    if cell.startswith(ESCAPE) and _FORMULA.match(cell, 1):
        return cell[1:]
    return cell


class SafeWriter:
    """A csv.writer that escapes every cell (the only CSV/TSV writer of the project)."""

    def __init__(self, out: _Writable, *, delimiter: Delimiter = ",") -> None:
        self._writer = csv.writer(
            out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
        )

    def writerow(self, cells: Iterable[object]) -> None:
        """Write one row; cells that are not strings are written as their str()."""
        self._writer.writerow([escape_cell(c if isinstance(c, str) else str(c)) for c in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
