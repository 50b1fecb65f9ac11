"""Flood control of the public pages: proof of work, the no-JavaScript bucket, per-report limits.

The proof of work is the real ALTCHA challenge at a cheap setting (tests/conftest.py); the
process test behind a real forwarding proxy is tests/core/test_flood_control.py.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from altcha import Challenge, Payload, Solution, create_challenge
from django.test import Client
from reporter_support import (
    assert_khmer_error,
    assert_nothing_saved,
    browser_post,
    form_token_and_challenge,
    good_report,
    photo_bytes,
    receipt_code,
    shown_again,
    solve_proof,
    upload,
    within_one_window,
)

from hotline.entities.models import EscrowedIdentifier
from hotline.intake.flood import Refusal, submission_admit
from hotline.intake.models import Message, Report

# "Your browser's check of this form did not work. Please press “Send my report” again."
CHECK_FAILED_KM = "ការត្រួតពិនិត្យទម្រង់នេះដោយកម្មវិធីរុករករបស់អ្នកមិនបានសម្រេចទេ។"
CHECK_FAILED_EN = "Your browser&#x27;s check of this form did not work."
EXPIRED_KM = "ទម្រង់នេះបានបើកទុកយូរពេក។"
EXPIRED_EN = "This form was open for a long time."
ALL_BUSY_KM = "ឥឡូវនេះមានរបាយការណ៍ច្រើនកំពុងចូលមក។"
CLIENT_BUSY_KM = "យើងបានទទួលសំណើច្រើនពេកពីការតភ្ជាប់នេះ។"
REPORT_BUSY_KM = "មានសារច្រើនត្រូវបានបន្ថែមទៅរបាយការណ៍នេះក្នុងរយៈពេលខ្លី។"
JAVASCRIPT_HINT_KM = "ប្រសិនបើអ្នកអាចបើក JavaScript"

pytestmark = pytest.mark.django_db


def _english(**client_args: str) -> Client:
    client = Client(**client_args)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _tampered(proof: str, change: dict[str, object]) -> str:
    data = json.loads(base64.b64decode(proof))
    data["solution"].update(change)
    return base64.b64encode(json.dumps(data).encode()).decode()


# --- a solved proof of work ---------------------------------------------------------------------


def test_a_report_with_a_solved_proof_is_stored() -> None:
    client = Client()
    response = browser_post(client, "/report/", good_report(client))
    assert response.status_code == 200
    assert receipt_code(response.content.decode())
    assert Report.objects.count() == 1


def test_the_form_carries_a_challenge_for_its_own_token_and_the_solver_script() -> None:
    client = Client()
    page = client.get("/report/").content.decode()
    _token, challenge = form_token_and_challenge(client)
    parameters = json.loads(challenge)["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256"
    assert parameters["expiresAt"] > time.time()
    assert 'name="proof"' in page
    assert "/static/intake/proof-of-work.js" in page


@pytest.mark.parametrize("language", ["km", "en"])
def test_a_wrong_solution_is_refused_in_the_reporters_language(language: str) -> None:
    client = _english() if language == "en" else Client()
    data = good_report(client)
    data["proof"] = _tampered(data["proof"], {"derivedKey": "00" * 32, "counter": 7})
    response = browser_post(client, "/report/", data)
    assert shown_again(response)
    page = response.content.decode()
    if language == "km":
        assert_khmer_error(page, CHECK_FAILED_KM)
    else:
        assert CHECK_FAILED_EN in page
    # The answers come back, with a fresh challenge for the same token.
    assert "He says he will send the video" in page
    assert f'value="{data["submission_token"]}"' in page
    assert_nothing_saved()


def test_a_proof_solved_for_another_form_is_refused() -> None:
    client = Client()
    data = good_report(client)
    other_token, _challenge = form_token_and_challenge(client)
    data["submission_token"] = other_token
    response = browser_post(client, "/report/", data)
    assert shown_again(response)
    assert_khmer_error(response.content.decode(), CHECK_FAILED_KM)
    assert_nothing_saved()


@pytest.mark.parametrize("language", ["km", "en"])
def test_an_expired_challenge_is_refused_in_the_reporters_language(
    language: str, settings: object
) -> None:
    client = _english() if language == "en" else Client()
    settings.HOTLINE_POW_EXPIRES_SECONDS = -5  # type: ignore[attr-defined]
    data = good_report(client)
    settings.HOTLINE_POW_EXPIRES_SECONDS = 3600  # type: ignore[attr-defined]
    response = browser_post(client, "/report/", data)
    assert shown_again(response)
    page = response.content.decode()
    if language == "km":
        assert_khmer_error(page, EXPIRED_KM)
    else:
        assert EXPIRED_EN in page
    assert_nothing_saved()
    # The page came back with a fresh challenge: solving it sends the report.
    fresh = page.split('data-hotline-pow="', 1)[1].split('"', 1)[0]
    import html

    data["proof"] = solve_proof(html.unescape(fresh))
    assert receipt_code(browser_post(client, "/report/", data).content.decode())


def test_a_replayed_solution_makes_no_second_report() -> None:
    client = Client()
    data = good_report(client)
    first = receipt_code(browser_post(client, "/report/", data).content.decode())
    again = browser_post(client, "/report/", data)
    # The same form sent twice (a retry after a slow answer) shows the first receipt.
    assert again.status_code == 200
    assert receipt_code(again.content.decode()) == first != ""
    assert Report.objects.count() == 1


def test_a_solution_spent_on_a_refused_form_counts_as_no_proof(settings: object) -> None:
    client = Client()
    data = good_report(client)
    incomplete = {k: v for k, v in data.items() if k != "reporter_role"}
    assert shown_again(browser_post(client, "/report/", incomplete))
    # Sent again, the spent proof buys nothing: the no-JavaScript budgets decide (here: none).
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 0  # type: ignore[attr-defined]
    again = browser_post(client, "/report/", data)
    assert again.status_code == 429
    assert ALL_BUSY_KM in again.content.decode()
    assert_nothing_saved()
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 20  # type: ignore[attr-defined]
    assert receipt_code(browser_post(client, "/report/", data).content.decode())


def _foreign_challenge_proof(token_tag: str) -> str:
    """A challenge signed with a key that is not the server's, correctly solved."""
    challenge = create_challenge(
        "PBKDF2/SHA-256",
        1,
        counter=0,
        expires_at=int(time.time()) + 600,
        data={"form": token_tag},
        hmac_secret="not the server's secret",
        hmac_key_secret="nor this",
    )
    import hashlib

    derived = hashlib.pbkdf2_hmac(
        "sha256",
        bytes.fromhex(challenge.parameters.nonce) + (0).to_bytes(4, "big"),
        bytes.fromhex(challenge.parameters.salt),
        1,
        32,
    )
    return Payload(challenge, Solution(counter=0, derived_key=derived.hex())).to_base64()


