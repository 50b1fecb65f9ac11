"""Key rotation and the key check with real processes: `hotline keys`, `hotline worker`, SIGKILL.

Each test gets a throwaway install (SQLite, or PostgreSQL when the suite runs on it).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from process_helpers import Install, base_env, group_alive, kill_group, wait_for

pytestmark = pytest.mark.slow

REPORTS = 30_000
WITH_FILES = 10

# Reports and messages in bulk (sealed as the services seal them), a few with evidence files.
SETUP = """
import uuid
from django.utils import timezone
from hotline.intake.evidence import evidence_prepare
from hotline.intake.models import Message, Report
from hotline.intake.services import ReportInput, report_submit
from hotline.vault import services as vault
from PIL import Image
import io
now = timezone.now()
ids = [uuid.uuid4() for _ in range(%(reports)d)]
blobs = vault.encrypt_many(
    [(b'{"narrative": "report %%d"}' %% i, f"intake.report:{u}:details") for i, u in enumerate(ids)]
)
Report.objects.bulk_create(
    [Report(public_id=u, created_at=now, updated_at=now, reporter_role="myself",
            details_ciphertext=b, pipeline_queued=True) for u, b in zip(ids, blobs)],
    batch_size=2000,
)
reports = dict(Report.objects.values_list("public_id", "pk"))
mids = [uuid.uuid4() for _ in ids]
bodies = vault.encrypt_many(
    [(b"message %%d" %% i, f"intake.message:{m}") for i, m in enumerate(mids)]
)
Message.objects.bulk_create(
    [Message(public_id=m, report_id=reports[u], author="staff", body_ciphertext=b,
             created_at=now) for m, u, b in zip(mids, ids, bodies)],
    batch_size=2000,
)
for i in range(%(files)d):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (i * 20 %% 255, 80, 120)).save(buffer, "PNG")
    evidence = evidence_prepare(filename=f"photo-{i}.png", data=buffer.getvalue())
    report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"],
                         keep_original_for_police=True),
        evidence=[evidence],
    )
Report.objects.update(pipeline_queued=True)
"""

# Decrypt everything; print the counts of blobs not under `kid` and of failures.
VERIFY = """
import json
from hotline.intake.models import EvidenceFile, Message, Report
from hotline.keys.selectors import blobs_not_under_key
from hotline.vault import services as vault
failed = 0
for r in Report.objects.all().iterator():
    try:
        vault.decrypt(bytes(r.details_ciphertext), context=r.details_context)
    except vault.VaultError:
        failed += 1
for m in Message.objects.all().iterator():
    try:
        vault.decrypt(bytes(m.body_ciphertext), context=m.context)
    except vault.VaultError:
        failed += 1
for e in EvidenceFile.objects.select_related("report"):
    vault.file_read(name=e.working_name, context=e.context)
    vault.file_read(name=e.original_name, context=e.context + ":original")
    vault.decrypt(bytes(e.filename_ciphertext), context=e.context + ":name")
