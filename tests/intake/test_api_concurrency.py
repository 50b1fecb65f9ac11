"""Concurrent retries: the same Idempotency-Key sent at once from several threads stores once.

Real concurrency needs real connections, so these tests commit (transaction=True) and each
thread uses its own database connection. On PostgreSQL the losers block on the unique
(partner, key) index until the winner commits, then replay its answer. SQLite's in-memory
test database serialises writers on one shared cache, where the race cannot happen.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from hotline.intake.models import IdempotentRequest, Report
from hotline.intake.partners import partner_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a write race needs concurrent writers (PostgreSQL); SQLite serialises them",
    ),
]

THREADS = 8


def race(token: str, bodies: list[dict[str, Any]], keys: list[str | None]) -> list[Any]:
    """POST each body at the same moment from its own thread; return the responses."""
    barrier = threading.Barrier(len(bodies))
    responses: list[Any] = [None] * len(bodies)
    errors: list[BaseException] = []

    def send(index: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if keys[index]:
            headers["Idempotency-Key"] = str(keys[index])
        try:
            barrier.wait(timeout=10)
            responses[index] = Client().post(
                "/api/v1/reports/batch",
                json.dumps(bodies[index]),
                content_type="application/json",
                headers=headers,
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


def batch(size: int, prefix: str = "") -> dict[str, Any]:
    return {
        "reports": [
            {
                "reporter_role": "myself",
                "categories": ["sextortion"],
                "narrative": f"report {n}",
                "partner_reference": f"{prefix}{n}" if prefix else "",
            }
            for n in range(size)
        ]
    }


def test_concurrent_retries_with_one_key_store_one_batch() -> None:
    _partner, token = partner_create(name="Racing partner")
    body = batch(50)
    responses = race(token, [body] * THREADS, ["same-key"] * THREADS)

    assert [r.status_code for r in responses] == [201] * THREADS
    answers = {json.dumps(r.json(), sort_keys=True) for r in responses}
    assert len(answers) == 1  # everyone got the winner's ids
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == THREADS - 1
    assert Report.objects.count() == 50
    assert IdempotentRequest.objects.count() == 1
    ids = {item["id"] for item in responses[0].json()["reports"]}
    assert ids == {str(u) for u in Report.objects.values_list("public_id", flat=True)}


def test_concurrent_batches_reusing_references_store_one() -> None:
    _partner, token = partner_create(name="Racing partner")
    body = batch(20, prefix="ref-")
    # Different keys (or none): only the partner_reference constraint stands between them.
    keys: list[str | None] = [f"key-{n}" if n % 2 else None for n in range(THREADS)]
    responses = race(token, [body] * THREADS, keys)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (THREADS - 1)
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"] == "partner_reference_conflict"
            assert len(response.json()["errors"]) == 20
    assert Report.objects.count() == 20
    assert IdempotentRequest.objects.count() <= 1


def test_concurrent_distinct_batches_all_succeed() -> None:
    _partner, token = partner_create(name="Racing partner")
    bodies = [batch(30, prefix=f"t{n}-") for n in range(THREADS)]
    responses = race(token, bodies, [f"k{n}" for n in range(THREADS)])
    assert [r.status_code for r in responses] == [201] * THREADS
    assert Report.objects.count() == 30 * THREADS
