"""Producing a package: only the liaison (services and pages), audited, evidence only on
request and byte for byte, nothing half-saved when evidence is missing or too large."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from referral_support import case_full_of_identity, entries, produce, staff

from hotline.accounts.permissions import Role
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.referrals.models import ReferralPackage
from hotline.referrals.services import ReferralError
from staff_login import staff_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_only_the_liaison_may_produce_a_package(role: str) -> None:
    report = case_full_of_identity(pictures=0).report
    user = staff(role, f"{role}-x")
    if role == Role.LIAISON:
        assert produce(report, liaison=user, evidence=False).record.created_by == user
    else:
        with pytest.raises(PermissionDenied):
            produce(report, liaison=user, evidence=False)
        assert not ReferralPackage.objects.exists()


def test_a_disabled_liaison_may_not() -> None:
    report = case_full_of_identity(pictures=0).report
    liaison = staff("liaison")
    liaison.is_active = False
    liaison.save()

    with pytest.raises(PermissionDenied):
        produce(report, liaison=liaison)


def test_production_is_audited_without_report_content() -> None:
    report = case_full_of_identity(pictures=1).report
    produced = produce(report)
    event = AuditEvent.objects.get(action="referral.package_produced")

    assert event.target_id == str(report.public_id)
    assert event.details["package"] == str(produced.record.package_id)
    assert event.details["manifest_sha256"] == produced.record.manifest_sha256
    assert "Telegram" not in json.dumps(event.details)
    # The custody record it includes was taken under the liaison's name, and audited too.
    assert AuditEvent.objects.filter(action="report.custody_export").count() == 1


def test_evidence_files_only_when_asked_and_byte_for_byte_the_originals() -> None:
    report = case_full_of_identity(pictures=2).report
    without = entries(produce(report, evidence=False).data)
    with_files = entries(produce(report, evidence=True).data)

    assert not [n for n in without if n.startswith("evidence/")]
    shipped = sorted(body for name, body in with_files.items() if name.startswith("evidence/"))
    assert sorted(hashlib.sha256(b).hexdigest() for b in shipped) == sorted(
        report.files.values_list("sha256", flat=True)
    )
    content = json.loads(with_files["report.json"])
    assert all(f["file"] in with_files for f in content["evidence"]["files"])
    assert all(f["md5"] and f["sha256"] for f in content["evidence"]["files"])
    assert all(f["pdq"] for f in content["evidence"]["files"])  # the hashing app's PDQ


def test_working_copies_when_the_reporter_kept_no_original() -> None:
    report = case_full_of_identity(pictures=1, keep_original=False).report
    names = [n for n in entries(produce(report).data) if n.startswith("evidence/")]

    assert len(names) == 1
    assert "-working-" in names[0]


def test_the_package_holds_assessment_identifiers_timeline_and_custody() -> None:
    report = case_full_of_identity(pictures=1).report
    content = json.loads(entries(produce(report).data)["report.json"])

    assert content["format"] == "openhotline-referral-report-1"
    assert content["case_reference"] == str(report.public_id)
    assert content["assessment"]["current"]["values"]
    assert any(
        i["value"] == "t.me/offender_channel_x" or "offender_channel_x" in i["value"]
        for i in content["identifiers"]
    )
    # Assessing moved the case on: received -> in review -> assessed.
    assert [e["to"] for e in content["timeline"]] == ["in_review", "assessed"]
    actions = {e["action"] for e in content["chain_of_custody"]["events"]}
    assert "report.state_change" in actions
    assert content["chain_of_custody"]["format"] == "openhotline-custody-record-1"


def test_a_missing_evidence_file_is_named_and_nothing_is_saved() -> None:
    report = case_full_of_identity(pictures=2).report
    first = report.files.order_by("pk").first()
    assert first is not None
    (Path(settings.UPLOAD_DIR) / str(first.original_name)).unlink()

    with pytest.raises(ReferralError, match="missing from the upload folder"):
        produce(report)
    assert not ReferralPackage.objects.exists()
    assert not AuditEvent.objects.filter(action="referral.package_produced").exists()
    # Without files the package can still be made: the hashes are in the database.
    assert produce(report, evidence=False).record.evidence_included is False


def test_too_much_evidence_is_refused_with_a_clear_message(settings: object) -> None:
    settings.HOTLINE_REFERRAL_MAX_EVIDENCE_BYTES = 1000  # type: ignore[attr-defined]
    report = case_full_of_identity(pictures=2).report

    with pytest.raises(ReferralError, match="too large for one package"):
        produce(report)
    assert not ReferralPackage.objects.exists()


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ReferralError):
        produce(case_full_of_identity(pictures=0).report, language="fr")


def test_the_liaison_does_not_move_the_case_they_may_not_change() -> None:
    report = case_full_of_identity(pictures=0).report
    produced = produce(report)
    report.refresh_from_db()

    assert produced.moved_to_referred is False
    assert report.status == "assessed"  # where the assessment left it


# --- the staff page ------------------------------------------------------------------------


def test_the_liaison_gets_a_button_a_form_and_a_zip_download_all_audited() -> None:
    report = case_full_of_identity(pictures=1).report
    client, _ = staff_client("liaison-web", role="liaison")
    detail = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    url = f"/staff/referrals/{report.public_id}/"

    assert f'href="{url}"' in detail
    assert "include_evidence" in client.get(url).content.decode()
    response = client.post(url, {"language": "km", "include_evidence": "on"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    record = ReferralPackage.objects.get()
    assert f'filename="referral-{report.public_id}-' in response["Content-Disposition"]
    assert any(n.startswith("evidence/") for n in entries(response.content))
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"referral.page_view", "referral.package_produced", "referral.package_downloaded"} <= (
        actions
    )
    assert str(record.package_id) in client.get(url).content.decode()  # listed afterwards


@pytest.mark.parametrize("role", ["analyst", "senior_analyst", "caseworker", "administrator"])
def test_other_roles_see_no_button_and_get_403(role: str) -> None:
    report = case_full_of_identity(pictures=0).report
    client, _ = staff_client(f"{role}-web", role=role)
    url = f"/staff/referrals/{report.public_id}/"

    if role != "administrator":
        assert url not in client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"language": "en"}).status_code == 403
    assert not ReferralPackage.objects.exists()


def test_logged_out_is_sent_to_login_and_unknown_report_is_404() -> None:
    report = case_full_of_identity(pictures=0).report
    assert Client().get(f"/staff/referrals/{report.public_id}/").status_code == 302
    client, _ = staff_client("liaison-404", role="liaison")
    assert client.get("/staff/referrals/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/staff/referrals/not-a-uuid/").status_code == 404


def test_the_page_shows_a_missing_file_as_an_error_not_a_500() -> None:
    report = case_full_of_identity(pictures=1).report
    first = report.files.get()
    (Path(settings.UPLOAD_DIR) / str(first.original_name)).unlink()
    client, _ = staff_client("liaison-err", role="liaison")

    response = client.post(
        f"/staff/referrals/{report.public_id}/", {"language": "en", "include_evidence": "on"}
    )
    assert response.status_code == 400
    assert "missing from the upload folder" in response.content.decode()
    assert not ReferralPackage.objects.exists()


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    language=st.one_of(st.text(max_size=300), st.sampled_from(["", "EN", "km\x00", "x" * 5000])),
    evidence=st.text(max_size=50),
)
def test_garbage_form_input_is_a_form_error_and_nothing_is_produced(
    language: str, evidence: str
) -> None:
    if language in ("en", "km"):
        return
    report = _report_once()
    client = _client_once()
    response = client.post(
        f"/staff/referrals/{report.public_id}/",
        {"language": language, "include_evidence": evidence},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not ReferralPackage.objects.exists()


_cache: dict[str, object] = {}


def _report_once() -> Report:
    found = Report.objects.first()
    return found or case_full_of_identity(pictures=0).report


def _client_once() -> Client:
    from hotline.accounts.models import User

    if not User.objects.filter(username="liaison-hyp").exists():
        _cache["client"], _ = staff_client("liaison-hyp", role="liaison")
    client = _cache["client"]
    assert isinstance(client, Client)
    return client
