"""Each audit test gets its own signing key and checkpoints folder (files outlive a test's
database transaction, so a checkpoint of one test would otherwise judge the next one's chain)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_audit_dir(tmp_path: Path, settings: object) -> Path:
    settings.HOTLINE_AUDIT_DIR = tmp_path / "audit-keys"  # type: ignore[attr-defined]
    return tmp_path / "audit-keys"
