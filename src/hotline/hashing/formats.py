"""Read and write hash lists: plain CSV/TSV and ThreatExchange's file formats.

Pure functions, no database: services.bank_import parses the whole file first, so a file with
any bad row imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from hotline.core.csvfile import SafeWriter, unescape_cell
from hotline.hashing.models import HashType

# csv/tsv: `hash,type[,label]`. te: ThreatExchange's one-signal-a-line file (`pdq <hex>`), as
# read by python-threatexchange's local file exchange and printed by `threatexchange dataset -P
# -S`. te-csv: `threatexchange dataset -P --csv` (signal_type,signal_str,collab,category,tags).
FileFormat = Literal["csv", "tsv", "te", "te-csv"]
FORMATS: Final[tuple[FileFormat, ...]] = ("csv", "tsv", "te", "te-csv")
MAX_REPORTED_ERRORS: Final = 50
LABEL_MAX: Final = 200

_HEX = {
    HashType.MD5: re.compile(r"[0-9a-f]{32}"),
    HashType.SHA256: re.compile(r"[0-9a-f]{64}"),
    HashType.PDQ: re.compile(r"[0-9a-f]{64}"),
}
# ThreatExchange has no SHA-256 signal type; its file MD5 type is named for video.
_FROM_TE: Final = {"pdq": HashType.PDQ, "video_md5": HashType.MD5, "md5": HashType.MD5}
_TO_TE: Final = {HashType.PDQ: "pdq", HashType.MD5: "video_md5"}
_TYPE_ALIASES: Final = {
    "md5": HashType.MD5,
    "sha256": HashType.SHA256,
    "sha-256": HashType.SHA256,
    "pdq": HashType.PDQ,
}


@dataclass(frozen=True, slots=True)
class HashRow:
    """One hash of a list."""

    hash_type: HashType
    value: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one line of an imported file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class HashFileError(ValueError):
    """A hash list with bad rows; `errors` lists them by line (the first MAX_REPORTED_ERRORS)."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = errors
        self.total = total
        more = f" (and {total - len(errors)} more)" if total > len(errors) else ""
        lines = "; ".join(map(str, errors[:5]))
        super().__init__(f"{total} bad row(s), nothing imported: {lines}{more}")


def parse_hash_type(text: str) -> HashType:
    """Return the hash type named by `text` (md5, sha256, pdq), or raise ValueError."""
    try:
        return _TYPE_ALIASES[text.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown hash type {text.strip()!r} (expected md5, sha256 or pdq)"
        ) from None


def normalise_hash(hash_type: HashType, value: str) -> str:
    """Return `value` as lowercase hex, or raise ValueError saying what is wrong."""
    text = value.strip().lower()
    if not _HEX[hash_type].fullmatch(text):
        digits = 32 if hash_type == HashType.MD5 else 64
        raise ValueError(f"a {hash_type.label} hash is {digits} hex digits, got {value.strip()!r}")
    return text


def guess_hash_types(value: str) -> list[HashType]:
    """Return the hash types a bare hex value could be (a 64-digit value is SHA-256 or PDQ)."""
    text = value.strip().lower()
    return [t for t in (HashType.MD5, HashType.SHA256, HashType.PDQ) if _HEX[t].fullmatch(text)]


def parse_hash_file(text: str, *, fmt: FileFormat) -> list[HashRow]:
    """Parse a whole hash list; raise HashFileError listing every bad line.

    Blank lines and lines starting with `#` are ignored, a header line is skipped, and repeated
    rows collapse into one.
    """
    rows: dict[tuple[HashType, str], HashRow] = {}
    errors: list[RowError] = []
    total_errors = 0
    for line, parsed in _records(text, fmt):
        if isinstance(parsed, HashRow):
            rows.setdefault((parsed.hash_type, parsed.value), parsed)
            continue
        total_errors += 1
        if len(errors) < MAX_REPORTED_ERRORS:
            errors.append(RowError(line, parsed))
    if total_errors:
        raise HashFileError(errors, total_errors)
    return list(rows.values())


