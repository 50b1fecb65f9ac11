"""Partner API: submit one report or a batch, hashes instead of files, idempotency, status reads."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_q.models import OrmQ

from hotline.intake.api_schemas import Language
from hotline.intake.choices import ReportStatus
from hotline.intake.models import EvidenceHash, IdempotentRequest, Partner, Report
from hotline.intake.partners import (
    HASH_COLUMNS,
    REPORT_COLUMNS,
    WEB_FORM_ONLY_COLUMNS,
    partner_create,
    partner_token_rotate,
    token_digest,
)
from hotline.intake.selectors import report_details
from hotline.intake.services import PIPELINE_CHUNK, reports_pipeline_dispatch

pytestmark = pytest.mark.django_db

MD5 = "0123456789abcdef" * 2
SHA256 = "ab" * 32
PDQ = "f0" * 32


def report_body(**extra: Any) -> dict[str, Any]:
    """Return a valid report as a partner would send it."""
    body: dict[str, Any] = {
        "reporter_role": "someone_i_know",
        "categories": ["sextortion"],
        "platforms": ["telegram"],
        "usernames": ["@extorter_kh"],
        "phones": ["+855 12 345 678"],
        "money": "demanded",
        "amount": "200 USD",
        "payment_methods": ["wing"],
        "narrative": "A stranger recorded a video call and demands money.",
        "language": "en",
    }
    body.update(extra)
    return body


class Api:
    """A test client that authenticates as one partner and speaks JSON."""

    def __init__(self, name: str = "Partner hotline") -> None:
        self.partner, self.token = partner_create(name=name)
        self.client = Client()

    def post(self, path: str, body: Any, **headers: str) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.post(
            path, data, content_type="application/json", headers=self.headers(headers)
        )

    def get(self, path: str, **headers: str) -> Any:
        return self.client.get(path, headers=self.headers(headers))

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}


@pytest.fixture
def api() -> Api:
    return Api()


def queued_report_ids(*, dispatch: bool = True) -> list[list[int]]:
    """Return the report ids of each queued processing task.

    With `dispatch`, first do what the workers do at each poll: queue the pipeline for new
    reports (stored reports are their own outbox entries; the request queues nothing).
    """
    if dispatch:
        reports_pipeline_dispatch()
    batches = []
    for row in OrmQ.objects.all():
        task = row.task
        func_path, args = task["args"][:2]
        if func_path.startswith("hotline.intake.tasks.report_process"):
            batches.append(list(args))
    return batches


def test_submit_one_report_stores_it_encrypted_with_hashes(api: Api) -> None:
    hashes = [
        {"kind": "md5", "value": MD5.upper()},
        {"kind": "sha256", "value": SHA256},
        {"kind": "pdq", "value": PDQ, "quality": 87},
        {"kind": "md5", "value": MD5},  # the same hash again, in another case
    ]
    body = report_body(partner_reference="PH-2026-0001", hashes=hashes, in_danger=True)
    response = api.post("/api/v1/reports", body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["partner_reference"] == "PH-2026-0001"
    report = Report.objects.get(public_id=answer["id"])
    assert report.source == "api"
    assert report.partner == api.partner
    assert report.receipt_digest is None  # no person to show a receipt code to
    assert report.categories == ["sextortion"]
    assert report.language == "en"
    assert report.priority >= 100  # someone in danger comes first
    assert b"video call" not in bytes(report.details_ciphertext)
    details = report_details(report)
    assert details["narrative"] == body["narrative"]
    assert details["phones"] == ["+855 12 345 678"]
    stored = sorted(report.hashes.values_list("kind", "value", "quality"))
    assert stored == [("md5", MD5, None), ("pdq", PDQ, 87), ("sha256", SHA256, None)]
    assert queued_report_ids() == [[report.pk]]


def test_batch_is_stored_in_order_with_one_processing_task(api: Api) -> None:
    reports = [
        report_body(partner_reference=f"B-{n}", hashes=[{"kind": "sha256", "value": f"{n:064x}"}])
        for n in range(120)
    ]
    response = api.post("/api/v1/reports/batch", {"reports": reports})

    assert response.status_code == 201, response.content
    answer = response.json()["reports"]
    assert [item["partner_reference"] for item in answer] == [f"B-{n}" for n in range(120)]
    assert Report.objects.filter(partner=api.partner).count() == 120
    assert EvidenceHash.objects.count() == 120
    for item in answer[::17]:
        report = Report.objects.get(public_id=item["id"])
        number = int(item["partner_reference"][2:])
        assert report.hashes.get().value == f"{number:064x}"
        assert report_details(report)["narrative"] == reports[number]["narrative"]
    assert OrmQ.objects.count() == 0  # the request queues nothing; the workers will
    tasks = queued_report_ids()
    assert [len(task) for task in tasks] == [PIPELINE_CHUNK, 120 - PIPELINE_CHUNK]
    queued = sorted(pk for task in tasks for pk in task)
    assert queued == sorted(Report.objects.values_list("pk", flat=True))
    assert queued_report_ids() == tasks  # dispatched once: a second poll queues nothing


def test_batch_is_all_or_nothing_when_a_reference_was_used_before(api: Api) -> None:
    assert api.post("/api/v1/reports", report_body(partner_reference="R-7")).status_code == 201
    batch = {"reports": [report_body(partner_reference=f"R-{n}") for n in range(5, 10)]}
    response = api.post("/api/v1/reports/batch", batch)

    assert response.status_code == 409
    answer = response.json()
    assert answer["error"] == "partner_reference_conflict"
    assert answer["errors"] == [
        {"path": "body.reports.2.partner_reference", "message": "already used by an earlier report"}
    ]
    assert Report.objects.count() == 1
    assert len(queued_report_ids()) == 1


def test_two_partners_may_use_the_same_reference(api: Api) -> None:
    other = Api("Another partner")
    assert api.post("/api/v1/reports", report_body(partner_reference="X-1")).status_code == 201
    assert other.post("/api/v1/reports", report_body(partner_reference="X-1")).status_code == 201


def test_status_of_own_report_and_404_for_others_and_unknown(api: Api) -> None:
    created = api.post("/api/v1/reports", report_body(partner_reference="S-1")).json()
    Report.objects.filter(public_id=created["id"]).update(status=ReportStatus.IN_REVIEW)

    response = api.get(f"/api/v1/reports/{created['id']}")
    assert response.status_code == 200
    answer = response.json()
    assert answer["id"] == created["id"]
    assert answer["status"] == "in_review"
    assert answer["partner_reference"] == "S-1"
    assert "narrative" not in answer

    other = Api("Another partner")
    for_other = other.get(f"/api/v1/reports/{created['id']}")
    unknown = api.get(f"/api/v1/reports/{uuid.uuid4()}")
    assert for_other.status_code == unknown.status_code == 404
    assert for_other.json() == unknown.json()


def test_list_by_reference_and_newest_first(api: Api) -> None:
    other = Api("Another partner")
    other.post("/api/v1/reports", report_body(partner_reference="L-1"))
    for n in range(3):
        api.post("/api/v1/reports", report_body(partner_reference=f"L-{n}"))

    found = api.get("/api/v1/reports?reference=L-1").json()["reports"]
    assert len(found) == 1
    assert found[0]["partner_reference"] == "L-1"
    assert Report.objects.get(public_id=found[0]["id"]).partner == api.partner
    assert api.get("/api/v1/reports?reference=nothing").json() == {"reports": []}

    listed = api.get("/api/v1/reports?limit=2").json()["reports"]
    assert len(listed) == 2
    assert all(Report.objects.get(public_id=item["id"]).partner == api.partner for item in listed)
    everything = api.get("/api/v1/reports").json()["reports"]
    assert len(everything) == 3
    page_two = api.get("/api/v1/reports?limit=2&offset=2").json()["reports"]
    assert [item["id"] for item in listed + page_two] == [item["id"] for item in everything]


# Idempotency ------------------------------------------------------------------------------


def test_retry_with_same_key_and_body_replays_the_answer_and_creates_nothing(api: Api) -> None:
    batch = {"reports": [report_body(), report_body(narrative="second")]}
    first = api.post("/api/v1/reports/batch", batch, **{"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/reports/batch", batch, **{"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Report.objects.count() == 2
    assert IdempotentRequest.objects.get().key == "k-1"
    assert len(queued_report_ids()) == 1


def test_single_report_retry_replays(api: Api) -> None:
    first = api.post("/api/v1/reports", report_body(), **{"Idempotency-Key": "one"})
    again = api.post("/api/v1/reports", report_body(), **{"Idempotency-Key": "one"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Report.objects.count() == 1


def test_same_key_with_another_body_or_endpoint_is_refused(api: Api) -> None:
    headers = {"Idempotency-Key": "k-2"}
    assert api.post("/api/v1/reports", report_body(), **headers).status_code == 201

    changed = api.post("/api/v1/reports", report_body(narrative="changed"), **headers)
    assert changed.status_code == 422
    assert changed.json()["error"] == "idempotency_key_reused"
    assert changed.json()["errors"][0]["path"] == "header.Idempotency-Key"

    elsewhere = api.post("/api/v1/reports/batch", {"reports": [report_body()]}, **headers)
    assert elsewhere.status_code == 422
    assert Report.objects.count() == 1


def test_keys_belong_to_one_partner(api: Api) -> None:
    other = Api("Another partner")
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/api/v1/reports", report_body(), **headers)
    theirs = other.post("/api/v1/reports", report_body(), **headers)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert Report.objects.count() == 2


def test_a_refused_request_is_not_remembered(api: Api) -> None:
    headers = {"Idempotency-Key": "k-3"}
    bad = api.post("/api/v1/reports", report_body(categories=["nope"]), **headers)
    assert bad.status_code == 400
    assert not IdempotentRequest.objects.exists()
    good = api.post("/api/v1/reports", report_body(), **headers)
    assert good.status_code == 201


def test_without_a_key_a_retry_creates_a_second_report(api: Api) -> None:
    # The documented behaviour: without a key (or a partner_reference) nothing ties a
    # retry to the first attempt.
    api.post("/api/v1/reports", report_body())
    api.post("/api/v1/reports", report_body())
    assert Report.objects.count() == 2


# Tokens, schema, command ------------------------------------------------------------------


def test_tokens_are_stored_only_as_digests() -> None:
    partner, token = partner_create(name="Digest check")
    assert token.startswith("ohp_")
    assert len(token) > 40
    partner.refresh_from_db()
    assert partner.token_digest == token_digest(token)
    assert token not in partner.token_digest
    # Nowhere else either: no column of any table (audit details included) holds the token or
    # its secret part, and a rotated token's replacement is not kept in clear.
    rotated = partner_token_rotate(partner=partner)
    secrets = [token, token.removeprefix("ohp_"), rotated, rotated.removeprefix("ohp_")]
    for model in apps.get_models():
        for row in model.objects.all().values():
            for name, value in row.items():
                raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                for secret in secrets:
                    assert secret.encode() not in raw, f"{model._meta.label}.{name} holds a token"


def test_rotating_a_token_stops_the_old_one() -> None:
    partner, old = partner_create(name="Rotating")
    new = partner_token_rotate(partner=partner)
    client = Client()
    old_answer = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {old}"})
    new_answer = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {new}"})
    assert old_answer.status_code == 401
    assert new_answer.status_code == 200


def test_createpartner_prints_a_working_token(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("createpartner", "Child Helpline Example")
    out = capsys.readouterr().out
    token = next(word for word in out.split() if word.startswith("ohp_"))
    response = Client().get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert Partner.objects.get().name == "Child Helpline Example"


def test_createpartner_refuses_a_duplicate_and_rotates_on_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("createpartner", "Dup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createpartner", "Dup")
    with pytest.raises(CommandError, match="No partner"):
        call_command("createpartner", "Missing", "--rotate")
    capsys.readouterr()
    call_command("createpartner", "Dup", "--rotate")
    assert "ohp_" in capsys.readouterr().out
    assert Partner.objects.count() == 1


def test_openapi_schema_is_served_and_self_contained() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/reports", "/api/v1/reports/batch", "/api/v1/reports/{public_id}"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["PartnerToken"]["scheme"] == "bearer"
    assert "http://" not in response.content.decode()
    assert "https://" not in response.content.decode()
    assert Client().get("/api/docs").status_code == 404


def test_language_choices_follow_the_site_languages(settings: Any) -> None:
    from typing import get_args

    assert set(get_args(Language)) == {code for code, _name in settings.LANGUAGES}


def test_bulk_insert_columns_cover_every_report_and_hash_column() -> None:
    # The fast path writes rows column by column: a new model field must be added there too.
    report_columns = {f.column for f in Report._meta.concrete_fields} - {"id"}
    assert set(REPORT_COLUMNS) | set(WEB_FORM_ONLY_COLUMNS) == report_columns
    assert len(REPORT_COLUMNS) + len(WEB_FORM_ONLY_COLUMNS) == len(report_columns)
    assert all(Report._meta.get_field(name).null for name in WEB_FORM_ONLY_COLUMNS)
    assert set(HASH_COLUMNS) == {f.column for f in EvidenceHash._meta.concrete_fields} - {"id"}


def test_a_failing_report_does_not_hold_back_its_batch(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from hotline.intake import tasks

    answer = api.post("/api/v1/reports/batch", {"reports": [report_body() for _ in range(3)]})
    ids = sorted(Report.objects.values_list("pk", flat=True))
    processed: list[int] = []

    def process(report_id: int) -> None:
        # Stands in for a pipeline step that breaks on one particular report.
        if report_id == ids[1]:
            raise RuntimeError("broken report")
        processed.append(report_id)

    monkeypatch.setattr(tasks, "report_process", process)
    OrmQ.objects.all().delete()
    tasks.report_process_many(*ids)

    assert answer.status_code == 201
    assert processed == [ids[0], ids[2]]
    assert queued_report_ids(dispatch=False) == [[ids[1]]]
    assert "failed in its batch" in caplog.text
