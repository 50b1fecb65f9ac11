"""Settings read from the environment (checked in a fresh interpreter, as a server starts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _database_setting(tmp_path: Path, name: str, **env: str) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(settings.DATABASES['default'][{name!r}])"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotline.settings",
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_CREATE_KEY_FILE": "1",
        "HOTLINE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hotline_settings_probe",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(("value", "expected"), [(None, "True"), ("0", "False"), ("1", "True")])
def test_database_health_checks_are_on_unless_turned_off(
    tmp_path: Path, value: str | None, expected: str
) -> None:
    env = {} if value is None else {"HOTLINE_DB_HEALTH_CHECKS": value}
    assert _database_setting(tmp_path, "CONN_HEALTH_CHECKS", **env) == expected
    assert _database_setting(tmp_path, "CONN_MAX_AGE", **env) == "60"
