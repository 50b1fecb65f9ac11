"""Reports that need attention now raise one alert: shown to on-duty staff, acknowledged once."""

from __future__ import annotations

import pytest
from django.test import Client
from django_q.models import OrmQ

from hotline.accounts.models import User
from hotline.alerts.models import Alert
from hotline.alerts.services import alert_mail_send
from hotline.audit.models import AuditEvent
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from hotline.sitesettings.services import site_settings_update
from hotline.triage.rules import rules_reload
from hotline.triage.services import reports_rescore
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db

SELF_HARM = "ខ្ញុំមិនចង់រស់ទៀតទេ"  # "I do not want to live any more" (triage word list)


@pytest.fixture(autouse=True)
def _fresh_rules() -> None:
    rules_reload()


def _report(narrative: str = "He wants photos", **fields: object) -> Report:
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        narrative=narrative,
        **fields,  # type: ignore[arg-type]
    )
    return report_submit(data=data, evidence=[]).report


def _mail_tasks() -> int:
    return sum("alert_mail_send" in str(task.task) for task in OrmQ.objects.all())


def _settings(admin: User, **fields: object) -> None:
    values: dict[str, object] = {
        "name_en": "",
        "name_km": "",
        "phone_numbers": [],
        "alert_emails": [],
        "alert_staff": [],
        "on_duty": [],
        **fields,
    }
    site_settings_update(actor=admin, **values)  # type: ignore[arg-type]


def test_a_report_in_danger_raises_one_alert_and_one_mail_task_however_often_processed() -> None:
    report = _report(in_danger=True)
    report_process(report.pk)
    report_process(report.pk)  # delivered again (at least once)
    reports_rescore()
    alert = Alert.objects.get(report=report)
    assert alert.signals == ["in_danger"]
    assert alert.mail_state == Alert.MailState.PENDING
    assert _mail_tasks() == 1
    assert AuditEvent.objects.filter(action="alert.raise", target_id=str(report.pk)).count() == 1


def test_self_harm_words_raise_an_alert_without_keeping_the_words() -> None:
    report = _report("He wants photos. " + SELF_HARM)
    report_process(report.pk)
    alert = Alert.objects.get(report=report)
    assert alert.signals == ["self_harm"]
    assert "រស់" not in str(alert.signals)


def test_a_report_without_urgent_signs_raises_no_alert() -> None:
    report = _report("He wants photos", victim_age="13_15", money="demanded")
    report_process(report.pk)
    assert not Alert.objects.exists()
    assert _mail_tasks() == 0


def test_rescoring_a_closed_report_raises_no_alert() -> None:
    report = _report(in_danger=True)
    Report.objects.filter(pk=report.pk).update(status=CaseState.CLOSED)
    reports_rescore()
    assert not Alert.objects.exists()


def _logged_in(username: str, role: str = "analyst") -> tuple[Client, Staff]:
    staff = make_staff(username, role=role)
    client = Client()
    log_in(client, staff)
    return client, staff


def test_staff_see_the_alert_on_every_staff_page_until_one_acknowledges_it() -> None:
    report = _report(in_danger=True)
    report_process(report.pk)
    alert = Alert.objects.get()
    analyst, analyst_staff = _logged_in("analyst")
    caseworker, _ = _logged_in("caseworker", "caseworker")
    for client in (analyst, caseworker):
        page = client.get("/staff/").content.decode()
        assert 'id="alerts"' in page
        assert f'href="/staff/reports/{report.public_id}/"' in page
        assert "the reporter says someone is in danger right now" in page
    assert 'id="alerts"' in analyst.get("/staff/entities/").content.decode()
    response = analyst.post(f"/staff/alerts/{alert.pk}/acknowledge/", {"next": "/staff/"})
    assert (response.status_code, response["Location"]) == (302, "/staff/")
    alert.refresh_from_db()
    assert alert.acknowledged_by == analyst_staff.user
    assert alert.acknowledged_at is not None
    assert 'id="alerts"' not in caseworker.get("/staff/").content.decode()
    event = AuditEvent.objects.get(action="alert.acknowledge")
    assert (event.actor, event.target_id) == (analyst_staff.user, str(report.pk))
    # A second click (another tab) changes nothing and writes nothing.
    analyst.post(f"/staff/alerts/{alert.pk}/acknowledge/")
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1


def test_acknowledging_needs_post_and_the_right_and_goes_back_only_to_staff_pages() -> None:
    report_process(_report(in_danger=True).pk)
    alert = Alert.objects.get()
    admin, _ = _logged_in("admin", "administrator")
    assert 'id="alerts"' not in admin.get("/staff/").content.decode()
    assert admin.post(f"/staff/alerts/{alert.pk}/acknowledge/").status_code == 403
    analyst, _ = _logged_in("analyst")
    assert analyst.get(f"/staff/alerts/{alert.pk}/acknowledge/").status_code == 405
    response = analyst.post(
        f"/staff/alerts/{alert.pk}/acknowledge/", {"next": "https://evil.example/staff/"}
    )
    assert response["Location"] == "/staff/"
    assert Client().post(f"/staff/alerts/{alert.pk}/acknowledge/").status_code == 302  # login
    alert.refresh_from_db()
    assert alert.acknowledged_by is not None


def test_only_on_duty_staff_see_alerts_once_someone_is_on_duty() -> None:
    report_process(_report(in_danger=True).pk)
    on_duty, on_duty_staff = _logged_in("on_duty")
    off_duty, _ = _logged_in("off_duty")
    admin = make_staff("admin", role="administrator").user
    _settings(admin, on_duty=[on_duty_staff.user])
    assert 'id="alerts"' in on_duty.get("/staff/").content.decode()
    assert 'id="alerts"' not in off_duty.get("/staff/").content.decode()


def test_without_alert_recipients_the_page_alert_still_shows_and_the_home_says_so() -> None:
    report_process(_report(in_danger=True).pk)
    alert = Alert.objects.get()
    assert alert_mail_send(alert_id=alert.pk) == Alert.MailState.NO_RECIPIENTS
    alert.refresh_from_db()
    assert alert.mail_state == Alert.MailState.NO_RECIPIENTS
    analyst, _ = _logged_in("analyst")
    page = analyst.get("/staff/").content.decode()
    assert 'id="alerts"' in page
    assert "no alert recipient is set" in page
    admin, _ = _logged_in("admin", "administrator")
    assert 'data-missing="alert_recipients"' in admin.get("/staff/").content.decode()
