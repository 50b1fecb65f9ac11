"""The vendored axe-core is the pinned release, byte for byte, with its licence."""

from __future__ import annotations

import hashlib
from pathlib import Path

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


def test_vendored_axe_core_is_the_pinned_release_with_its_licence() -> None:
    source = (AXE_DIR / "axe.min.js").read_bytes()
    assert source.startswith(f"/*! axe v{AXE_VERSION}\n".encode())
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256
    assert "Mozilla Public License, version 2.0" in (AXE_DIR / "LICENSE").read_text()
    readme = (AXE_DIR / "README.md").read_text()
    assert AXE_VERSION in readme
    assert AXE_SHA256 in readme
