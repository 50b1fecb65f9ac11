"""Every staff action category of the issue, and every submission, writes an audit event,
with no report content, no password typed and no IP address in it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from hotline.accounts.models import User
from hotline.audit.custody import custody_record
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.partners import PartnerReport, partner_create, partner_reports_submit
from hotline.intake.services import (
    ReportInput,
    report_submit,
    reports_pipeline_dispatch,
    staff_message_send,
)
from staff_login import PASSWORD, log_in, make_staff, staff_client

pytestmark = pytest.mark.django_db
NARRATIVE = "Secret narrative 4431"
CONTACT = "contact-4431@example.org"
TYPED_PASSWORD = "wrong-password-9917"


def _input() -> ReportInput:
    return ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        narrative=NARRATIVE,
        contact=CONTACT,
        consent_contact=True,
    )


@pytest.fixture
def report() -> Report:
    return report_submit(data=_input(), evidence=[]).report


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def _nothing_private_anywhere() -> None:
    everything = json.dumps(
        list(AuditEvent.objects.values("actor_label", "target_id", "details")), default=str
    )
    for secret in (NARRATIVE, CONTACT, TYPED_PASSWORD, PASSWORD, "127.0.0.1"):
        assert secret not in everything


def test_web_and_partner_submissions_are_audited_without_content(report: Report) -> None:
    # A web report's event is appended by the worker that queues its processing.
    reports_pipeline_dispatch()
    (event,) = _events("intake.submit")
    assert (event.target_type, event.target_id) == ("report", str(report.public_id))
    assert event.details == {"source": "web", "files": 0}
    partner, _ = partner_create(name="Partner A")
    submission = partner_reports_submit(
        partner=partner, reports=[PartnerReport(data=_input()), PartnerReport(data=_input())]
    )
    ids = [item["id"] for item in submission.body["reports"]]  # type: ignore[union-attr]
    batch = AuditEvent.objects.get(action="intake.submit", target_type="partner")
    assert batch.details == {"source": "api", "reports": ids}
    _nothing_private_anywhere()


def test_login_logout_and_failed_logins_are_audited_without_what_was_typed() -> None:
    staff = make_staff("kanha")
    client = Client()
    client.post("/staff/login/", {"login": "kanha", "password": TYPED_PASSWORD})
    client.post("/staff/login/", {"login": TYPED_PASSWORD, "password": "x"})
    failed = _events("staff.login_failed")
    assert [(e.target_type, e.target_id) for e in failed] == [
        ("user", str(staff.user.pk)),  # an account exists: its id, never the name typed
        ("", ""),  # no such account: what was typed may be a password, so nothing
    ]
    log_in(client, staff)
    assert _events("staff.login")[0].actor == staff.user
    client.post("/staff/logout/")
    assert _events("staff.logout")[0].actor == staff.user
    _nothing_private_anywhere()


def test_view_change_message_and_export_of_a_report_are_audited(report: Report) -> None:
    client, staff = staff_client("senior", role="senior_analyst")
    client.get(f"/staff/reports/{report.public_id}/")
    client.post(
        f"/staff/cases/{report.public_id}/state/",
        {"to_state": "in_review", "expected_state": "received", "note": "n"},
    )
    staff_message_send(actor=staff.user, report=report, body="A message body 5521")
    custody_record(report=report, actor=staff.user)
    for action in ("report.view", "report.state_change", "report.message", "report.custody_export"):
        (event,) = _events(action)
        assert (event.actor, event.target_id) == (staff.user, str(report.public_id)), action
    assert "5521" not in json.dumps(list(AuditEvent.objects.values("details")))
    _nothing_private_anywhere()


def test_a_permission_change_is_audited_with_old_and_new_rights() -> None:
    staff = make_staff("rotha")
    user = User.objects.get(pk=staff.user.pk)
    user.role = "liaison"
    user.is_active = False
    user.save()
    (event,) = _events("staff.permission_change")
    assert event.target_id == str(user.pk)
    assert event.details == {"role": ["analyst", "liaison"], "is_active": [True, False]}
    user.email = "new@example.org"
    user.save()
    User.objects.get(pk=user.pk).save(update_fields=["last_login"])
    assert len(_events("staff.permission_change")) == 1


def test_admin_changes_settings_and_rights_audited_with_field_names_only() -> None:
    client, admin = staff_client("root", superuser=True)
    response = client.post(
        "/admin/core/emergencycontact/add/",
        {"name_en": "Helpline", "name_km": "ជំនួយ", "phone": "1280", "position": 1, "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    (added,) = _events("admin.add")
    assert (added.actor, added.target_type) == (admin.user, "core.emergencycontact")
    other = make_staff("sokha")
    response = client.post(
        f"/admin/accounts/user/{other.user.pk}/change/",
        {
            "username": "sokha",
            "role": "caseworker",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (change,) = _events("staff.permission_change")
    assert (change.actor, change.details) == (admin.user, {"role": ["analyst", "caseworker"]})
    (logged,) = _events("admin.change")
    assert logged.target_type == "accounts.user"
    assert "Role" in logged.details["change"]
    assert "caseworker" not in json.dumps(logged.details)
