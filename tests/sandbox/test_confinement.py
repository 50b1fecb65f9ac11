"""Every child that parses evidence is started confined: checked from inside real children.

The `probe` job runs in a child started by `sandbox_run`, exactly as the image, PDF, FFmpeg and
video-hashing jobs are, and reports its environment, its open descriptors, and whether it could
open the key file, create a file, or connect to a socket listening on 127.0.0.1.
"""

from __future__ import annotations

import ast
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline import config
from hotline.sandbox import CHILD_ENVIRONMENT, Limits, sandbox_run
from hotline.sandbox.confine import MISSING_PREFIX

SECRETS = {
    "HOTLINE_DATABASE_URL": "postgres://hotline:DbSecret123@127.0.0.1/hotline",
    "HOTLINE_SMTP_PASSWORD": "SmtpSecret456",
    "HOTLINE_KEY_FILE": "",  # filled in with the real key file's path
}
MB = 1024 * 1024
LIMITS = Limits(cpu_seconds=10, memory_bytes=1024**3, file_bytes=0, wall_seconds=30)


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP socket listening on 127.0.0.1 (as PostgreSQL or a mail relay would)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def probe(*, path: Path, folder: Path, port: int) -> dict[str, Any]:
    result = sandbox_run(
        job="probe", data=b"", limits=LIMITS, args=[str(path), str(folder), str(port)]
    )
    assert result.returncode == 0
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture
def key_file() -> Path:
    path = config.key_file_path()
    assert path.read_bytes()  # the parent can read it: the child's failure below means something
    return path


def test_child_environment_holds_none_of_the_parents_secrets(
    monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path, listener: int
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value or str(key_file))
    report = probe(path=key_file, folder=tmp_path, port=listener)
    assert report["environment"] == CHILD_ENVIRONMENT
    text = json.dumps(report)
    for name, value in SECRETS.items():
        assert name not in text
        assert (value or str(key_file)) not in text


def test_child_inherits_no_descriptor_of_the_parent(
    key_file: Path, tmp_path: Path, listener: int
) -> None:
    # Descriptors a careless parent might leak: an inheritable file and a connected socket.
    leaked_file = os.open(key_file, os.O_RDONLY)
    os.set_inheritable(leaked_file, True)
    client = socket.create_connection(("127.0.0.1", listener))
    client.set_inheritable(True)
    try:
        report = probe(path=key_file, folder=tmp_path, port=listener)
    finally:
        os.close(leaked_file)
        client.close()
    assert report["descriptors"] == []


def test_child_cannot_open_the_key_file(key_file: Path, tmp_path: Path, listener: int) -> None:
    report = probe(path=key_file, folder=tmp_path, port=listener)
    assert report["can_open"] is False


def test_child_cannot_write_files(tmp_path: Path, listener: int, key_file: Path) -> None:
    assert os.access(tmp_path, os.W_OK)
    report = probe(path=key_file, folder=tmp_path, port=listener)
    assert report["can_create"] is False
    assert list(tmp_path.iterdir()) == []


def test_child_cannot_connect_to_a_listening_local_socket(
    listener: int, key_file: Path, tmp_path: Path
) -> None:
    with socket.create_connection(("127.0.0.1", listener)):
        pass  # the parent can: the child's failure below is the sandbox, not a dead port
    report = probe(path=key_file, folder=tmp_path, port=listener)
    assert report["can_connect"] is False


def test_a_child_cannot_make_the_parent_read_more_than_its_output_limit() -> None:
    limits = Limits(
        cpu_seconds=10, memory_bytes=1024**3, file_bytes=0, wall_seconds=30, output_bytes=MB
    )
    within = sandbox_run(job="probe", data=b"", limits=limits, args=["flood", str(MB)])
    assert within.returncode == 0
    assert len(within.stdout) == MB  # the limit itself is allowed: the test below means something
    flood = sandbox_run(job="probe", data=b"", limits=limits, args=["flood", str(100 * MB)])
    # Its stdout is a memory file bounded by RLIMIT_FSIZE: the write past it fails (EFBIG in
    # Python, which ignores SIGXFSZ; a C program such as FFmpeg is killed by SIGXFSZ).
    assert flood.returncode != 0
    assert len(flood.stdout) <= MB


PARSING_MODULES = [
    "src/hotline/intake/scrub/image.py",
    "src/hotline/intake/scrub/pdf.py",
    "src/hotline/intake/scrub/video.py",
    "src/hotline/hashing/video.py",
]


@pytest.mark.parametrize("module", PARSING_MODULES)
def test_every_evidence_child_is_started_through_the_one_sandbox_helper(module: str) -> None:
    root = Path(__file__).resolve().parents[2]
    tree = ast.parse((root / module).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "subprocess" not in imported
    assert "sandbox_run" in imported


def test_a_step_the_kernel_refuses_is_logged_once_by_name_and_nothing_else(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's first stderr line names refused steps; the rest (may quote a file) is not."""
    import hotline.sandbox as sandbox

    monkeypatch.setattr(sandbox, "_warned", set())
    stderr = (
        MISSING_PREFIX.encode()
        + b"landlock,seccomp,EvilName\n"
        + b"hotline-sandbox-missing: network_namespace\nsecret file text"
    )
    with caplog.at_level("WARNING", logger="hotline.sandbox"):
        sandbox._warn_missing_steps(stderr)
        sandbox._warn_missing_steps(stderr)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "without landlock" in messages[0]
    assert "without seccomp" in messages[1]
    assert not any("EvilName" in m or "secret" in m or "network" in m for m in messages)
