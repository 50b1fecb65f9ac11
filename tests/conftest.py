"""Test-wide set-up: a throwaway data directory and key file, cheap password hashing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(autouse=True, scope="session")
def _compiled_translations() -> None:
    """Compile the .po catalogs (the .mo files are not in git) before any page renders."""
    import fcntl

    from django.core.management import call_command
    from django.core.signals import setting_changed

    lock_path = Path(settings.DATA_DIR) / ".compilemessages.lock"
    with lock_path.open("w") as lock:  # pytest-xdist workers compile one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("compilemessages_if_needed")
    # Forget catalogs loaded before compiling (Django's own reset for LOCALE_PATHS changes).
    setting_changed.send(
        sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


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
    from hotline.core.throttle import throttle_reset

    throttle_reset()
    yield
    throttle_reset()


def pytest_report_header() -> str:
    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings: object) -> None:
    """Make the report form's proof of work cheap to solve in tests (its cost is a setting)."""
    settings.HOTLINE_POW_ITERATIONS = 1  # type: ignore[attr-defined]
    settings.HOTLINE_POW_MAX_COUNTER = 20  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _loopback_clients_are_people(settings: object) -> None:
    """Let Django's test client and the test browser (both 127.0.0.1) each be one person.

    In production a loopback peer is a proxy many people share (an onion service's Tor daemon):
    tests of that (tests/intake/test_onion_service.py) set HOTLINE_SHARED_CLIENT_ADDRESSES back.
    """
    settings.HOTLINE_SHARED_CLIENT_ADDRESSES = []  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings: object) -> None:
    """Name static files unhashed in in-process tests, as Django's docs advise: the manifest
    storage needs `collectstatic`, which `hotline run` does (tested against the real server in
    tests/core/test_page_compression.py)."""
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_site_settings() -> Iterator[None]:
    """Forget the per-process site settings snapshot: each test's database starts afresh."""
    from hotline.sitesettings.selectors import site_settings_cache_clear

    site_settings_cache_clear()
    yield
    site_settings_cache_clear()