def _unsigned_proof() -> str:
    challenge = Challenge.from_dict(
        {
            "parameters": {
                "algorithm": "PBKDF2/SHA-256",
                "nonce": "00" * 16,
                "salt": "00" * 16,
                "cost": 1,
                "keyPrefix": "",
            }
        }
    )
    return Payload(challenge, Solution(counter=0, derived_key="00")).to_base64()


@pytest.mark.parametrize(
    "proof",
    [
        "x" * 50_000,
        "!!not base64!!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2, 3]").decode(),
        base64.b64encode(b'{"challenge": 1, "solution": {}}').decode(),
        base64.b64encode(json.dumps({"challenge": {"parameters": []}}).encode()).decode(),
        base64.b64encode(("[" * 5000 + "]" * 5000).encode()).decode()[:1900],
        "\x00\ufffd",
        "unsigned",
        "foreign",
    ],
    ids=[
        "oversize",
        "not-base64",
        "not-json",
        "a-list",
        "wrong-shape",
        "parameters-a-list",
        "deep-nesting",
        "control-characters",
        "unsigned-challenge",
        "signed-by-someone-else",
    ],
)
def test_garbage_proofs_get_a_clear_answer_and_save_nothing(proof: str) -> None:
    client = Client()
    data = good_report(client)
    if proof == "unsigned":
        proof = _unsigned_proof()
    elif proof == "foreign":
        from hotline.intake.proof_of_work import _token_tag

        proof = _foreign_challenge_proof(_token_tag(data["submission_token"]))
    data["proof"] = proof
    response = browser_post(client, "/report/", data)
    assert shown_again(response)
    assert_khmer_error(response.content.decode(), CHECK_FAILED_KM)
    assert_nothing_saved()


