"""CSV/TSV cells written by hotline.core.csvfile: no spreadsheet formula, exact round trip."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from hotline.core.csvfile import SafeWriter, escape_cell, unescape_cell

# Characters that make a spreadsheet evaluate a cell when it starts with one (OWASP), with the
# full-width forms some spreadsheets fold to them.
FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"
CONTROL_START = "\t\r\n"
cells = st.text(max_size=30) | st.sampled_from(
    ["-1", "@home", "=1+1", "+33 1", "\t=x", "\r=x", " =x", "'=x", "''-1", "'quoted'", ""]
)
rows = st.lists(st.lists(cells, min_size=1, max_size=4), max_size=5)


def read(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def write(table: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    SafeWriter(out, delimiter=delimiter).writerows(table)  # type: ignore[arg-type]
    return out.getvalue()


@given(cells)
def test_unescape_inverts_escape_for_any_string(value: str) -> None:
    assert unescape_cell(escape_cell(value)) == value


@given(rows, st.sampled_from([",", "\t"]))
def test_no_written_cell_starts_a_formula(table: list[list[str]], delimiter: str) -> None:
    for row in read(write(table, delimiter), delimiter):
        for cell in row:
            assert cell[:1] not in set(FORMULA_START + CONTROL_START) - {""}, cell
            # Nor after leading blanks, which some spreadsheets trim before evaluating.
            assert cell.lstrip()[:1] not in set(FORMULA_START) - {""}, cell


@given(rows, st.sampled_from([",", "\t"]))
def test_any_table_round_trips_through_a_csv_reader(table: list[list[str]], delimiter: str) -> None:
    back = [[unescape_cell(c) for c in row] for row in read(write(table, delimiter), delimiter)]
    assert back == table


def test_formula_cells_get_one_quote_and_harmless_cells_none() -> None:
    assert escape_cell("-1") == "'-1"
    assert escape_cell("@home") == "'@home"
    assert escape_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert escape_cell("'=x") == "''=x"  # stays reversible
    assert escape_cell("\uff1dcmd") == "'\uff1dcmd"
    for harmless in ("f8f8f0ce", "pdq", "it's", "'quoted'", "a-b", "2026-12-03", ""):
        assert escape_cell(harmless) == harmless
        assert unescape_cell(harmless) == harmless


def test_no_csv_writer_outside_the_safe_helper() -> None:
    """Every CSV/TSV the project writes goes through SafeWriter (now and later)."""
    source = Path(__file__).resolve().parents[2] / "src" / "hotline"
    helper = source / "core" / "csvfile.py"
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\b|\bfrom csv import\b.*\b(writer|DictWriter)")
    offenders = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if path != helper and writers.search(path.read_text())
    ]
    assert offenders == []
