"""Administrators edit the classification scheme on a page: each save is a new version in
force; stored assessments keep their labels; a value or dimension in use cannot be deleted;
garbage, stale and oversize edits are refused with a clear message and nothing saved."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment_support import VALUES
from hotline.assessment.models import Assessment, SchemeVersion
from hotline.assessment.scheme import scheme, scheme_file_text, scheme_version_in_force
from hotline.assessment.selectors import report_assessments
from hotline.assessment.services import (
    MAX_SCHEME_CHARS,
    SchemeRefused,
    assess_report,
    scheme_version_save,
)
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db
URL = "/staff/assessment/scheme/"
SEVERITY_C = '{ code = "c", en = "C: other indecent images"'
TH = '  { code = "th", en = "Thailand", km = "ថៃ" },\n'


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    scheme.cache_clear()


@pytest.fixture
def admin() -> Staff:
    return make_staff("admin", role="administrator")


@pytest.fixture
def admin_client(admin: Staff) -> Client:
    client = Client()
    log_in(client, admin)
    return client


def _report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


def _post(client: Client, text: str, version: object = 0) -> tuple[int, str]:
    answer = client.post(URL, {"text": text, "expected_version": version})
    return answer.status_code, answer.content.decode()


def test_the_page_shows_the_scheme_in_force_with_labels(admin_client: Client) -> None:
    page = admin_client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Version 0 is in force" in text
    assert "Child sexual abuse material" in text
    assert "Save as version 1" in text


@pytest.mark.parametrize("role", ["analyst", "senior_analyst", "caseworker", "liaison"])
def test_every_other_role_is_refused(role: str) -> None:
    client = Client()
    log_in(client, make_staff(f"u-{role}", role=role))
    before = scheme_file_text()
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"text": before + "\n", "expected_version": 0}).status_code == 403
    assert not SchemeVersion.objects.exists()


def test_a_relabel_is_a_new_version_and_old_assessments_keep_their_label(
    admin_client: Client,
) -> None:
    analyst = make_staff("analyst").user
    old = _report()
    assess_report(actor=analyst, report=old, values=VALUES, expected_version=0)
    text = scheme_file_text().replace(SEVERITY_C, '{ code = "c", en = "C: other sexualised images"')
    status, _ = _post(admin_client, text)
    assert status == 302
    assert scheme_version_in_force() == 1
    new = _report()
    row = assess_report(actor=analyst, report=new, values=VALUES, expected_version=0)
    assert row.scheme_version == 1
    assert report_assessments(report=old)[0].labels[4][1] == "C: other indecent images"
    assert report_assessments(report=new)[0].labels[4][1] == "C: other sexualised images"
    event = AuditEvent.objects.get(action="assessment.scheme_change")
    assert event.details["relabelled"] == ["severity:c"]
    assert event.details["version"] == 1


def test_an_added_value_can_be_chosen_and_a_retired_one_cannot(admin: Staff) -> None:
    text = scheme_file_text().replace(
        TH, TH + '  { code = "mm", en = "Myanmar", km = "មីយ៉ាន់ម៉ា" },\n'
    )
    text = text.replace(
        '{ code = "th", en = "Thailand", km = "ថៃ" }',
        '{ code = "th", en = "Thailand", km = "ថៃ", retired = true }',
    )
    scheme_version_save(actor=admin.user, text=text, expected_version=0)
    hosting = scheme().dimension("hosting_country")
    assert hosting is not None
    codes = [code for code, _ in hosting.choices()]
    assert "mm" in codes
    assert "th" not in codes
    event = AuditEvent.objects.get(action="assessment.scheme_change")
    assert event.details["added"] == ["hosting_country:mm"]
    assert event.details["retired"] == ["hosting_country:th"]


def test_a_value_in_use_cannot_be_deleted(admin: Staff, admin_client: Client) -> None:
    assess_report(
        actor=make_staff("analyst").user,
        report=_report(),
        values={**VALUES, "hosting_country": "th"},
        expected_version=0,
    )
    status, page = _post(admin_client, scheme_file_text().replace(TH, ""))
    assert status == 400
    assert "is used by 1 stored assessment and cannot be deleted: retire it" in page
    assert not SchemeVersion.objects.exists()


def test_a_value_nobody_used_can_be_deleted(admin: Staff) -> None:
    scheme_version_save(
        actor=admin.user, text=scheme_file_text().replace(TH, ""), expected_version=0
    )
    hosting = scheme().dimension("hosting_country")
    assert hosting is not None
    assert hosting.value("th") is None


def test_a_dimension_in_use_cannot_be_removed(admin: Staff) -> None:
    assess_report(
        actor=make_staff("analyst").user, report=_report(), values=VALUES, expected_version=0
    )
    text = scheme_file_text()
    start = text.index('[[dimension]]\ncode = "gender"')
    end = text.index("[[dimension]]", start + 5)
    with pytest.raises(SchemeRefused, match="used by stored assessments and cannot be removed"):
        scheme_version_save(actor=admin.user, text=text[:start] + text[end:], expected_version=0)
    assert not SchemeVersion.objects.exists()


def test_a_stale_or_unchanged_edit_is_refused(admin: Staff, admin_client: Client) -> None:
    text = scheme_file_text()
    status, page = _post(admin_client, text)
    assert status == 400
    assert "unchanged" in page
    scheme_version_save(actor=admin.user, text=text.replace(TH, ""), expected_version=0)
    status, page = _post(admin_client, text.replace(SEVERITY_C, '{ code = "c", en = "C"'), 0)
    assert status == 400
    assert "Someone saved version 1 of the scheme meanwhile" in page
    assert SchemeVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "version", "message"),
    [
        ("not toml [", 0, "cannot read the assessment scheme"),
        ("", 0, "Please answer this question"),
        ('[[dimension]]\ncode = "x"', 0, "needs a non-empty list of values"),
        ("[other]\nx = 1", 0, "unknown tables"),
        ("ok", "abc", "Enter a whole number"),
        ("ok", -1, "greater than or equal to 0"),
        ("ok", 10**12, "less than or equal to"),
        ("a\x00b", 0, "characters we cannot accept"),
        ("x" * (MAX_SCHEME_CHARS + 1), 0, "too long"),
        ("x" * 200_001, 0, "at most 200000 characters"),
        ("<script>alert(1)</script>", 0, "cannot read"),
    ],
)
def test_garbage_is_refused_with_a_clear_message_and_nothing_saved(
    admin_client: Client, text: str, version: object, message: str
) -> None:
    status, page = _post(admin_client, text, version)
    assert status == 400
    assert message in page.replace("&#x27;", "'")
    assert "<script>alert(1)</script>" not in page
    assert not SchemeVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="assessment.scheme_change").exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_any_text_is_saved_or_refused_never_a_crash(admin: Staff, text: str) -> None:
    message = ""
    try:
        scheme_version_save(actor=admin.user, text=text, expected_version=0)
    except SchemeRefused as exc:
        message = str(exc)
        assert not SchemeVersion.objects.exists()
    else:  # only a valid scheme could be saved
        SchemeVersion.objects.all().delete()
        message = "saved"
    assert message


def test_only_get_and_post(admin_client: Client) -> None:
    assert admin_client.put(URL).status_code == 405
    assert admin_client.delete(URL).status_code == 405


def test_assessments_made_under_the_file_are_version_zero() -> None:
    row = assess_report(
        actor=make_staff("analyst").user, report=_report(), values=VALUES, expected_version=0
    )
    assert row.scheme_version == 0
    assert Assessment.objects.get(pk=row.pk).scheme_version == 0
