"""Evidence on the report page: blurred grey previews (the clear bytes are never sent), timed
single-analyst reveals, an exposure count, audited downloads, and reported links behind a
warning."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageFilter, ImageStat

from assessment_support import picture, report_with
from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.audit.models import AuditEvent
from hotline.intake.models import EvidenceFile, Report
from hotline.vault import services as vault
from hotline.viewing.models import EvidenceReveal
from hotline.viewing.selectors import link_href
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst() -> Staff:
    return make_staff("analyst")


@pytest.fixture
def client(analyst: Staff) -> Client:
    client = Client()
    log_in(client, analyst)
    return client


@pytest.fixture
def report() -> Report:
    return report_with(picture(11), links=["https://example.org/x?a=1", "javascript:alert(1)"])


def evidence_of(report: Report) -> EvidenceFile:
    return EvidenceFile.objects.select_related("report").get(report=report)


def working_bytes(evidence: EvidenceFile) -> bytes:
    return vault.file_read(name=evidence.working_name, context=evidence.context)


def detail_energy(image: Image.Image) -> float:
    """Return the mean absolute edge response per pixel at a common size (high frequencies)."""
    grey = image.convert("L").resize((240, 180))
    return float(ImageStat.Stat(grey.filter(ImageFilter.FIND_EDGES)).mean[0])


def test_the_preview_is_small_grey_and_blurred_and_the_page_sends_no_clear_bytes(
    client: Client, report: Report
) -> None:
    evidence = evidence_of(report)
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert f'src="/staff/evidence/{evidence.pk}/preview/"' in page
    assert "/staff/evidence/revealed/" not in page
    response = client.get(f"/staff/evidence/{evidence.pk}/preview/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    preview = Image.open(io.BytesIO(response.content))
    original = Image.open(io.BytesIO(working_bytes(evidence)))
    assert preview.mode == "L"
    assert max(preview.size) <= 240
    assert detail_energy(preview) < detail_energy(original) / 10
    assert response.content != working_bytes(evidence)


def test_reveal_is_a_post_for_one_analyst_for_a_limited_time_and_audited(
    client: Client, report: Report, analyst: Staff
) -> None:
    evidence = evidence_of(report)
    assert client.get(f"/staff/evidence/{evidence.pk}/reveal/").status_code == 405
    csrf_client = Client()
    log_in(csrf_client, analyst)
    csrf_client.handler.enforce_csrf_checks = True  # as a browser: the form's token is needed
    assert csrf_client.post(f"/staff/evidence/{evidence.pk}/reveal/").status_code == 403
    assert not EvidenceReveal.objects.exists()

    response = client.post(f"/staff/evidence/{evidence.pk}/reveal/")
    assert response.status_code == 302
    page_url = response["Location"]
    token = re.fullmatch(r"/staff/evidence/revealed/([^/]+)/", page_url)
    assert token is not None
    page = client.get(page_url)
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="' in page.content.decode()
    image = client.get(f"{page_url}image/")
    assert image.status_code == 200
    assert image.content == working_bytes(evidence)
    assert "no-store" in image["Cache-Control"]
    assert (
        AuditEvent.objects.filter(action="evidence.reveal", target_id=str(evidence.pk)).count() == 1
    )
    assert EvidenceReveal.objects.get().token_digest != token.group(1)  # only a digest is kept

    other = Client()
    log_in(other, make_staff("other"))
    assert other.get(f"{page_url}image/").status_code == 403
    assert other.get(page_url).status_code == 403

    past = timezone.now() - timedelta(minutes=5)  # as if revealed five minutes ago
    EvidenceReveal.objects.update(created_at=past, expires_at=past + timedelta(seconds=30))
    assert client.get(f"{page_url}image/").status_code == 403
    ended = client.get(page_url)
    assert ended.status_code == 410
    assert "The picture is blurred again" in ended.content.decode()


def test_each_analyst_sees_their_own_exposure_count_for_the_day(
    client: Client, report: Report
) -> None:
    evidence = evidence_of(report)
    assert "0 pictures revealed today" in client.get("/staff/").content.decode()
    for _ in range(2):
        client.post(f"/staff/evidence/{evidence.pk}/reveal/")
    other = Client()
    log_in(other, make_staff("other"))
    other.post(f"/staff/evidence/{evidence.pk}/reveal/")
    yesterday = timezone.now() - timedelta(days=2)
    EvidenceReveal.objects.create(
        token_digest="y" * 64,
        user=User.objects.get(username="analyst"),
        evidence=evidence,
        created_at=yesterday,
        expires_at=yesterday + timedelta(seconds=30),
    )
    assert "2 pictures revealed today" in client.get("/staff/").content.decode()
    assert "1 picture revealed today" in other.get("/staff/").content.decode()
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert '<strong id="exposure-count">2</strong>' in page


def test_download_needs_its_own_permission_and_is_audited(client: Client, report: Report) -> None:
    evidence = evidence_of(report)
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert f'id="download-{evidence.pk}"' not in page  # an analyst may view, not download
    assert client.post(f"/staff/evidence/{evidence.pk}/download/").status_code == 403
    senior = Client()
    log_in(senior, make_staff("senior", role=Role.SENIOR_ANALYST))
    response = senior.post(f"/staff/evidence/{evidence.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="evidence-{evidence.pk}.png"'
    assert response.content == working_bytes(evidence)
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="evidence.download")
    assert event.details == {"report": str(report.public_id), "original": False}


def test_a_caseworker_gets_no_preview_and_no_reveal(report: Report) -> None:
    evidence = evidence_of(report)
    client = Client()
    log_in(client, make_staff("cw", role=Role.CASEWORKER))
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert "/preview/" not in page
    assert client.get(f"/staff/evidence/{evidence.pk}/preview/").status_code == 403
    assert client.post(f"/staff/evidence/{evidence.pk}/reveal/").status_code == 403
    assert not EvidenceReveal.objects.exists()


def test_reported_links_are_text_and_open_only_through_a_warning(
    client: Client, report: Report
) -> None:
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert '<a href="https://example.org' not in page
    assert f'href="/staff/evidence/links/{report.public_id}/0/"' in page
    warning = client.get(f"/staff/evidence/links/{report.public_id}/0/").content.decode()
    assert "This link was given by a reporter" in warning
    assert (
        '<a class="button" href="https://example.org/x?a=1" rel="noreferrer noopener nofollow"'
        in warning
    )
    hostile = client.get(f"/staff/evidence/links/{report.public_id}/1/").content.decode()
    assert 'id="open-link"' not in hostile
    assert "This is not a web address" in hostile
    assert client.get(f"/staff/evidence/links/{report.public_id}/2/").status_code == 404
    assert client.get(f"/staff/evidence/links/{report.public_id}/99999999999/").status_code == 404
    assert AuditEvent.objects.filter(action="report.link_warning").count() == 2


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("example.org/a", "http://example.org/a"),
        ("javascript:alert(1)", ""),
        ("JAVASCRIPT://%0aalert(1)", ""),
        ("file:///etc/passwd", ""),
        ("example.org:8080/a", "http://example.org:8080/a"),
        ("data:text/html,<b>", ""),
        ("https://exa mple.org", ""),
        ("", ""),
    ],
)
def test_link_href_opens_only_web_addresses(text: str, href: str) -> None:
    assert link_href(text) == href


def test_a_pdf_has_no_preview_and_cannot_be_revealed(client: Client) -> None:
    from hotline.intake.evidence import evidence_prepare
    from hotline.intake.services import ReportInput, report_submit

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    try:
        prepared = [evidence_prepare(filename="a.pdf", data=pdf)]
    except Exception:  # the scrubber may refuse so small a PDF; then make one with Pillow
        out = io.BytesIO()
        Image.new("RGB", (50, 50), "white").save(out, format="PDF")
        prepared = [evidence_prepare(filename="a.pdf", data=out.getvalue())]
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["other"]), evidence=prepared
    ).report
    evidence = evidence_of(report)
    assert evidence.content_type == "application/pdf"
    assert client.get(f"/staff/evidence/{evidence.pk}/preview/").status_code == 404
    response = client.post(f"/staff/evidence/{evidence.pk}/reveal/")
    assert response.status_code == 400
    assert "Only pictures can be revealed" in response.content.decode()


def test_a_working_copy_that_cannot_be_decoded_gets_no_preview_and_no_error(
    client: Client, report: Report
) -> None:
    evidence = evidence_of(report)
    vault.file_write_durably(
        data=b"\x89PNG\r\n\x1a\n not really", name=evidence.working_name, context=evidence.context
    )
    response = client.get(f"/staff/evidence/{evidence.pk}/preview/")
    assert response.status_code == 404
