"""Operator mistakes: `hotline` prints one clear line, no traceback, and exits non-zero."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from process_helpers import HOTLINE, Install, base_env, free_port

pytestmark = pytest.mark.slow


def hotline(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOTLINE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode != 0, done
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for text in expected:
        assert text in lines[0], lines[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://somewhere/db", "HOTLINE_DATABASE_URL must look like postgres://"),
        ("not a url", "HOTLINE_DATABASE_URL must look like postgres://"),
        ("mysql://user:s3cret@127.0.0.1/hotline", "OpenHotline runs on PostgreSQL or SQLite"),
    ],
)
def test_bad_database_url(tmp_path: Path, url: str, expected: str) -> None:
    env = {**base_env(tmp_path, url)}
    for command in (["migrate"], ["run", "--port", str(free_port())], ["worker"]):
        done = hotline(*command, env=env)
        assert_one_clear_line(done, expected)
        assert "s3cret" not in done.stderr


def test_unreachable_postgresql(tmp_path: Path) -> None:
    url = f"postgres://hotline:s3cret@127.0.0.1:{free_port()}/hotline"
    commands = (["migrate"], ["run", "--port", str(free_port())], ["worker"], ["tasks"], ["status"])
    for command in commands:
        done = hotline(*command, env=base_env(tmp_path, url))
        assert_one_clear_line(
            done, "the database cannot be used", "Connection refused", "HOTLINE_DATABASE_URL"
        )
        assert "s3cret" not in done.stderr


def test_missing_key_file_of_an_existing_install(install: Install) -> None:
    (install.data_dir / "keys.json").unlink()
    for command in (["migrate"], ["run", "--port", str(free_port())], ["worker"]):
        done = install.run(*command, HOTLINE_CREATE_KEY_FILE="0")
        assert_one_clear_line(done, "keys.json is missing", "Restore it from your backup")
    assert not (install.data_dir / "keys.json").exists()  # never silently replaced


def test_damaged_key_file(install: Install) -> None:
    (install.data_dir / "keys.json").write_text("{not json")
    assert_one_clear_line(install.run("migrate"), "keys.json cannot be read")


def test_port_in_use(install: Install) -> None:
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        done = install.run("run", "--port", str(port))
    assert_one_clear_line(done, f"Port {port} on 127.0.0.1 is already in use", "--port")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--host", "no-such-host.invalid"], "is not a host name or IP address"),
        (["--port", "70000"], "is not a port number"),
    ],
)
def test_bad_address_for_run(install: Install, args: list[str], expected: str) -> None:
    assert_one_clear_line(install.run("run", *args), expected)


def test_createstaff_weak_password(install: Install) -> None:
    done = install.run("createstaff", "alice", HOTLINE_STAFF_PASSWORD="password")
    assert_one_clear_line(done, "too short", "too common")
    assert install.shell(
        "from hotline.accounts.models import User; print(User.objects.count())"
    ) == ("0")


def test_createstaff_without_a_terminal(install: Install) -> None:
    assert_one_clear_line(install.run("createstaff", "alice"), "HOTLINE_STAFF_PASSWORD")


def test_createstaff_taken_name(install: Install) -> None:
    password = "a long enough passphrase 42"
    assert install.run("createstaff", "alice", HOTLINE_STAFF_PASSWORD=password).returncode == 0
    done = install.run("createstaff", "alice", HOTLINE_STAFF_PASSWORD=password)
    assert_one_clear_line(done, "already exists")


def test_database_not_set_up(tmp_path: Path) -> None:
    env = base_env(tmp_path / "fresh", None)
    assert_one_clear_line(hotline("worker", env=env), "run `hotline migrate` first")
    assert_one_clear_line(
        hotline("createstaff", "alice", env={**env, "HOTLINE_STAFF_PASSWORD": "x" * 20}),
        "the database is not set up",
        "hotline migrate",
    )


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"HOTLINE_TASK_TIMEOUT": "two minutes"}, "HOTLINE_TASK_TIMEOUT must be a number"),
        (
            {"HOTLINE_TASK_TIMEOUT": "60", "HOTLINE_TASK_RETRY": "30"},
            "HOTLINE_TASK_RETRY must be larger than HOTLINE_TASK_TIMEOUT",
        ),
        ({"HOTLINE_DATA_DIR": "/proc/no-such-dir/data"}, "cannot use /proc/no-such-dir"),
    ],
)
def test_bad_settings(tmp_path: Path, variables: dict[str, str], expected: str) -> None:
    env = {**base_env(tmp_path, None), **variables}
    assert_one_clear_line(hotline("migrate", env=env), expected)


def test_unknown_command(tmp_path: Path) -> None:
    done = hotline("frobnicate", env=base_env(tmp_path, None))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "Unknown command: 'frobnicate'" in done.stderr