left = {k: v for k, v in blobs_not_under_key(%(kid)r).items() if v}
print(json.dumps({"failed": failed, "left": left}))
"""


def shell(install: Install, code: str) -> str:
    done = install.run("shell", "--no-imports", "-c", code, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def query(install: Install, sql: str) -> list[tuple[Any, ...]]:
    url = install.env.get("HOTLINE_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return list(conn.execute(sql).fetchall())
    with sqlite3.connect(install.data_dir / "hotline.sqlite3", timeout=10) as conn:
        return list(conn.execute(sql).fetchall())


def rotation(install: Install) -> dict[str, Any]:
    rows = query(install, "SELECT state, progress, passes FROM keys_keyrotation ORDER BY id DESC")
    state, progress, passes = rows[0]
    progress = json.loads(progress) if isinstance(progress, str) else progress
    return {"state": state, "progress": progress, "passes": passes}


def verify(install: Install, kid: str) -> dict[str, Any]:
    return json.loads(shell(install, VERIFY % {"kid": kid}).splitlines()[-1])  # type: ignore[no-any-return]


def test_a_worker_killed_mid_rotation_resumes_and_leaves_nothing_on_the_old_key(
    install: Install,
) -> None:
    shell(install, SETUP % {"reports": REPORTS, "files": WITH_FILES})
    env = {
        "HOTLINE_TASK_TIMEOUT": "10",
        "HOTLINE_TASK_RETRY": "12",
        "HOTLINE_KEY_ROTATION_CHUNK": "100",
        "HOTLINE_WORKER_PROCESSES": "1",
    }
    first = install.start("worker", **env)
    done = install.run("keys", "rotate")
    assert done.returncode == 0, done.stderr
    assert "New data key k2 is current (was k1)" in done.stdout
    wait_for(
        lambda: rotation(install)["progress"]["intake.report.details"]["done"] >= 1000,
        timeout=120,
        interval=0.02,
        what="the re-encryption to be under way",
        alive=first,
    )
    kill_group(first)
    wait_for(lambda: not group_alive(first.pid), timeout=10, what="the worker to die")
    at_kill = rotation(install)
    assert at_kill["state"] == "running"
    steps = at_kill["progress"].values()
    done_at_kill = sum(step["done"] for step in steps)
    total = sum(step["total"] for step in steps)
    # Reports, messages (bulk reports only), file names, evidence rows (their files).
    assert total == (REPORTS + WITH_FILES) + REPORTS + WITH_FILES + WITH_FILES
    assert 1000 <= done_at_kill < total, at_kill
    # Half done: every value reads (both keys are in the key file), old and new side by side.
    half = verify(install, "k2")
    assert half["failed"] == 0
    for name in ("intake.report.details", "intake.message.body"):
        step = at_kill["progress"][name]
        assert half["left"].get(name, 0) == step["total"] - step["done"]
    again = install.run("keys", "rotate")
    assert again.returncode != 0
    assert again.stderr.strip().startswith("CommandError: a key rotation is already running")
    refused = install.run("keys", "retire", "k1")
    assert refused.returncode != 0
    assert "a key rotation is running" in refused.stderr

    second = install.start("worker", **env)
    wait_for(
        lambda: rotation(install)["state"] == "done",
        timeout=240,
        what="the rotation to finish on the new worker",
        alive=second,
    )
    end = rotation(install)
    assert end["progress"]["intake.message.body"]["done"] == REPORTS
    assert end["progress"]["intake.evidencefile.files"]["done"] == WITH_FILES
    assert verify(install, "k2") == {"failed": 0, "left": {}}
    status = install.run("keys", "status")
    assert "data key k1 -> k2, done" in status.stdout
    retired = install.run("keys", "retire", "k1")
    assert retired.returncode == 0, retired.stderr
    assert set(json.loads((install.data_dir / "keys.json").read_text())["vault_keys"]) == {"k2"}
    assert verify(install, "k2") == {"failed": 0, "left": {}}


def _second_install(tmp_path: Path) -> dict[str, str]:
    """Make another install (SQLite) with its own key file; return its environment."""
    env = base_env(tmp_path / "other", None)
    env.pop("HOTLINE_DATABASE_URL", None)
    return env


def test_a_key_file_from_another_install_is_refused_and_its_own_runs(
    install: Install, tmp_path: Path
) -> None:
    other = Install(data_dir=tmp_path / "other", env=_second_install(tmp_path))
    assert other.run("migrate", "-v0").returncode == 0
    mine, theirs = install.data_dir / "keys.json", other.data_dir / "keys.json"
    assert mine.read_bytes() != theirs.read_bytes()
    for who, foreign in ((install, theirs), (other, mine)):
        for args in (("keys", "status"), ("worker",), ("run", "--port", "1")):
            done = who.run(*args, timeout=60, HOTLINE_KEY_FILE=str(foreign))
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            line = done.stderr.strip()
            assert line == (
                f"hotline: the key file {foreign} does not belong to this database: its key"
                " vault:k1 differs from the one that encrypted stored data. Restore the right key"
                " file from backup."
            )
            assert line.isascii()
        own = who.run("keys", "status")
        assert own.returncode == 0, own.stderr
        assert "data keys k1 (current k1)" in own.stdout
    worker = install.start("worker")
    wait_for(
        lambda: install.run("status").returncode == 0,
        timeout=60,
        what="the worker with its own key file",
        alive=worker,
    )
