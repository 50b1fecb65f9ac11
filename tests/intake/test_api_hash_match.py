"""Partner API hash check: POST /api/v1/hashes/match against the hotline's hash lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from hotline.hashing.index import DEFAULT_THRESHOLD
from hotline.hashing.models import BankCategory, HashType
from hotline.hashing.services import bank_create, entry_add, entry_set_enabled, victim_bank
from hotline.intake.api import HASH_CHECK_LIMIT_ENV
from hotline.intake.api_schemas import MAX_HASH_QUERIES
from hotline.intake.partners import partner_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/hashes/match"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d35c785545392755e7e4164457657269"
SHA = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"


@pytest.fixture(autouse=True)
def _fresh_state(tmp_path: Path, settings: object) -> Any:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]
    cache.clear()  # throttle counts live in the in-memory cache
    yield
    cache.clear()


@pytest.fixture
def token() -> str:
    return partner_create(name="Platform partner")[1]


def flip_bits(hex_value: str, n: int) -> str:
    value = int(hex_value, 16)
    for bit in range(n):
        value ^= 1 << (bit * 7 % 256)
    return f"{value:064x}"


def check(body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return Client().post(URL, data, content_type="application/json", headers=headers)


def q(kind: str, value: str) -> dict[str, str]:
    return {"kind": kind, "value": value}


def test_each_query_gets_its_matches_in_order(token: str) -> None:
    known = bank_create(name="NCMEC list", category=BankCategory.CSAM, source="import")
    entry_add(bank=known, hash_type=HashType.PDQ, value=PDQ, label="series A")
    entry_add(bank=known, hash_type=HashType.MD5, value=MD5, label="file 1")
    ncii = bank_create(name="NCII list", category=BankCategory.NCII)
    entry_add(bank=ncii, hash_type=HashType.SHA256, value=SHA)

    near = flip_bits(PDQ, 12)
    response = check(
        {
            "hashes": [
                q("md5", MD5.upper()),
                q("pdq", near),
                q("sha256", SHA),
                q("pdq", flip_bits(PDQ, DEFAULT_THRESHOLD + 1)),
                q("md5", "0" * 32),
                q("md5", MD5),
            ]
        },
        token,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["pdq_threshold"] == DEFAULT_THRESHOLD
    assert [(r["kind"], r["value"]) for r in body["results"]] == [
        ("md5", MD5),  # normalised to lower case
        ("pdq", near),
        ("sha256", SHA),
        ("pdq", flip_bits(PDQ, DEFAULT_THRESHOLD + 1)),
        ("md5", "0" * 32),
        ("md5", MD5),
    ]
    matches = [r["matches"] for r in body["results"]]
    file1 = {"bank": "NCMEC list", "category": "csam", "distance": 0, "label": "file 1"}
    assert matches[0] == [file1]
    assert matches[1] == [
        {"bank": "NCMEC list", "category": "csam", "distance": 12, "label": "series A"}
    ]
    assert matches[2] == [{"bank": "NCII list", "category": "ncii", "distance": 0, "label": ""}]
    assert matches[3] == []
    assert matches[4] == []
    assert matches[5] == [file1]


def test_a_hash_added_to_a_bank_is_matchable_at_once(token: str) -> None:
    known = bank_create(name="list", category=BankCategory.SEXTORTION)
    assert check({"hashes": [q("pdq", PDQ)]}, token).json()["results"][0]["matches"] == []
    entry_add(bank=known, hash_type=HashType.PDQ, value=PDQ)
    assert len(check({"hashes": [q("pdq", PDQ)]}, token).json()["results"][0]["matches"]) == 1


def test_victim_submitted_and_disabled_entries_are_not_shown(token: str) -> None:
    entry_add(bank=victim_bank(), hash_type=HashType.PDQ, value=PDQ, added_via="report")
    entry_add(bank=victim_bank(), hash_type=HashType.MD5, value=MD5, added_via="report")
    known = bank_create(name="list", category=BankCategory.OTHER)
    disabled = entry_add(bank=known, hash_type=HashType.SHA256, value=SHA)
    entry_set_enabled(entry=disabled, enabled=False)
    body = check({"hashes": [q("pdq", PDQ), q("md5", MD5), q("sha256", SHA)]}, token).json()
    assert [r["matches"] for r in body["results"]] == [[], [], []]
    # The same hash in a list partners may see is shown, from that list only.
    entry_add(bank=known, hash_type=HashType.PDQ, value=PDQ, label="known")
    body = check({"hashes": [q("pdq", PDQ)]}, token).json()
    assert [m["bank"] for m in body["results"][0]["matches"]] == ["list"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic abc"])
def test_no_valid_token_is_401(token: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().post(
        URL, json.dumps({"hashes": [q("md5", MD5)]}), "application/json", headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "body.hashes"),
        ({"hashes": []}, "body.hashes"),
        ({"hashes": [q("md5", MD5)] * (MAX_HASH_QUERIES + 1)}, "body.hashes"),
        ({"hashes": [q("md5", PDQ)]}, "body.hashes.0.value"),
        ({"hashes": [q("md5", MD5), q("pdq", MD5)]}, "body.hashes.1.value"),
        ({"hashes": [q("sha1", "a" * 40)]}, "body.hashes.0.kind"),
        ({"hashes": [q("pdq", "g" * 64)]}, "body.hashes.0.value"),
        ({"hashes": [{"kind": "md5", "value": MD5, "quality": 90}]}, "body.hashes.0.quality"),
        ({"hashes": [q("md5", MD5)], "threshold": 40}, "body.threshold"),
    ],
)
def test_schema_violations_are_400_with_the_failing_path(
    token: str, body: dict[str, Any], path: str
) -> None:
    response = check(body, token)
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert path in [e["path"] for e in answer["errors"]], answer


def test_not_json_is_400(token: str) -> None:
    response = check(b'{"hashes": [', token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_a_full_batch_is_accepted(token: str) -> None:
    hashes = [q("pdq", f"{n:064x}") for n in range(MAX_HASH_QUERIES)]
    response = check({"hashes": hashes}, token)
    assert response.status_code == 200
    assert len(response.json()["results"]) == MAX_HASH_QUERIES


def test_throttle_counts_hashes_per_partner(token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HASH_CHECK_LIMIT_ENV, "5")
    assert check({"hashes": [q("md5", MD5)] * 3}, token).status_code == 200
    assert check({"hashes": [q("md5", MD5)] * 2}, token).status_code == 200
    refused = check({"hashes": [q("md5", MD5)]}, token)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another partner has its own allowance.
    other = partner_create(name="Other partner")[1]
    assert check({"hashes": [q("md5", MD5)] * 5}, other).status_code == 200
    # An invalid request is refused before it is counted: one hash short of the allowance, an
    # invalid query leaves room for one more valid hash.
    third = partner_create(name="Third partner")[1]
    assert check({"hashes": [q("md5", MD5)] * 4}, third).status_code == 200
    assert check({"hashes": [q("md5", "x")] * 3}, third).status_code == 400
    assert check({"hashes": [q("md5", MD5)]}, third).status_code == 200
    assert check({"hashes": [q("md5", MD5)]}, third).status_code == 429


def test_the_endpoint_is_in_the_published_schema() -> None:
    schema = Client().get("/api/openapi.json").json()
    operation = schema["paths"]["/api/v1/hashes/match"]["post"]
    assert operation["operationId"] == "hashes_match"
    assert {"200", "400", "401", "429"} <= set(operation["responses"])
