"""Encrypted files on a full file system: nothing half-written stays, orphans are swept."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest

from full_disk import fill, small_filesystem
from hotline.vault import services as vault


def test_a_write_that_hits_a_full_disk_leaves_no_temporary_file(
    tmp_path: Path, settings: Any
) -> None:
    with small_filesystem(tmp_path / "uploads", size="1m") as uploads:
        settings.UPLOAD_DIR = uploads
        filler = fill(uploads, leave=100_000)  # room for the temporary file, not for the data
        with pytest.raises(OSError, match="No space left on device") as raised:
            vault.file_write_durably(data=os.urandom(400_000), name="a.bin", context="c")
        assert raised.value.errno == errno.ENOSPC
        assert sorted(p.name for p in uploads.iterdir()) == [filler.name]

        # With the space back, the same write succeeds and reads back.
        filler.unlink()
        vault.file_write_durably(data=b"evidence", name="a.bin", context="c")
        assert vault.file_read(name="a.bin", context="c") == b"evidence"
        assert sorted(p.name for p in uploads.iterdir()) == ["a.bin"]


def test_sweep_removes_old_orphaned_temporary_files_only(tmp_path: Path, settings: Any) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings.UPLOAD_DIR = uploads
    old = uploads / ".0123abcd.bin.tmp"
    fresh = uploads / ".4567cdef.bin.tmp"  # a writer in another process is busy with it
    kept = uploads / "89abcdef.bin"
    for path in (old, fresh, kept):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(kept, (an_hour_ago, an_hour_ago))

    assert vault.upload_temporaries_sweep(older_than_seconds=300) == 1
    assert sorted(p.name for p in uploads.iterdir()) == [fresh.name, kept.name]


def test_sweep_of_a_missing_upload_folder_finds_nothing(tmp_path: Path, settings: Any) -> None:
    settings.UPLOAD_DIR = tmp_path / "never-created"
    assert vault.upload_temporaries_sweep(older_than_seconds=300) == 0
