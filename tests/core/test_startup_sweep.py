"""Unfinished upload files left by a killed process are deleted when the app starts again."""

from __future__ import annotations

import os
import time

import pytest

from process_helpers import Install, free_port, http_get, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "command", [("worker",), ("run", "--no-worker")], ids=["hotline worker", "hotline run"]
)
def test_start_up_deletes_old_orphaned_upload_temporaries_and_spares_fresh_ones(
    install: Install, command: tuple[str, ...]
) -> None:
    uploads = install.data_dir / "uploads"
    uploads.mkdir(exist_ok=True)
    orphan = uploads / ".0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f.bin.tmp"  # a killed writer's
    fresh = uploads / ".1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e.bin.tmp"  # a live writer's
    stored = uploads / "2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d.bin"  # evidence: never touched
    for path in (orphan, fresh, stored):
        path.write_bytes(b"ciphertext")
    an_hour_ago = time.time() - 3600
    for path in (orphan, stored):
        os.utime(path, (an_hour_ago, an_hour_ago))

    args = [*command, "--port", str(port := free_port())] if command[0] == "run" else command
    process = install.start(*args)
    wait_for(
        lambda: not orphan.exists(), timeout=120, what="the orphan to be deleted", alive=process
    )
    if command[0] == "run":
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=60)
    assert fresh.exists()
    assert stored.exists()
