from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, settings: object) -> None:
    """Give every test its own PDQ index (hotline.hashing)."""
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]
