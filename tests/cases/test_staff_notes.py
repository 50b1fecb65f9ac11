"""Staff-only notes, attachments and sub-statuses: encrypted, audited, never shown to reporters."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from PIL import Image

from hotline.audit.models import AuditEvent
from hotline.cases.lists import reply_templates, sub_statuses
from hotline.cases.models import CaseAttachment, CaseNote, SubStatus
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db

SECRET_NOTE = "Police officer Sok said the suspect is known to them"


@pytest.fixture
def analyst() -> Staff:
    return make_staff("analyst")


@pytest.fixture
def client(analyst: Staff) -> Client:
    client = Client()
    log_in(client, analyst)
    return client


@pytest.fixture
def submitted() -> tuple[Report, str]:
    result = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"], language="en"),
        evidence=[],
    )
    return result.report, result.receipt_code


def _page(client: Client, report: Report) -> str:
    return client.get(f"/staff/reports/{report.public_id}/").content.decode()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(client: Client, report: Report, name: str, data: bytes) -> HttpResponse:
    # The browser's type is a lie on purpose: the service sniffs the bytes.
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response = client.post(f"/staff/reports/{report.public_id}/files/", {"file": upload})
    assert isinstance(response, HttpResponse)
    return response


def test_a_note_is_stored_encrypted_shown_to_staff_and_audited_without_its_text(
    client: Client, submitted: tuple[Report, str]
) -> None:
    report, _ = submitted
    response = client.post(f"/staff/reports/{report.public_id}/notes/", {"body": SECRET_NOTE})
    assert response.status_code == 302
    note = CaseNote.objects.get()
    assert SECRET_NOTE.encode() not in bytes(note.body_ciphertext)
    page = _page(client, report)
    assert SECRET_NOTE in page
    assert page.index('id="staff-notes"') < page.index("Messages with the reporter")
    event = AuditEvent.objects.get(action="report.note_add")
    assert SECRET_NOTE not in str(event.details)


@pytest.mark.parametrize("body", ["", "   ", "\x00\x01", "n" * 10_001])
def test_an_empty_or_oversize_note_is_refused_and_nothing_saved(
    client: Client, submitted: tuple[Report, str], body: str
) -> None:
    report, _ = submitted
    response = client.post(f"/staff/reports/{report.public_id}/notes/", {"body": body})
    assert response.status_code == 400
    assert 'id="case-refused"' in response.content.decode()
    assert CaseNote.objects.count() == 0


def test_a_hostile_note_is_shown_escaped(client: Client, submitted: tuple[Report, str]) -> None:
    report, _ = submitted
    client.post(f"/staff/reports/{report.public_id}/notes/", {"body": "<script>alert(1)</script>"})
    page = _page(client, report)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_attachment_is_encrypted_on_disk_downloadable_by_staff_and_audited(
    client: Client, submitted: tuple[Report, str]
) -> None:
    report, _ = submitted
    data = _png()
    response = _upload(client, report, "police-letter.png", data)
    assert response.status_code == 302
    record = CaseAttachment.objects.get()
    assert record.content_type == "image/png"
    stored = (Path(settings.UPLOAD_DIR) / record.stored_name).read_bytes()
    assert data not in stored
    assert b"police-letter" not in bytes(record.filename_ciphertext)
    page = _page(client, report)
    assert "police-letter.png" in page
    download = client.get(f"/staff/reports/{report.public_id}/files/{record.public_id}/")
    assert download.status_code == 200
    assert download.content == data
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "report.attachment_add" in actions
    assert "report.attachment_read" in actions


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(range(256))),
        ("fake.png", b"\x00\x00\x00\x00not really a png"),
        ("page.html", b"<html>\x00</html>"),
    ],
)
def test_attachments_of_other_types_or_empty_are_refused_and_nothing_kept(
    client: Client, submitted: tuple[Report, str], name: str, data: bytes
) -> None:
    report, _ = submitted
    response = _upload(client, report, name, data)
    assert response.status_code == 400
    assert CaseAttachment.objects.count() == 0
    folder = Path(settings.UPLOAD_DIR)
    assert not folder.exists() or not any(folder.iterdir())


def test_an_oversize_attachment_is_refused_and_nothing_kept(
    client: Client, submitted: tuple[Report, str], settings: Any
) -> None:
    settings.HOTLINE_ATTACHMENT_MAX_MB = 1
    report, _ = submitted
    response = _upload(client, report, "big.txt", b"a" * (1024 * 1024 + 1))
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert CaseAttachment.objects.count() == 0


def test_sub_status_is_set_from_the_data_list_cleared_and_audited(
    client: Client, submitted: tuple[Report, str]
) -> None:
    report, _ = submitted
    assert "waiting_police" in sub_statuses()
    url = f"/staff/reports/{report.public_id}/sub-status/"
    assert client.post(url, {"code": "waiting_police"}).status_code == 302
    assert SubStatus.objects.get(report=report).code == "waiting_police"
    assert 'id="sub-status">Waiting for the police' in _page(client, report)
    assert client.post(url, {"code": ""}).status_code == 302
    assert not SubStatus.objects.filter(report=report).exists()
    details = list(
        AuditEvent.objects.filter(action="report.sub_status").values_list("details", flat=True)
    )
    assert details == [{"from": "", "to": "waiting_police"}, {"from": "waiting_police", "to": ""}]


@pytest.mark.parametrize("code", ["not_in_list", "<b>", "x" * 40])
def test_an_unknown_sub_status_is_refused(
    client: Client, submitted: tuple[Report, str], code: str
) -> None:
    report, _ = submitted
    response = client.post(f"/staff/reports/{report.public_id}/sub-status/", {"code": code})
    assert response.status_code == 400
    assert not SubStatus.objects.exists()


def test_roles_without_add_note_cannot_write_and_nothing_is_saved(
    submitted: tuple[Report, str],
) -> None:
    report, _ = submitted
    admin = Client()
    log_in(admin, make_staff("admin", role="administrator"))
    base = f"/staff/reports/{report.public_id}"
    assert admin.post(f"{base}/notes/", {"body": "x"}).status_code == 403
    assert admin.post(f"{base}/sub-status/", {"code": "waiting_police"}).status_code == 403
    assert _upload(admin, report, "a.txt", b"hello").status_code == 403
    assert not CaseNote.objects.exists()
    assert not SubStatus.objects.exists()
    assert not CaseAttachment.objects.exists()


def test_the_reporters_status_page_never_shows_notes_attachments_or_sub_status(
    client: Client, submitted: tuple[Report, str]
) -> None:
    report, code = submitted
    base = f"/staff/reports/{report.public_id}"
    client.post(f"{base}/notes/", {"body": SECRET_NOTE})
    _upload(client, report, "platform-answer.txt", b"Ticket 4471: content removed")
    client.post(f"{base}/sub-status/", {"code": "senior_review"})
    client.post(f"{base}/", {"body": "We are looking at your report."})
    reporter = Client()
    page = reporter.post("/status/", {"code": code}, follow=True).content.decode()
    assert "We are looking at your report." in page  # the message does reach the reporter
    for hidden in (
        SECRET_NOTE,
        "platform-answer",
        "Ticket 4471",
        "senior_review",
        "Needs senior review",
        *sub_statuses().values(),
    ):
        assert hidden not in page, hidden


def test_reply_templates_are_offered_and_fill_the_box_in_the_reports_language(
    client: Client, submitted: tuple[Report, str]
) -> None:
    report, _ = submitted  # an English report
    template = reply_templates()[0]
    page = client.get(f"/staff/reports/{report.public_id}/?template={template.key}").content
    text = page.decode()
    assert template.title in text
    box = re.search(r'id="id_body">\s*(.*?)</textarea>', text, re.S)
    assert box is not None
    assert box.group(1).replace("&#x27;", "'") == template.text["en"]
    khmer = report_submit(
        data=ReportInput(reporter_role="myself", categories=["other"], language="km"), evidence=[]
    ).report
    text = client.get(f"/staff/reports/{khmer.public_id}/?template={template.key}").content
    assert template.text["km"] in text.decode()


def test_an_unknown_template_leaves_the_box_empty(
    client: Client, submitted: tuple[Report, str]
) -> None:
    report, _ = submitted
    response = client.get(f"/staff/reports/{report.public_id}/?template=<script>")
    assert response.status_code == 200
    assert re.search(
        r'<textarea name="body"[^>]*id="id_body">\s*</textarea>', response.content.decode()
    )


def test_every_template_has_khmer_and_english() -> None:
    for template in reply_templates():
        assert template.text["km"]
        assert template.text["en"]
        assert any("\u1780" <= ch <= "\u17ff" for ch in template.text["km"])
