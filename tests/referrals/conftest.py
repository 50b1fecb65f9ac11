"""Each referral test gets its own signing key folder (as the audit tests do)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_audit_dir(tmp_path: Path, settings: object) -> Path:
    settings.HOTLINE_AUDIT_DIR = tmp_path / "audit-keys"  # type: ignore[attr-defined]
    return tmp_path / "audit-keys"
