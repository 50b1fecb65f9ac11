"""An analyst sees evidence blurred, reveals it for a few seconds, classifies the report; a
second report of the same picture arrives already assessed, and can be taken back."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Session, staff_log_in
from PIL import Image, ImageFilter, ImageStat
from playwright.sync_api import expect

from assessment_support import picture, report_with
from hotline.assessment.models import Assessment
from hotline.audit.models import AuditEvent
from hotline.intake.models import EvidenceFile
from hotline.intake.tasks import report_process
from hotline.vault import services as vault
from staff_login import make_staff

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, settings: object) -> None:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]
    settings.HOTLINE_EVIDENCE_REVEAL_SECONDS = 5  # type: ignore[attr-defined]


def detail_energy(data: bytes) -> float:
    grey = Image.open(io.BytesIO(data)).convert("L").resize((240, 180))
    return float(ImageStat.Stat(grey.filter(ImageFilter.FIND_EDGES)).mean[0])


def test_blurred_reveal_classify_then_the_same_picture_arrives_assessed(
    browser_session: Callable[..., Session],
) -> None:
    analyst = make_staff("analyst")
    data = picture(21)
    first = report_with(data, links=["https://example.org/gallery/7"])
    report_process(first.pk)
    evidence = EvidenceFile.objects.select_related("report").get(report=first)
    clear = vault.file_read(name=evidence.working_name, context=evidence.context)

    session = browser_session(name="analyst", locale="en-GB")
    page = session.page
    page.set_viewport_size(LAPTOP)
    staff_log_in(session, analyst)
    with page.expect_response(lambda r: r.url.endswith(f"/evidence/{evidence.pk}/preview/")) as got:
        page.goto(session.url(f"/staff/reports/{first.public_id}/"))
    preview = got.value.body()
    assert got.value.headers["cache-control"].startswith("no-store")
    # What the browser received is a blurred, grey picture: the fine detail is gone.
    assert Image.open(io.BytesIO(preview)).mode == "L"
    assert detail_energy(preview) < detail_energy(clear) / 10
    assert not any("/revealed/" in url for url in session.requests)
    expect(page.locator("#exposure-today")).to_have_text("0 pictures revealed today")
    session.shot("blurred")

    # The reported link is text with a Copy button; opening it goes through a warning page.
    expect(page.locator("code[data-copy] + button.copy-link")).to_have_text("Copy")
    page.click("#link-open-0")
    expect(page.locator("#open-link")).to_have_attribute("rel", "noreferrer noopener nofollow")
    expect(page.locator("#open-link")).to_have_attribute("href", "https://example.org/gallery/7")
    page.go_back()

    with page.expect_response(lambda r: r.url.endswith("/image/")) as shown:
        page.click(f"#reveal-{evidence.pk}")
    assert shown.value.body() == clear
    expect(page.locator("#revealed-image")).to_be_visible()
    assert page.evaluate("document.getElementById('revealed-image').naturalWidth") == 320
    session.shot("revealed")
    # Back to the report, blurred, when the time is up (no JavaScript needed: a meta refresh).
    page.wait_for_url(f"**/staff/reports/{first.public_id}/#evidence-{evidence.pk}", timeout=15_000)
    expect(page.locator(f"#evidence-{evidence.pk} img")).to_be_visible()
    expect(page.locator("#exposure-today")).to_have_text("1 picture revealed today")
    assert AuditEvent.objects.filter(action="evidence.reveal").count() == 1

    choices = {
        "Report type": "Sextortion",
        "Legal status": "Illegal nationally",
        "Victim age group": "Pubescent",
        "Victim gender": "Female",
        "Severity category": "C: other indecent images",
        "Hosting country": "Cambodia",
        "Content type": "Image",
    }
    for label, value in choices.items():
        page.get_by_label(label, exact=True).select_option(label=value)
    page.click("#assessment-save")
    expect(page.locator("#assessment-current")).to_contain_text("Sextortion")
    expect(page.locator("#assessment-current")).to_contain_text("ការគំរាមយកលុយ")
    session.shot("assessed")

    second = report_with(data)
    report_process(second.pk)
    page.goto(session.url(f"/staff/reports/{second.public_id}/"))
    expect(page.locator("#assessment-carried")).to_contain_text(
        f"Carried forward from report {first.public_id}"
    )
    expect(page.locator("#assessment-current")).to_contain_text("Illegal nationally")
    session.shot("carried")
    page.goto(session.url("/staff/"))
    expect(page.locator(f"#queue tr[data-report='{second.public_id}']")).to_have_count(0)
    page.goto(session.url("/staff/?state=carried"))
    expect(page.locator(f"#queue tr[data-report='{second.public_id}']")).to_contain_text(
        "assessment carried forward"
    )

    page.goto(session.url(f"/staff/reports/{second.public_id}/"))
    page.click("#assessment-not-same")
    expect(page.locator("#assessment-none")).to_be_visible()
    page.goto(session.url("/staff/"))
    expect(page.locator(f"#queue tr[data-report='{second.public_id}']")).to_have_count(1)
    assert not Assessment.objects.filter(report=second, current=True).exists()
