"""What hotline.tasks relies on in django-q2, checked against the installed version.

`enqueue` uses django-q2's public `async_task`; the broker (hotline.tasks.broker) subclasses
the ORM broker and mirrors its table semantics. pyproject.toml pins django-q2 to the minor
version these tests passed with; when it moves, these tests say what changed.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task
from packaging.requirements import Requirement

from hotline.tasks import queue
from hotline.tasks.broker import EXECUTE, HOLDER, HotlineBroker, count_delivery

pytestmark = pytest.mark.django_db

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


class CapturingBroker(ORM):  # type: ignore[misc]
    """django-q2's own ORM broker that also keeps what it was given."""

    payloads: list[str] = []

    def enqueue(self, task: str) -> int:
        self.payloads.append(task)
        return 0


def test_django_q2_is_pinned_to_a_minor_range_that_holds_the_installed_version() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (line,) = [d for d in dependencies if Requirement(d).name == "django-q2"]
    specifier = Requirement(line).specifier
    assert any(spec.operator == "<" for spec in specifier), f"no upper bound: {line}"
    assert specifier.contains(version("django-q2")), (line, version("django-q2"))


def test_enqueue_writes_the_package_django_q2s_async_task_builds_for_the_same_call() -> None:
    job_id = queue.enqueue("some.module.task", 7, "x")
    ours = SignedPackage.loads(OrmQ.objects.get().payload)

    CapturingBroker.payloads = []
    async_task(
        EXECUTE,
        "some.module.task",
        [7, "x"],
        1,
        job_id,
        task_name=f"some.module.task#{job_id}/1",
        broker=CapturingBroker(),
    )
    (payload,) = CapturingBroker.payloads
    theirs = SignedPackage.loads(payload)

    assert set(ours) == set(theirs) == {"id", "name", "func", "args", "kwargs", "started"}
    for key in ("name", "func", "args", "kwargs"):
        assert ours[key] == theirs[key], key
    assert ours["args"] == ("some.module.task", [7, "x"], 1, job_id)
    assert ours["id"] != theirs["id"]


def _taken_lock(row_id: int) -> Any:
    return OrmQ.objects.get(pk=row_id).lock


@pytest.mark.parametrize("broker_class", [ORM, HotlineBroker], ids=["django-q2", "hotline"])
def test_orm_broker_table_semantics_that_the_hotline_broker_mirrors(
    broker_class: type[ORM],
) -> None:
    """Due means lock <= now; taking sets lock to now + retry; acknowledging deletes."""
    broker = broker_class(list_key=Conf.CLUSTER_NAME)
    payload = SignedPackage.dumps({"id": "1", "func": "x.y", "args": (), "kwargs": {}})
    before = timezone.now()
    row_id = broker.enqueue(payload)
    assert OrmQ.objects.filter(pk=row_id, key=Conf.CLUSTER_NAME, lock__lte=timezone.now()).exists()

    ((taken_id, taken_payload),) = broker.dequeue()
    assert taken_id == row_id
    assert SignedPackage.loads(taken_payload) == SignedPackage.loads(payload)
    lease = timedelta(seconds=Conf.RETRY)
    assert before + lease <= _taken_lock(row_id) <= timezone.now() + lease
    assert broker.timeout(OrmQ.objects.get(pk=row_id)) >= _taken_lock(row_id)
    assert not broker.dequeue()  # leased: nobody else takes it

    broker.acknowledge(row_id)
    assert not OrmQ.objects.filter(pk=row_id).exists()


def test_holder_key_survives_django_q2s_signing_next_to_its_own_keys() -> None:
    package = {"id": "1", "func": EXECUTE, "args": ("f", [], 1, "j"), "kwargs": {}}
    rewritten = SignedPackage.loads(count_delivery(SignedPackage.dumps(package), holder=42))
    assert rewritten[HOLDER] == 42
    assert rewritten["kwargs"] == {"delivery": 1}
    assert {key: rewritten[key] for key in ("id", "func", "args")} == {
        key: package[key] for key in ("id", "func", "args")
    }
