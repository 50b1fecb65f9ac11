"""The assessment panel of a report's page: labels not codes, clear refusals, links between
reports (duplicate, one case), and how the queue shows them."""

from __future__ import annotations

import pytest
from django.test import Client

from assessment_support import VALUES
from hotline.accounts.permissions import Role
from hotline.assessment.models import Assessment, ReportLink
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
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


def new_report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


@pytest.fixture
def report() -> Report:
    return new_report()


def form(version: int = 0, **changes: str) -> dict[str, object]:
    values = {**VALUES, **changes}
    return {"expected_version": version, **{f"v_{k}": v for k, v in values.items()}}


def page_of(client: Client, report: Report) -> str:
    return client.get(f"/staff/reports/{report.public_id}/").content.decode()


def test_assessing_from_the_page_shows_english_and_khmer_labels(
    client: Client, report: Report
) -> None:
    assert '<p id="assessment-none">Not assessed yet.</p>' in page_of(client, report)
    response = client.post(f"/staff/assessment/{report.public_id}/assess/", form())
    assert response.status_code == 302
    page = page_of(client, report)
    assert '<dt>Report type</dt><dd>Sextortion <span lang="km">· ការគំរាមយកលុយ' in page
    assert "<dt>Hosting country</dt><dd>Cambodia" in page
    assert "illegal_national" not in page.split('id="assessment-current"')[1].split("</dl>")[0]
    assert "Save a new assessment" in page


@pytest.mark.parametrize(
    "post",
    [
        {},
        form(severity="zz"),
        form(version=-1),
        form(version="x" * 10_000),  # type: ignore[arg-type]
        {**form(), "v_gender": "é" * 100_000},
        {**form(), "v_gender": "<script>alert(1)</script>"},
    ],
)
def test_garbage_assessments_are_refused_clearly_and_save_nothing(
    client: Client, report: Report, post: dict[str, object]
) -> None:
    response = client.post(f"/staff/assessment/{report.public_id}/assess/", post)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_stale_assessment_form_is_refused_with_409(client: Client, report: Report) -> None:
    client.post(f"/staff/assessment/{report.public_id}/assess/", form())
    response = client.post(f"/staff/assessment/{report.public_id}/assess/", form(gender="male"))
    assert response.status_code == 409
    assert "Someone else assessed this report meanwhile" in response.content.decode()
    assert Assessment.objects.get(report=report).values["gender"] == "female"


def test_a_caseworker_sees_no_form_and_is_refused(report: Report) -> None:
    client = Client()
    log_in(client, make_staff("cw", role=Role.CASEWORKER))
    assert 'id="assessment-form"' not in page_of(client, report)
    response = client.post(f"/staff/assessment/{report.public_id}/assess/", form())
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_mark_duplicate_moves_the_case_links_and_unlink_reopens(
    client: Client, report: Report
) -> None:
    primary = new_report()
    response = client.post(
        f"/staff/assessment/{report.public_id}/link/",
        {"kind": "duplicate", "primary": str(primary.public_id), "expected_state": "received"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "duplicate"
    assert ReportLink.objects.get(report=report).primary == primary
    assert f'This report is duplicate of report <a href="/staff/reports/{primary.public_id}/' in (
        page_of(client, report)
    )
    assert f'report <a href="/staff/reports/{report.public_id}/">' in page_of(client, primary)
    queue = client.get("/staff/?state=all").content.decode()
    assert f"duplicate of {str(primary.public_id)[:8]}" in queue

    assert client.post(f"/staff/assessment/{report.public_id}/unlink/").status_code == 302
    report.refresh_from_db()
    assert report.status == "in_review"
    assert not ReportLink.objects.exists()
    actions = list(
        AuditEvent.objects.filter(target_id=str(report.public_id))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert [a for a in actions if a not in {"report.view", "intake.submit"}] == [
        "report.state_change",
        "report.link",
        "report.state_change",
        "report.unlink",
    ]


def test_merge_groups_into_the_primary_of_a_case(client: Client, report: Report) -> None:
    primary, third = new_report(), new_report()
    for member in (report, third):
        target = primary if member is report else report  # the third names a member
        response = client.post(
            f"/staff/assessment/{member.public_id}/link/",
            {"kind": "merged", "primary": str(target.public_id), "expected_state": "received"},
        )
        assert response.status_code == 302
    # One level only: the third joins the case's primary, not the member it named.
    assert ReportLink.objects.get(report=third).primary == primary
    assert Report.objects.get(pk=report.pk).status == "received"
    queue = client.get("/staff/").content.decode()
    assert queue.count(f"grouped into the case of {str(primary.public_id)[:8]}") == 2


@pytest.mark.parametrize(
    ("post", "status", "message"),
    [
        ({"kind": "duplicate", "primary": "not-a-uuid", "expected_state": "received"}, 400,
         "Give a report number"),
        ({"kind": "duplicate", "primary": "00000000-0000-0000-0000-000000000000",
          "expected_state": "received"}, 400, "There is no report with that number"),
        ({"kind": "explode", "primary": "00000000-0000-0000-0000-000000000000",
          "expected_state": "received"}, 400, "Nothing was changed"),
        ({"kind": "duplicate", "primary": "SELF", "expected_state": "received"}, 409,
         "cannot be linked to itself"),
        ({"kind": "duplicate", "primary": "OTHER", "expected_state": "in_review"}, 409,
         "Someone else changed this report"),
    ],
)  # fmt: skip
def test_bad_link_requests_change_nothing(
    client: Client, report: Report, post: dict[str, str], status: int, message: str
) -> None:
    other = new_report()
    post = {**post, "primary": post["primary"].replace("SELF", str(report.public_id))}
    post["primary"] = post["primary"].replace("OTHER", str(other.public_id))
    response = client.post(f"/staff/assessment/{report.public_id}/link/", post)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not ReportLink.objects.exists()
    assert Report.objects.get(pk=report.pk).status == "received"


def test_reports_with_members_cannot_become_members(client: Client, report: Report) -> None:
    primary, other = new_report(), new_report()
    client.post(
        f"/staff/assessment/{other.public_id}/link/",
        {"kind": "merged", "primary": str(report.public_id), "expected_state": "received"},
    )
    response = client.post(
        f"/staff/assessment/{report.public_id}/link/",
        {"kind": "merged", "primary": str(primary.public_id), "expected_state": "received"},
    )
    assert response.status_code == 409
    assert "Other reports are linked to this one" in response.content.decode()