def test_a_bad_proof_is_refused_before_the_files_are_examined() -> None:
    client = Client()
    data = good_report(client)
    data["proof"] = "!!not base64!!"
    # An upload that is not a picture: had the form been parsed, it would say so.
    data["evidence_files"] = [upload("photo.jpg", b"not a picture at all")]
    response = browser_post(client, "/report/", data)
    assert shown_again(response)
    page = response.content.decode()
    assert_khmer_error(page, CHECK_FAILED_KM)
    assert 'id="f-evidence_files"' in page
    assert 'class="field has-error" id="f-evidence_files"' not in page
    assert_nothing_saved()
    # The same file with a good proof is read (and refused or kept) as usual.
    good = good_report(client)
    good["evidence_files"] = [upload("photo.jpg", photo_bytes())]
    assert receipt_code(browser_post(client, "/report/", good).content.decode())


# --- without JavaScript: a per-client budget, then a bounded global bucket -----------------------


def test_without_javascript_a_report_goes_through(settings: object) -> None:
    client = Client()
    response = browser_post(client, "/report/", good_report(client, solve=False))
    assert response.status_code == 200
    assert receipt_code(response.content.decode())


def test_a_no_javascript_flooder_spends_only_its_own_budget(settings: object) -> None:
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 3  # type: ignore[attr-defined]
    within_one_window(600)
    flooder = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        assert (
            browser_post(flooder, "/report/", good_report(flooder, solve=False)).status_code == 200
        )
    refused = browser_post(flooder, "/report/", good_report(flooder, solve=False))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert CLIENT_BUSY_KM in refused.content.decode()
    assert JAVASCRIPT_HINT_KM in refused.content.decode()
    # Another reporter without JavaScript, and one with, are not refused.
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert browser_post(other, "/report/", good_report(other, solve=False)).status_code == 200
    assert browser_post(flooder, "/report/", good_report(flooder)).status_code == 200
    assert Report.objects.count() == 5


def test_no_javascript_reports_share_a_bounded_global_bucket(settings: object) -> None:
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 4  # type: ignore[attr-defined]
    within_one_window(60)
    for index in range(4):
        client = Client(REMOTE_ADDR=f"203.0.113.{index + 1}")
        assert browser_post(client, "/report/", good_report(client, solve=False)).status_code == 200
    late = Client(REMOTE_ADDR="203.0.113.99")
    refused = browser_post(late, "/report/", good_report(late, solve=False))
    assert refused.status_code == 429
    assert ALL_BUSY_KM in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Report.objects.count() == 4
    # A reporter whose browser solved the proof is never in that bucket.
    assert browser_post(late, "/report/", good_report(late)).status_code == 200
    assert Report.objects.count() == 5


# --- receipt codes: no per-client lock; writes limited per report ------------------------------


