"""Staff enter a report for a caller: same intake service, channel and taker recorded, code once."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from PIL import Image

from hotline.audit.models import AuditEvent
from hotline.intake.models import EvidenceFile, Message, Report
from hotline.intake.receipts import code_normalise
from hotline.intake.selectors import report_details
from hotline.intake.services import ReportInput, report_find_by_code, report_submit
from hotline.staff.phone import code_reading
from staff_login import make_staff, staff_client

pytestmark = pytest.mark.django_db

NEW = "/staff/reports/new/"
CODE_PAGE = "/staff/reports/new/code/"
GROUP_RE = re.compile(r'<span class="code-group">([^<]+)</span>')


def _token(client: Client) -> str:
    page = client.get(NEW).content.decode()
    match = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _answers(client: Client, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "submission_token": _token(client),
        "channel": "phone",
        "language": "km",
        "in_danger": "no",
        "reporter_role": "my_child",
        "categories": ["sextortion"],
        "narrative": "The caller's son is asked for $100 by Friday.",
        "contact": "parent@example.org",
        "consent_contact": "on",
    }
    data.update(changes)
    return data


def assert_nothing_saved() -> None:
    assert Report.objects.count() == 0
    assert EvidenceFile.objects.count() == 0
    assert Message.objects.count() == 0
    folder = Path(settings.UPLOAD_DIR)
    assert not folder.exists() or not any(folder.iterdir())


def _code(html: str) -> str:
    return "-".join(GROUP_RE.findall(html))


@pytest.fixture
def client() -> Client:
    return staff_client("analyst")[0]


def test_a_phone_report_goes_through_report_submit_with_channel_and_taker(client: Client) -> None:
    response = client.post(NEW, _answers(client))
    assert response.status_code == 303
    assert response["Location"] == CODE_PAGE  # no code, no report id in the URL
    report = Report.objects.get()
    assert report.source == "phone"
    assert report.taken_by is not None
    assert report.taken_by.username == "analyst"
    assert report.language == "km"
    assert report.pipeline_queued is False  # the same outbox as the public form
    details = report_details(report)
    assert details["narrative"] == "The caller's son is asked for $100 by Friday."
    assert details["contact"] == "parent@example.org"
    assert b"asked for $100" not in bytes(report.details_ciphertext)
    event = AuditEvent.objects.get(action="report.take")
    assert event.actor is not None
    assert event.actor.username == "analyst"
    assert event.details == {"channel": "phone"}


def test_the_code_is_shown_once_in_groups_with_a_khmer_reading_and_opens_the_status_page(
    client: Client,
) -> None:
    page = client.post(NEW, _answers(client), follow=True).content.decode()
    code = _code(page)
    assert code_normalise(code) is not None
    assert len(GROUP_RE.findall(page)) == 5
    report = report_find_by_code(code_text=code)
    assert report is not None
    assert report.source == "phone"
    assert "What to tell the caller" in page
    assert 'lang="km"' in page
    public = Client().post("/status/", {"code": code}, follow=True).content.decode()
    assert 'id="report-status"' in public
    again = client.get(CODE_PAGE)
    assert again.status_code == 410
    assert code not in again.content.decode()
    assert code.split("-")[0] + "</span>" not in again.content.decode()


def test_reading_aid_says_each_sign_in_english_and_khmer() -> None:
    groups = code_reading("2A9Z" * 4 + "W")
    first = groups[0]
    assert [s.char for s in first] == ["2", "A", "9", "Z"]
    assert (first[0].english, first[0].khmer, first[0].khmer_digit) == ("two", "ពីរ", "២")
    assert (first[1].english, first[1].khmer, first[1].khmer_digit) == ("Alpha", "អេ", "")
    assert groups[-1][0].english == "Whiskey"


def test_a_resent_form_makes_no_second_report_and_shows_the_same_code(client: Client) -> None:
    answers = _answers(client)
    first = _code(client.post(NEW, answers, follow=True).content.decode())
    second_page = client.post(NEW, answers, follow=True).content.decode()
    assert Report.objects.count() == 1
    assert _code(second_page) == first
    assert "no second report was made" in second_page


def test_reloading_the_code_page_does_not_make_a_report(client: Client) -> None:
    client.post(NEW, _answers(client))
    client.get(CODE_PAGE)
    client.get(CODE_PAGE)
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channel": ""}, "channel"),
        ({"channel": "web"}, "Please choose one of the answers shown."),
        ({"channel": "api"}, "Please choose one of the answers shown."),
        ({"channel": "<script>"}, "Please choose one of the answers shown."),
        ({"categories": []}, "categories"),
        ({"categories": ["not-a-category"]}, "categories"),
        ({"reporter_role": "'; DROP TABLE intake_report; --"}, "reporter_role"),
        ({"language": "fr"}, "Please choose one of the answers shown."),
        ({"consent_contact": ""}, "Please tick this box"),
        ({"narrative": "x" * 20_001}, "narrative"),
        ({"started": "y" * 5000}, "started"),
        ({"submission_token": ""}, "expired"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_saved(
    client: Client, changes: dict[str, object], message: str
) -> None:
    response = client.post(NEW, _answers(client, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error"' in page
    assert message in page or f'id="field-{message}"' in page
    assert_nothing_saved()
    assert not AuditEvent.objects.filter(action="report.take").exists()


def test_errors_keep_the_answers_typed(client: Client) -> None:
    page = client.post(NEW, _answers(client, categories=[])).content.decode()
    assert "The caller&#x27;s son is asked for $100 by Friday." in page


def test_roles_without_take_phone_report_are_refused_and_nothing_is_saved() -> None:
    admin, _ = staff_client("admin", role="administrator")
    assert admin.get(NEW).status_code == 403
    response = admin.post(NEW, {"channel": "phone", "reporter_role": "myself"})
    assert response.status_code == 403
    assert_nothing_saved()


def test_a_caseworker_takes_a_report_and_opens_it() -> None:
    caseworker, _ = staff_client("cw", role="caseworker")
    page = caseworker.post(NEW, _answers(caseworker, channel="walk_in"), follow=True)
    assert page.status_code == 200
    report = Report.objects.get()
    detail = caseworker.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert "via walk-in, entered by cw" in detail


def test_the_database_refuses_a_staff_channel_without_a_taker_and_web_with_one() -> None:
    analyst = make_staff("someone").user
    data = ReportInput(reporter_role="myself", categories=["other"])
    with pytest.raises(IntegrityError):
        report_submit(data=data, evidence=[], source="phone")
    with pytest.raises(IntegrityError):
        report_submit(data=data, evidence=[], source="web", taken_by=analyst)


def _photo() -> bytes:
    # A generated picture (never real imagery), with EXIF that must not survive.
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_file_the_caller_e_mailed_is_stored_like_a_public_upload(client: Client) -> None:
    upload = SimpleUploadedFile("screenshot.jpg", _photo(), content_type="image/jpeg")
    response = client.post(NEW, {**_answers(client, channel="email"), "evidence_files": [upload]})
    assert response.status_code == 303
    record = EvidenceFile.objects.get()
    assert record.report.source == "email"
    stored = (Path(settings.UPLOAD_DIR) / record.working_name).read_bytes()
    assert b"CameraMaker" not in stored
    assert record.pdq  # hashed at intake, as on the public form


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.jpg", b"<?php system($_GET['c']); ?>"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("../../tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4),
    ],
)
def test_a_hostile_or_broken_file_is_refused_and_nothing_is_saved(
    client: Client, name: str, data: bytes
) -> None:
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = client.post(NEW, {**_answers(client), "evidence_files": [upload]})
    assert response.status_code == 400
    assert 'id="field-evidence_files"' in response.content.decode()
    assert_nothing_saved()


def test_the_queue_offers_to_enter_a_report(client: Client) -> None:
    page = client.get("/staff/").content.decode()
    assert f'href="{NEW}" id="take-report"' in page