def _records(text: str, fmt: FileFormat) -> Iterator[tuple[int, HashRow | str]]:
    """Yield (line number, row or error message) for every non-blank line."""
    if fmt == "te":
        for line, raw in enumerate(text.splitlines(), start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            signal_type, _, signal = stripped.partition(" ")
            yield line, _row_or_error(_te_row, signal_type, signal.strip(), "")
        return
    reader = csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
    first = True
    te_header: list[str] = []
    try:
        for record in reader:
            # A label written by SafeWriter as `'-1` (a spreadsheet would run `-1`) is "-1".
            cells = [unescape_cell(c.strip()) for c in record]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first:
                first = False
                header = [c.lower() for c in cells]
                if fmt == "te-csv":
                    if "signal_type" not in header or "signal_str" not in header:
                        yield reader.line_num, "expected a header with signal_type and signal_str"
                        return
                    te_header = header
                    continue
                if header[:2] == ["hash", "type"]:
                    continue
            if fmt == "te-csv":
                fields = dict(zip(te_header, cells, strict=False))
                label = fields.get("tags") or fields.get("collab", "")
                yield (
                    reader.line_num,
                    _row_or_error(
                        _te_row, fields.get("signal_type", ""), fields.get("signal_str", ""), label
                    ),
                )
            else:
                yield reader.line_num, _row_or_error(_plain_row, cells)
    except csv.Error as exc:
        yield reader.line_num, f"not valid {fmt.upper()}: {exc}"


def _row_or_error(parse: Callable[..., HashRow], *args: Any) -> HashRow | str:
    try:
        return parse(*args)
    except ValueError as exc:
        return str(exc)


def _plain_row(cells: list[str]) -> HashRow:
    if len(cells) < 2:
        raise ValueError("expected hash and type")
    if len(cells) > 3:
        raise ValueError(f"expected at most 3 columns (hash, type, label), got {len(cells)}")
    hash_type = parse_hash_type(cells[1])
    return _row(hash_type, cells[0], cells[2] if len(cells) == 3 else "")


def _te_row(signal_type: str, signal: str, label: str) -> HashRow:
    try:
        hash_type = _FROM_TE[signal_type.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(_FROM_TE))
        raise ValueError(f"unsupported signal type {signal_type!r} (supported: {known})") from None
    return _row(hash_type, signal, label)


def _row(hash_type: HashType, value: str, label: str) -> HashRow:
    if len(label) > LABEL_MAX:
        raise ValueError(f"label longer than {LABEL_MAX} characters")
    return HashRow(hash_type=hash_type, value=normalise_hash(hash_type, value), label=label)


@dataclass(frozen=True, slots=True)
class Export:
    """An exported hash list and how many rows the format could not carry."""

    text: str
    skipped: int


def write_hash_file(rows: Iterable[HashRow], *, fmt: FileFormat, collab: str = "") -> Export:
    """Return rows in `fmt`; ThreatExchange formats skip SHA-256 (no such signal type there)."""
    out = io.StringIO()
    skipped = 0
    if fmt == "te":
        for row in rows:
            if row.hash_type in _TO_TE:
                out.write(f"{_TO_TE[row.hash_type]} {row.value}\n")
            else:
                skipped += 1
        return Export(out.getvalue(), skipped)
    # Labels come from partners' lists: SafeWriter keeps a spreadsheet from running them.
    writer = SafeWriter(out, delimiter="\t" if fmt == "tsv" else ",")
    if fmt == "te-csv":
        writer.writerow(["signal_type", "signal_str", "collab", "category", "tags"])
        for row in rows:
            if row.hash_type not in _TO_TE:
                skipped += 1
                continue
            # ThreatExchange tags are space-separated words.
            tags = "_".join(row.label.split())
            writer.writerow([_TO_TE[row.hash_type], row.value, collab, "POSITIVE_CLASS", tags])
        return Export(out.getvalue(), skipped)
    writer.writerow(["hash", "type", "label"])
    for row in rows:
        writer.writerow([row.value, row.hash_type.value, row.label])
    return Export(out.getvalue(), skipped)
