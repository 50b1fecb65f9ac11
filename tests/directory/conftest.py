"""Fixtures of the directory tests: the seeded platform directory (tests/directory_seed.py)."""

from __future__ import annotations

from directory_seed import shipped_directory

__all__ = ["shipped_directory"]
