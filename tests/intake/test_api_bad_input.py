"""Partner API bad input: wrong tokens, schema violations with paths, broken or huge bodies.

Every answer is JSON of one shape, and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hotline.intake.models import IdempotentRequest, Partner, Report
from hotline.intake.partners import partner_create

pytestmark = pytest.mark.django_db

GOOD = {"reporter_role": "myself", "categories": ["sextortion"]}


@pytest.fixture
def token() -> str:
    return partner_create(name="Partner")[1]


def post(path: str, body: Any, token: str | None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body)
    return Client().post(path, data, content_type="application/json", headers=headers)


def paths(response: Any) -> list[str]:
    return [item["path"] for item in response.json()["errors"]]


def assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert set(answer) == {"error", "message", "errors"}
    assert answer["message"]
    return answer


# 401 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer ohp_wrong",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 5000,
        "Bearer ohp_\u17a2",  # a Khmer letter
    ],
)
def test_missing_or_wrong_token_is_401(token: str, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in [("post", "/api/v1/reports"), ("get", "/api/v1/reports")]:
        client = Client()
        if method == "post":
            response = client.post(
                path, json.dumps(GOOD), content_type="application/json", headers=headers
            )
        else:
            response = client.get(path, headers=headers)
        answer = assert_error_shape(response, 401)
        assert answer["error"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Report.objects.exists()


def test_inactive_partner_is_401(token: str) -> None:
    Partner.objects.update(active=False)
    assert_error_shape(post("/api/v1/reports", GOOD, token), 401)
    assert not Report.objects.exists()


def test_a_token_differing_in_case_is_refused(token: str) -> None:
    assert_error_shape(post("/api/v1/reports", GOOD, token.swapcase()), 401)


def test_unauthenticated_body_is_not_even_parsed() -> None:
    # A wrong token never learns whether its body was valid.
    assert_error_shape(post("/api/v1/reports", b"{not json", "wrong"), 401)


# 400 with field paths --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"categories": ["sextortion", "nope"]}, "body.categories.1"),
        ({"categories": []}, "body.categories"),
        ({"reporter_role": "robot"}, "body.reporter_role"),
        ({"victim_age": "12"}, "body.victim_age"),
        ({"victim_gender": "girl"}, "body.victim_gender"),
        ({"victim_gender": ["female"]}, "body.victim_gender"),
        ({"province": "Phnom Penh"}, "body.province"),
        ({"province": "p" * 10_000}, "body.province"),
        ({"platforms": ["myspace"]}, "body.platforms.0"),
        ({"money": "maybe"}, "body.money"),
        ({"payment_methods": ["gold"]}, "body.payment_methods.0"),
        ({"help_wanted": ["everything"]}, "body.help_wanted.0"),
        ({"language": "fr"}, "body.language"),
        ({"narrative": "x" * 20_001}, "body.narrative"),
        ({"narrative": "a\x00b"}, "body.narrative"),
        ({"started": "x" * 201}, "body.started"),
        ({"amount": "x" * 101}, "body.amount"),
        ({"contact": "x" * 301, "consent_contact": True}, "body.contact"),
        ({"contact": "+855 12 345 678"}, "body.consent_contact"),
        ({"contact": "a\nb", "consent_contact": True}, "body.contact"),
        ({"links": ["https://example.org/x"] * 51}, "body.links"),
        ({"links": ["x" * 501]}, "body.links.0"),
        ({"links": [""]}, "body.links.0"),
        ({"usernames": ["one\ntwo"]}, "body.usernames.0"),
        ({"phones": [12345]}, "body.phones.0"),
        ({"payment_accounts": "not a list"}, "body.payment_accounts"),
        ({"partner_reference": "r" * 201}, "body.partner_reference"),
        ({"in_danger": "yes"}, "body.in_danger"),
        ({"consent_contact": 1}, "body.consent_contact"),
        ({"hashes": [{"kind": "sha1", "value": "ab" * 32}]}, "body.hashes.0.kind"),
        ({"hashes": [{"kind": "md5", "value": "ab" * 32}]}, "body.hashes.0.value"),
        ({"hashes": [{"kind": "pdq", "value": "zz" * 32}]}, "body.hashes.0.value"),
        (
            {"hashes": [{"kind": "pdq", "value": "ab" * 32, "quality": 101}]},
            "body.hashes.0.quality",
        ),
        (
            {"hashes": [{"kind": "pdq", "value": "ab" * 32, "quality": "90"}]},
            "body.hashes.0.quality",
        ),
        ({"hashes": [{"kind": "pdq", "value": "ab" * 32, "file": "x"}]}, "body.hashes.0.file"),
        ({"hashes": [{"kind": "md5", "value": "ab" * 16}] * 51}, "body.hashes"),
        ({"evidence_files": ["x"]}, "body.evidence_files"),
    ],
)
def test_schema_violations_are_400_with_the_failing_path(
    token: str, change: dict[str, Any], path: str
) -> None:
    response = post("/api/v1/reports", {**GOOD, **change}, token)
    answer = assert_error_shape(response, 400)
    assert answer["error"] == "invalid_request"
    assert paths(response) == [path]
    assert not Report.objects.exists()


def test_missing_required_fields_are_named(token: str) -> None:
    response = post("/api/v1/reports", {}, token)
    assert_error_shape(response, 400)
    assert sorted(paths(response)) == ["body.categories", "body.reporter_role"]


def test_batch_errors_name_the_report_and_store_nothing(token: str) -> None:
    reports = [dict(GOOD) for _ in range(5)]
    reports[3] = {**GOOD, "categories": ["sextortion", "bad"]}
    reports[4] = {**GOOD, "hashes": [{"kind": "md5", "value": "0"}]}
    response = post("/api/v1/reports/batch", {"reports": reports}, token)
    assert_error_shape(response, 400)
    assert paths(response) == ["body.reports.3.categories.1", "body.reports.4.hashes.0.value"]
    assert not Report.objects.exists()


def test_batch_limits(token: str) -> None:
    empty = post("/api/v1/reports/batch", {"reports": []}, token)
    assert_error_shape(empty, 400)
    assert paths(empty) == ["body.reports"]
    too_many = post("/api/v1/reports/batch", {"reports": [GOOD] * 501}, token)
    assert_error_shape(too_many, 400)
    assert paths(too_many) == ["body.reports"]
    assert post("/api/v1/reports/batch", {"reports": [GOOD] * 500}, token).status_code == 201


def test_repeated_reference_within_a_batch_is_400(token: str) -> None:
    reports = [
        {**GOOD, "partner_reference": "A"},
        {**GOOD, "partner_reference": "B"},
        {**GOOD, "partner_reference": "A"},
        {**GOOD},
        {**GOOD},  # empty references may repeat
    ]
    response = post("/api/v1/reports/batch", {"reports": reports}, token)
    assert_error_shape(response, 400)
    assert paths(response) == ["body.reports.2.partner_reference"]
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("key", "ok"),
    [("a" * 200, True), ("a" * 201, False), ("has space", False), ("\u17a2", False)],
)
def test_idempotency_key_format(token: str, key: str, ok: bool) -> None:
    try:
        response = post("/api/v1/reports", GOOD, token, **{"Idempotency-Key": key})
    except UnicodeEncodeError:
        # The test client (like any HTTP/1.1 client) cannot send a non-Latin-1 header.
        assert not ok
        return
    if ok:
        assert response.status_code == 201
    else:
        assert_error_shape(response, 400)
        assert paths(response) == ["header.Idempotency-Key"]
        assert not IdempotentRequest.objects.exists()


def test_bad_query_and_path_parameters_are_400(token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    bad_id = Client().get("/api/v1/reports/not-a-uuid", headers=headers)
    assert_error_shape(bad_id, 400)
    assert paths(bad_id) == ["path.public_id"]
    bad_limit = Client().get("/api/v1/reports?limit=1000", headers=headers)
    assert_error_shape(bad_limit, 400)
    assert paths(bad_limit) == ["query.limit"]
    bad_offset = Client().get("/api/v1/reports?offset=-1", headers=headers)
    assert paths(bad_offset) == ["query.offset"]
    # PostgreSQL refuses NUL in text: it must be a 400 here, not a database error.
    nul = Client().get("/api/v1/reports?reference=a%00b", headers=headers)
    assert_error_shape(nul, 400)
    assert paths(nul) == ["query.reference"]


# Bodies that are not JSON, not UTF-8, or too large -----------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe{}",
        '{"reporter_role": "myself", "narrative": "caf\u00e9"}'.encode("latin-1"),
        b'{"reporter_role": "myself", "categories": ["other"], "x": NaN}',
        b'{"reporter_role": "myself", "categories": ["other"], "x": Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
        b'["reporter_role", "myself"]',
        b'"just a string"',
        b"null",
        b"reporter_role=myself&categories=other",
    ],
)
def test_unparseable_bodies_are_400(token: str, body: bytes) -> None:
    answer = assert_error_shape(post("/api/v1/reports", body, token), 400)
    assert answer["error"] == "invalid_json"
    assert [item["path"] for item in answer["errors"]] == ["body"]
    assert not Report.objects.exists()


def test_escaped_lone_surrogate_is_400_not_500(token: str) -> None:
    body = b'{"reporter_role": "myself", "categories": ["other"], "narrative": "\\ud800"}'
    response = post("/api/v1/reports", body, token)
    assert_error_shape(response, 400)
    assert paths(response) == ["body.narrative"]


def test_khmer_text_in_escaped_and_raw_utf8_is_accepted(token: str) -> None:
    narrative = "\u1781\u17d2\u1789\u17bb\u17c6\U0001f600"
    raw = json.dumps({**GOOD, "narrative": narrative}, ensure_ascii=False).encode()
    escaped = json.dumps({**GOOD, "narrative": narrative}).encode()
    assert post("/api/v1/reports", raw, token).status_code == 201
    assert post("/api/v1/reports", escaped, token).status_code == 201


def test_empty_body_is_400(token: str) -> None:
    response = post("/api/v1/reports", b"", token)
    assert_error_shape(response, 400)


def test_ten_megabyte_body_is_413(token: str) -> None:
    body = json.dumps({**GOOD, "narrative": "x" * (10 * 1024 * 1024)}).encode()
    answer = assert_error_shape(post("/api/v1/reports", body, token), 413)
    assert answer["error"] == "too_large"
    batch = json.dumps({"reports": [{**GOOD, "narrative": "y" * 19_000}] * 500}).encode()
    assert_error_shape(post("/api/v1/reports/batch", batch, token), 413)
    assert not Report.objects.exists()


@pytest.mark.parametrize("path", ["/api/", "/api/v2/reports", "/api/v1/reports/batch/extra"])
def test_unknown_api_paths_are_json_404(token: str, path: str) -> None:
    response = Client().get(path, headers={"Authorization": f"Bearer {token}"})
    answer = assert_error_shape(response, 404)
    assert answer["error"] == "not_found"


def test_wrong_method_is_405_and_stores_nothing(token: str) -> None:
    response = Client().put(
        "/api/v1/reports/batch",
        "{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 405
    assert not Report.objects.exists()
