"""Hash bank exports cannot run formulas in a spreadsheet and still import as they were."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.hashing.formats import LABEL_MAX, HashRow, parse_hash_file, write_hash_file
from hotline.hashing.models import Bank, BankEntry, HashType
from hotline.hashing.services import entry_add

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d35c785545392755e7e4164457657269"
SHA = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"
HOSTILE = ["-1", "@home", '=HYPERLINK("http://x","y")', "+1 555", "\t=1", "\r=1", "'=kept"]

# The importer strips blanks around each cell, so labels are compared as stored after import.
labels = st.text(max_size=LABEL_MAX).filter(lambda s: s == s.strip()) | st.sampled_from(HOSTILE)


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, settings: object) -> None:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(labels, min_size=3, max_size=3), st.sampled_from(["csv", "tsv"]))
def test_written_hash_file_parses_back_to_the_same_rows(label: list[str], fmt: str) -> None:
    rows = [
        HashRow(HashType.PDQ, PDQ, label[0]),
        HashRow(HashType.MD5, MD5, label[1]),
        HashRow(HashType.SHA256, SHA, label[2]),
    ]
    text = write_hash_file(rows, fmt=fmt).text  # type: ignore[arg-type]
    assert parse_hash_file(text, fmt=fmt) == rows  # type: ignore[arg-type]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_cli_export_escapes_formula_labels_and_imports_them_back(fmt: str, tmp_path: Path) -> None:
    call_command("hashbank", "create", "partner", stdout=io.StringIO())
    bank = Bank.objects.get(name="partner")
    values = [f"{n:032x}" for n in range(len(HOSTILE))]
    for value, label in zip(values, HOSTILE, strict=True):
        entry_add(bank=bank, hash_type=HashType.MD5, value=value, label=label)

    out = io.StringIO()
    call_command("hashbank", "export", "partner", "--format", fmt, stdout=out)
    exported = out.getvalue()
    delimiter = "\t" if fmt == "tsv" else ","
    records = list(csv.reader(io.StringIO(exported, newline=""), delimiter=delimiter))
    assert records[0] == ["hash", "type", "label"]
    assert sorted(r[0] for r in records[1:]) == values  # hash values are written as they are
    written = {r[0]: r[2] for r in records[1:]}
    assert written[values[0]] == "'-1"
    assert written[values[1]] == "'@home"
    assert all(label[:1] not in "=+-@\t\r" for label in written.values())

    copy = tmp_path / f"copy.{fmt}"
    copy.write_text(exported)
    call_command("hashbank", "create", "copy", stdout=io.StringIO())
    call_command("hashbank", "import", "copy", str(copy), stdout=io.StringIO())
    again = dict(BankEntry.objects.filter(bank__name="copy").values_list("value", "label"))
    assert again == dict(zip(values, HOSTILE, strict=True))