def test_many_wrong_codes_do_not_lock_the_same_client_out_of_its_report() -> None:
    client = Client()
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    for attempt in range(100):
        wrong = f"2345-6789-ABCD-EFGH-{attempt % 10 + 2}"
        assert browser_post(client, "/status/", {"code": wrong}).status_code == 404
        deposit = browser_post(
            client, "/escrow/", {"code": wrong, "identifier": "@offender_handle"}
        )
        assert deposit.status_code == 404
        assert (
            browser_post(client, "/status/reply/", {"code": wrong, "message": "x"}).status_code
            == 404
        )
    assert browser_post(client, "/status/", {"code": code}).status_code == 200
    assert (
        browser_post(client, "/status/reply/", {"code": code, "message": "More."}).status_code
        == 200
    )
    assert (
        browser_post(client, "/escrow/", {"code": code, "identifier": "@offender"}).status_code
        == 200
    )


def test_replies_and_deposits_are_limited_per_report_not_per_client(settings: object) -> None:
    settings.HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR = 3  # type: ignore[attr-defined]
    within_one_window(3600)
    client = Client()
    busy = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    calm = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    for index in range(2):
        reply = browser_post(
            client, "/status/reply/", {"code": busy, "message": f"Message {index}."}
        )
        assert reply.status_code == 200
    assert (
        browser_post(client, "/escrow/", {"code": busy, "identifier": "@someone"}).status_code
        == 200
    )
    refused = browser_post(client, "/status/reply/", {"code": busy, "message": "One too many."})
    assert refused.status_code == 429
    assert REPORT_BUSY_KM in refused.content.decode()
    refused = browser_post(client, "/escrow/", {"code": busy, "identifier": "@another"})
    assert refused.status_code == 429
    assert Message.objects.filter(report__receipt_digest__isnull=False).count() == 2
    assert EscrowedIdentifier.objects.count() == 1
    # The same client's other report, and reading the busy one, are not limited.
    assert (
        browser_post(client, "/status/reply/", {"code": calm, "message": "Hello."}).status_code
        == 200
    )
    assert browser_post(client, "/status/", {"code": busy}).status_code == 200


# --- a fresh challenge for a form open past its challenge's expiry ------------------------------


def test_a_fresh_challenge_for_the_same_form_sends_the_report() -> None:
    client = Client()
    data = good_report(client, solve=False)
    response = client.get("/report/challenge/", {"token": data["submission_token"]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data["proof"] = solve_proof(response.content.decode())
    assert receipt_code(browser_post(client, "/report/", data).content.decode())


@pytest.mark.parametrize(
    "query",
    [{}, {"token": ""}, {"token": "x" * 65}, {"token": "ទម្រង់"}, {"token": "a\x00b"}],
    ids=["missing", "empty", "too-long", "not-ascii", "control-character"],
)
def test_a_fresh_challenge_needs_a_plausible_form_token(query: dict[str, str]) -> None:
    response = Client().get("/report/challenge/", query)
    assert response.status_code == 400
    assert response.json() == {"error": "bad_token"}


def test_a_fresh_challenge_is_only_given_to_a_get() -> None:
    assert Client().post("/report/challenge/", {"token": "abc"}).status_code == 405


def test_a_crowd_cannot_evict_the_global_no_javascript_bucket(settings: object) -> None:
    from hotline.intake.proof_of_work import proof_challenge_create

    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 2  # type: ignore[attr-defined]
    within_one_window(60)
    for index in range(2):
        admission = submission_admit(proof="", submission_token=f"t{index}", client_token="a")
        assert admission.admitted
    # Solved proofs (each remembered as spent) fill the in-memory cache until it culls entries:
    # the count that bounds everyone without a proof must survive.
    for index in range(1000):
        token = f"solved-{index}"
        proof = solve_proof(proof_challenge_create(submission_token=token))
        assert submission_admit(proof=proof, submission_token=token, client_token="b").admitted
    refused = submission_admit(proof="", submission_token="late", client_token="newcomer")
    assert refused.refusal is Refusal.ALL_BUSY
