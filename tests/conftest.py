"""Test-wide set-up: a throwaway data directory and key file, cheap password hashing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _isolated_uploads(tmp_path: Path, settings: object) -> Iterator[None]:
    """Give every test its own upload folder."""
    settings.UPLOAD_DIR = tmp_path / "uploads"  # type: ignore[attr-defined]
    return


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    """Use a cheap hasher in tests (argon2 is tested on its own)."""
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _clear_throttles() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_report_header() -> str:
    return f"database: {settings.DATABASES['default']['ENGINE']}"
