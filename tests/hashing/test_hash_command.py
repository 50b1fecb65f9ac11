"""`hotline hash FILE...` prints one JSON object per file and goes on past bad files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

REFERENCE_DIR = Path("/work/shared/pdq-reference")
_local = Path(__file__).resolve().parents[3] / "shared" / "pdq-reference"
if _local.is_dir():
    REFERENCE_DIR = _local


def run_hash(*paths: Path | str) -> tuple[list[dict[str, object]], CommandError | None]:
    out = io.StringIO()
    error: CommandError | None = None
    try:
        call_command("hash", *map(str, paths), stdout=out)
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def test_hashes_reference_files() -> None:
    rows = {r["file"]: r for r in csv.DictReader((REFERENCE_DIR / "expected.csv").open())}
    names = ["bridge-mods__aaa-orig.jpg", "misc-images__modes__CMYK.jpg", "misc-images__c.png"]
    results, error = run_hash(*(REFERENCE_DIR / n for n in names))
    assert error is None
    assert [r["path"] for r in results] == [str(REFERENCE_DIR / n) for n in names]
    for name, result in zip(names, results, strict=True):
        assert result == {
            "path": str(REFERENCE_DIR / name),
            "md5": rows[name]["md5"],
            "sha256": rows[name]["sha256"],
            "pdq": rows[name]["pdq"],
            "quality": int(rows[name]["quality"]),
        }


def test_bad_files_get_an_error_and_the_rest_go_on(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(good)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:60])
    missing = tmp_path / "missing.jpg"

    results, error = run_hash(empty, good, text, missing, truncated, tmp_path)

    assert error is not None
    assert "5 of 6" in str(error)
    assert [r["path"] for r in results] == list(
        map(str, [empty, good, text, missing, truncated, tmp_path])
    )
    assert [r.get("error") for r in results] == [
        "empty",
        None,
        "corrupt",
        "not_found",
        "truncated",
        "unreadable",
    ]
    assert len(str(results[1]["pdq"])) == 64
    # A file that is not an image still gets its exact hashes.
    assert results[2]["sha256"] == hashlib.sha256(b"not an image").hexdigest()
    assert all(isinstance(r["message"], str) and r["message"] for r in results if "error" in r)


def test_requires_a_file() -> None:
    with pytest.raises(CommandError):
        call_command("hash")
