"""What OpenHotline writes is readable by its own user only; `hotline hash` writes nothing."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from process_helpers import RUN_STOP_SECONDS, WebClient, free_port, http_get, kill_group, wait_for

pytestmark = pytest.mark.slow
HOTLINE = str(Path(sys.executable).with_name("hotline"))


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_", "PYTEST_"))
    }
    env.update(extra)
    return env


def run(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [HOTLINE, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, f"hotline {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def png(seed: int) -> bytes:
    image = Image.effect_noise((96, 96), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def loose_modes(root: Path) -> list[str]:
    """Return every file or folder under `root` (itself included) that others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_IMODE(mode) & 0o077:
            found.append(f"{path.relative_to(root.parent)} {stat.filemode(mode)}")
    return found


def test_hash_creates_nothing_in_the_folder_it_runs_from(tmp_path: Path) -> None:
    picture = tmp_path / "picture.png"
    picture.write_bytes(png(1))
    cwd = tmp_path / "empty"
    cwd.mkdir()
    done = run(clean_env(), "hash", str(picture), cwd=cwd)
    assert json.loads(done.stdout)["pdq"]
    assert list(cwd.iterdir()) == []


def test_real_commands_create_only_private_files_and_folders(tmp_path: Path) -> None:
    data = tmp_path / "data"  # does not exist yet: the first command makes it
    env = clean_env(
        HOTLINE_DATA_DIR=str(data),
        HOTLINE_ACCESS_LOG=str(data / "access.log"),
        HOTLINE_WORKER_PROCESSES="1",
        PYTHONUNBUFFERED="1",
    )
    run(env, "migrate", "-v0")
    run(env, "hashbank", "create", "known")
    listing = tmp_path / "known.csv"
    pdq = json.loads(run(env, "hash", str(_write(tmp_path / "k.png", png(2)))).stdout)["pdq"]
    listing.write_text(f"{pdq},pdq,known\n")
    run(env, "hashbank", "import", "known", str(listing))

    port = free_port()
    with (tmp_path / "run.log").open("wb") as log:
        server = subprocess.Popen(
            [HOTLINE, "run", "--port", str(port), "--processes", "1", "--threads", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        server.log_path = tmp_path / "run.log"  # type: ignore[attr-defined]
        wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz")
        client = WebClient(base)
        hidden = client.form_fields("/report/")
        fields = [
            ("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]),
            ("submission_token", hidden["submission_token"]),
            ("in_danger", "no"),
            ("reporter_role", "myself"),
            ("categories", "sextortion"),
            ("narrative", "He wants money or he sends the picture."),
            ("money", "demanded"),
        ]
        body, content_type = multipart(fields, [("evidence_files", "a.png", png(3))])
        request = urllib.request.Request(
            f"{base}/report/",
            data=body,
            headers={"Content-Type": content_type, "Referer": f"{base}/report/"},
        )
        with client.opener.open(request, timeout=60) as response:
            page = response.read().decode()
        assert re.search(r'id="receipt-code"', page), page[:2000]
        uploads = data / "uploads"
        wait_for(lambda: uploads.is_dir() and any(uploads.iterdir()), timeout=60, what="upload")
        # The worker hashes and matches the report: wait until the queue is empty.
        wait_for(
            lambda: re.search(r"Queue: 0\b[^;]*; 0 running", run(env, "status").stdout),
            timeout=120,
            interval=1,
            what="the worker to finish",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=RUN_STOP_SECONDS)
        finally:
            kill_group(server)

    made = {p.name for p in data.rglob("*")}
    for expected in ("hotline.sqlite3", "keys.json", "uploads", "pdq-index", "access.log"):
        assert expected in made, sorted(made)
    assert loose_modes(data) == []


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
