"""Read and write hash lists in plain CSV/TSV: `hash,type[,label]`, one hash a line.

Pure functions, no database: services.bank_import parses the whole file first, so a file with
any bad row imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from hotline.hashing.models import HashType

FileFormat = Literal["csv", "tsv"]
FORMATS: Final[tuple[FileFormat, ...]] = ("csv", "tsv")
MAX_REPORTED_ERRORS: Final = 50
LABEL_MAX: Final = 200

_HEX = {
    HashType.MD5: re.compile(r"[0-9a-f]{32}"),
    HashType.SHA256: re.compile(r"[0-9a-f]{64}"),
    HashType.PDQ: re.compile(r"[0-9a-f]{64}"),
}
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

    An optional header `hash,type[,label]` is skipped; blank lines and lines starting with `#`
    are ignored; repeated rows collapse into one.
    """
    reader = csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
    rows: dict[tuple[HashType, str], HashRow] = {}
    errors: list[RowError] = []
    total_errors = 0
    first = True
    try:
        for record in reader:
            line = reader.line_num
            cells = [c.strip() for c in record]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first and [c.lower() for c in cells[:2]] == ["hash", "type"]:
                first = False
                continue
            first = False
            try:
                row = _parse_row(cells)
            except ValueError as exc:
                total_errors += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.append(RowError(line, str(exc)))
                continue
            rows.setdefault((row.hash_type, row.value), row)
    except csv.Error as exc:
        total_errors += 1
        errors.append(RowError(reader.line_num, f"not valid {fmt.upper()}: {exc}"))
    if total_errors:
        raise HashFileError(errors, total_errors)
    return list(rows.values())


def _parse_row(cells: list[str]) -> HashRow:
    if len(cells) < 2:
        raise ValueError("expected hash and type")
    if len(cells) > 3:
        raise ValueError(f"expected at most 3 columns (hash, type, label), got {len(cells)}")
    hash_type = parse_hash_type(cells[1])
    value = normalise_hash(hash_type, cells[0])
    label = cells[2] if len(cells) == 3 else ""
    if len(label) > LABEL_MAX:
        raise ValueError(f"label longer than {LABEL_MAX} characters")
    return HashRow(hash_type=hash_type, value=value, label=label)


def write_hash_file(rows: Iterable[HashRow], *, fmt: FileFormat) -> str:
    """Return rows as CSV/TSV text with a `hash,type,label` header."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(["hash", "type", "label"])
    for row in rows:
        writer.writerow([row.value, row.hash_type.value, row.label])
    return out.getvalue()
