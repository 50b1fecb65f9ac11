"""The audit viewer (administrators) and a report's chain-of-custody record, through the real
staff login; refusals are 403 and audited, and viewing the log is audited too."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from hotline.audit.custody import custody_events
from hotline.audit.models import AuditEvent
from hotline.audit.selectors import PAGE_SIZE
from hotline.audit.services import audit_record
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit, reports_pipeline_dispatch
from staff_login import staff_client

pytestmark = pytest.mark.django_db
NARRATIVE = "A narrative that must never reach the audit log"
AUDIT_URL = "/staff/audit/"


@pytest.fixture
def report() -> Report:
    submitted = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            narrative=NARRATIVE,
            contact="reach-me@example.org",
            consent_contact=True,
        ),
        evidence=[],
    ).report
    reports_pipeline_dispatch()  # a worker queues it, appending its "intake.submit" event
    return submitted


def _admin() -> Client:
    client, _ = staff_client("admin1", role="administrator")
    return client


def test_administrator_sees_the_log_newest_first_and_the_viewing_is_audited() -> None:
    client = _admin()
    audit_record(actor=None, action="test.older")
    audit_record(actor=None, action="test.newer", details={"<b>": "សួស្តី"})
    page = client.get(AUDIT_URL).content.decode()
    assert "{&quot;&lt;b&gt;&quot;: &quot;សួស្តី&quot;}" in page  # JSON, escaped
    assert page.index("test.newer") < page.index("test.older")
    assert 'href="/staff/audit/"' in page  # the header link, for those allowed
    assert AuditEvent.objects.filter(action="audit.view", actor_label="admin1").count() == 1


def test_the_log_pages_by_keyset_and_every_event_appears_once() -> None:
    client = _admin()
    for i in range(PAGE_SIZE + 7):
        audit_record(actor=None, action="test.paged", target_id=f"n{i}")
    seen: list[str] = []
    url = f"{AUDIT_URL}?action=test.paged"
    while url:
        response = client.get(url)
        page = response.context["page"]
        seen += [e.target_id for e in page.events]
        url = f"{AUDIT_URL}?{response.context['next_query']}" if page.next_before else ""
    assert seen == [f"n{i}" for i in reversed(range(PAGE_SIZE + 7))]


def test_filters_by_actor_action_target_and_date() -> None:
    client = _admin()
    audit_record(actor=None, action="test.a", target_type="thing", target_id="7")
    audit_record(actor=None, action="test.b", target_type="thing", target_id="8")

    def actions(query: str) -> set[str]:
        response = client.get(f"{AUDIT_URL}?{query}")
        return {e.action for e in response.context["page"].events}

    assert actions("action=test.a") == {"test.a"}
    assert actions("target_type=thing&target_id=8") == {"test.b"}
    assert "test.a" in actions("actor=system")
    assert actions("actor=admin1") <= {"staff.login", "audit.view", "staff.totp_enrol"}
    assert actions("until=2000-01-01") == set()
    assert {"test.a", "test.b"} <= actions("since=2000-01-01")
    assert actions("since=2999-01-01") == set()


@pytest.mark.parametrize(
    "query",
    ["since=not-a-date", "before=-4", "before=abc", "actor=" + "x" * 500, "since=%00"],
)
def test_garbage_filters_are_named_and_ignored_without_an_error(query: str) -> None:
    client = _admin()
    response = client.get(f"{AUDIT_URL}?{query}")
    assert response.status_code == 200
    assert "Some filters are not valid and were ignored" in response.content.decode()


def test_an_analyst_is_refused_the_log_with_403_and_the_refusal_is_audited() -> None:
    client, staff = staff_client("analyst1", role="analyst")
    assert 'href="/staff/audit/"' not in client.get("/staff/").content.decode()
    assert client.get(AUDIT_URL).status_code == 403
    assert client.post(f"{AUDIT_URL}verify/").status_code == 403
    refused = AuditEvent.objects.filter(action="staff.forbidden", actor=staff.user)
    assert refused.count() == 2
    assert not AuditEvent.objects.filter(action__startswith="audit.").exists()


def test_verify_now_queues_a_verification_and_the_page_shows_the_last_result() -> None:
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from hotline.tasks import runner

    client = _admin()
    assert "has not been verified yet" in client.get(AUDIT_URL).content.decode()
    response = client.post(f"{AUDIT_URL}verify/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="audit.verify_request").count() == 1
    (row,) = OrmQ.objects.all()
    task = SignedPackage.loads(row.payload)
    assert task["func"] == "hotline.tasks.runner.execute"
    assert task["args"][0] == "hotline.audit.verification.audit_verify_staff"
    runner.execute(*task["args"])  # what the worker does with it
    page = client.get(AUDIT_URL).content.decode()
    assert "(staff): <strong>whole</strong>" in page


def test_verify_now_needs_post() -> None:
    assert _admin().get(f"{AUDIT_URL}verify/").status_code == 405


def _custody_url(report: Report, suffix: str = "") -> str:
    return f"/staff/audit/custody/{report.public_id}/{suffix}"


def test_liaison_exports_the_custody_record_json_and_html(report: Report) -> None:
    client, _ = staff_client("liaison1", role="liaison")
    detail = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert _custody_url(report) in detail
    record = json.loads(client.get(_custody_url(report, "?format=json")).content)
    actions = [e["action"] for e in record["events"]]
    assert actions[:1] == ["intake.submit"]
    assert {"report.view", "report.custody_export"} <= set(actions)
    for event in record["events"]:
        body = {k: event[k] for k in ("at", "actor", "action", "target_type", "target_id")}
        body["details"] = event["details"]
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        expected = hashlib.sha256(f"{event['previous_hash']}|{canonical}".encode()).hexdigest()
        assert expected == event["chain_hash"], "the instructions do not reproduce the hash"
    assert NARRATIVE not in json.dumps(record)
    page = client.get(_custody_url(report))
    assert page["Content-Disposition"].startswith("attachment;")
    html = page.content.decode()
    assert "How to verify" in html
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html


def test_administrator_may_not_export_a_custody_record(report: Report) -> None:
    client = _admin()
    assert client.get(_custody_url(report)).status_code == 403
    assert AuditEvent.objects.filter(action="staff.forbidden", actor_label="admin1").exists()
    assert not AuditEvent.objects.filter(action="report.custody_export").exists()


def test_custody_of_an_unknown_report_is_404() -> None:
    client, _ = staff_client("liaison2", role="liaison")
    assert (
        client.get("/staff/audit/custody/00000000-0000-0000-0000-000000000000/").status_code == 404
    )
    assert client.get("/staff/audit/custody/%3Cscript%3E/").status_code == 404


def test_custody_includes_events_naming_the_report_in_their_details(report: Report) -> None:
    other = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report
    audit_record(actor=None, action="test.about", target_type="x", details={"report": report.pk})
    audit_record(actor=None, action="test.other", target_type="x", details={"report": other.pk})
    actions = [e.action for e in custody_events(report)]
    assert "test.about" in actions
    assert "test.other" not in actions


def test_export_command_writes_private_json_and_html(report: Report, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command(
        "audit", "export", "--report", str(report.public_id), "--out", str(tmp_path), stdout=out
    )
    stem = tmp_path / f"custody-{report.public_id}"
    record = json.loads(Path(f"{stem}.json").read_text())
    assert record["report"] == str(report.public_id)
    assert Path(f"{stem}.html").read_text().startswith("<!doctype html>")
    assert (Path(f"{stem}.json").stat().st_mode & 0o777) == 0o600
    # By number too.
    call_command("audit", "export", "--report", str(report.pk), "--out", str(tmp_path), stdout=out)


@pytest.mark.parametrize("reference", ["nope", "999999999", "x" * 300, "' OR 1=1 --"])
def test_export_command_refuses_an_unknown_report_in_one_line(reference: str) -> None:
    with pytest.raises(CommandError, match=r"^No report"):
        call_command("audit", "export", "--report", reference)
