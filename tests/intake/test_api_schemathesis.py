"""Schemathesis against /api/openapi.json: no generated request, valid or not, may give a 5xx.

The schema is loaded from the running Django WSGI app (no network), and requests carry a real
partner token created in the test database, so the generated bodies reach the real handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hotline.intake.models import Partner
from hotline.intake.partners import PartnerReport, partner_create, partner_reports_submit
from hotline.intake.services import ReportInput


@pytest.fixture
def partner(db: None) -> tuple[Partner, str]:
    return partner_create(name="Schemathesis partner")


@pytest.fixture
def token(partner: tuple[Partner, str]) -> str:
    return partner[1]


@pytest.fixture
def own_report_id(partner: tuple[Partner, str]) -> str:
    """Return the id of a report the partner submitted (random ids only ever reach a 404)."""
    # Through the service, not the test client: the client would reconnect the signal
    # handlers that _keep_test_connection takes away.
    submission = partner_reports_submit(
        partner=partner[0],
        reports=[PartnerReport(ReportInput(reporter_role="myself", categories=["sextortion"]))],
    )
    return str(submission.body["reports"][0]["id"])  # type: ignore[index]


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """Keep the test's transaction open across WSGI requests, as Django's test client does.

    Outside the test client, the end of each request closes a connection that is not in
    autocommit mode - which, on PostgreSQL, is the test's own transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded eagerly (serving the schema needs no database): schemathesis' lazy
# `from_fixture` loader does not work with pytest 9 (it sets the removed `Node._nodeid`).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    # One partner (and its growing set of reports) for all examples is what we want.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_test_connection")
def test_api_never_fails_and_answers_as_documented(
    case: Any, token: str, own_report_id: str
) -> None:
    # Schemathesis' WSGI transport asks for gzip but does not decode it (answers are gzipped
    # by GZipMiddleware, tested in tests/core/test_page_compression.py).
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    if case.meta.generation.mode is GenerationMode.POSITIVE and "Idempotency-Key" in (
        case.headers or {}
    ):
        # Hypothesis reuses small keys ("0") with new bodies, which only ever reaches the
        # 422 answer; a fresh key sends the generated report through to storage.
        # (Replays and reuse are tested in test_api.py.)
        headers["Idempotency-Key"] = uuid.uuid4().hex
    positive = case.meta.generation.mode is GenerationMode.POSITIVE
    own = (
        positive
        and case.method == "GET"
        and case.path == "/api/v1/reports/{public_id}"
        and int(str(case.path_parameters["public_id"])[-1], 16) % 2 == 0
    )
    if own:
        # Half the time, one of the partner's own reports: its 200 answer is checked too.
        case.path_parameters = {**case.path_parameters, "public_id": own_report_id}
    response = case.call_and_validate(
        headers=headers,
        checks=[
            not_a_server_error,
            response_schema_conformance,
            status_code_conformance,
            content_type_conformance,
        ],
    )
    if positive:
        # A valid request with the partner's token reaches the handler: it is not refused at
        # the door (which would make every check above vacuous).
        assert response.status_code not in {401, 403}, response.text
    if own:
        assert response.status_code == 200, response.text
        assert response.json()["id"] == own_report_id
