"""The worker traces each reported web link's host after extraction (cached per host), the
report page shows it, forwarding picks the partner hotline of the hosting country, and the
registrar comes from RDAP when an RDAP service is configured (and degrades cleanly without)."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from hotline.directory.models import PartnerHotline
from hotline.entities.models import ReportEntity
from hotline.entities.services import entity_value
from hotline.hosting.models import HostTrace
from hotline.hosting.rdap import registrar_name
from hotline.hosting.reports import (
    partner_for_report,
    report_hosting_countries,
    report_hosts_trace,
)
from hotline.hosting.services import network_ranges_load
from hotline.hosting.tasks import report_trace
from hotline.intake.models import Report
from hotline.intake.pipeline import report_pipeline_run
from hotline.intake.services import ReportInput, report_submit
from net_stubs import answer, dns_server, http_server
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).with_name("ip2asn-sample.tsv")
RECORDS = {
    "files.test": ["103.10.20.30"],
    "30.20.10.103.in-addr.arpa": ["host30.example-kh.test."],
    "nl-host.test": ["185.100.1.1"],
    "cdn.test": ["1.1.1.7"],
    "inside.test": ["10.1.2.3"],
    "cdn.files.test": ["103.10.20.30"],
}


@pytest.fixture
def dns(settings):  # type: ignore[no-untyped-def]
    """A real DNS server on 127.0.0.1 that the traces (run as the worker runs them) ask."""
    network_ranges_load(SAMPLE)
    with dns_server(lambda name, nth: RECORDS.get(name, [])) as (port, log):
        settings.HOTLINE_FETCH_NAMESERVERS = [f"127.0.0.1:{port}"]
        settings.HOTLINE_FETCH_DEADLINE_SECONDS = 5
        settings.HOTLINE_RDAP_URL = ""
        yield log


def _report(*links: str) -> Report:
    data = ReportInput(reporter_role="myself", categories=["sextortion"], links=list(links))
    report = report_submit(data=data, evidence=[]).report
    report_pipeline_run(report_id=report.pk)
    return report


def _queued_traces() -> list[list[object]]:
    return [
        row.task["args"][1]
        for row in OrmQ.objects.all()
        if row.task["args"][0] == "hotline.hosting.tasks.report_trace"
    ]


def test_the_pipeline_queues_a_trace_only_for_reports_with_web_links(dns) -> None:  # type: ignore[no-untyped-def]
    with_link = _report("https://files.test/a.jpg")
    _report()  # no link: no task
    assert _queued_traces() == [[with_link.pk]]
    assert not HostTrace.objects.exists()  # nothing traced inside the pipeline itself


def test_the_task_traces_each_host_once_and_reuses_the_cache(dns) -> None:  # type: ignore[no-untyped-def]
    report = _report(
        "https://files.test/a.jpg", "https://www.files.test/b.jpg", "http://nl-host.test/x"
    )
    assert report_trace(report.pk) == 2
    traces = {t.host: t for t in HostTrace.objects.all()}
    assert set(traces) == {"files.test", "nl-host.test"}
    assert traces["files.test"].countries == ["KH"]
    assert traces["files.test"].addresses[0]["names"] == ["host30.example-kh.test"]
    asked = len(dns.queries)
    assert report_trace(report.pk) == 2  # delivered twice: the day's cache answers
    assert len(dns.queries) == asked
    HostTrace.objects.update(traced_at=timezone.now() - timedelta(days=2))
    report_trace(report.pk)  # expired: traced again
    assert len(dns.queries) > asked


def test_a_link_rejected_by_an_analyst_is_not_traced(dns) -> None:  # type: ignore[no-untyped-def]
    report = _report("https://files.test/a.jpg", "http://nl-host.test/x")
    link = next(
        r
        for r in ReportEntity.objects.filter(report=report).select_related("entity")
        if "nl-host" in entity_value(r.entity)
    )
    ReportEntity.objects.filter(pk=link.pk).update(state=ReportEntity.State.REJECTED)
    assert report_trace(report.pk) == 1
    assert list(HostTrace.objects.values_list("host", flat=True)) == ["files.test"]


def test_a_purged_report_is_not_traced(dns) -> None:  # type: ignore[no-untyped-def]
    report = _report("https://files.test/a.jpg")
    report_id = report.pk
    report.delete()
    assert report_trace(report_id) == 0
    assert not HostTrace.objects.exists()


def test_the_partner_hotline_is_the_one_of_the_hosting_country(dns) -> None:  # type: ignore[no-untyped-def]
    PartnerHotline.objects.create(name="Meldpunt", country="NL", inhope_member=False)
    member = PartnerHotline.objects.create(name="Offlimits", country="NL", inhope_member=True)
    PartnerHotline.objects.create(name="Retired", country="NL", inhope_member=True, active=False)
    abroad = _report("http://nl-host.test/x")
    assert partner_for_report(abroad) is None  # not traced yet
    report_hosts_trace(report_id=abroad.pk)
    assert report_hosting_countries(abroad) == ["NL"]
    assert partner_for_report(abroad) == member


def test_no_partner_for_content_at_home_behind_a_cdn_or_inside_a_network(dns, settings) -> None:  # type: ignore[no-untyped-def]
    PartnerHotline.objects.create(name="US line", country="US")
    PartnerHotline.objects.create(name="KH line", country="KH")
    for link in ("https://files.test/a", "https://cdn.test/b", "https://inside.test/c"):
        report = _report(link)
        report_hosts_trace(report_id=report.pk)
        assert partner_for_report(report) is None, link
    settings.HOTLINE_HOME_COUNTRY = "TH"
    at_home = Report.objects.order_by("pk").first()
    assert at_home is not None
    assert partner_for_report(at_home) == PartnerHotline.objects.get(country="KH")


def test_a_host_that_does_not_resolve_is_recorded_as_a_problem(dns) -> None:  # type: ignore[no-untyped-def]
    report = _report("https://nowhere.test/x")
    assert report_trace(report.pk) == 1
    trace = HostTrace.objects.get(host="nowhere.test")
    assert trace.problem
    assert trace.addresses == []
    assert partner_for_report(report) is None


def test_the_report_page_shows_the_trace(dns, client) -> None:  # type: ignore[no-untyped-def]
    report = _report("https://files.test/a.jpg", "https://cdn.test/b")
    log_in(client, make_staff("analyst", role="analyst"))
    page = client.get(f"/staff/reports/{report.public_id}/")
    assert b'id="hosting-trace"' in page.content
    assert b"Not traced yet" in page.content
    report_trace(report.pk)
    page = client.get(f"/staff/reports/{report.public_id}/")
    text = page.content.decode()
    assert "AS64500 EXAMPLE-KH-HOSTING" in text
    assert "(KH)" in text
    assert "behind the CDN Cloudflare" in text
    assert "host30.example-kh.test" in text


# --- RDAP --------------------------------------------------------------------------------

REGISTRAR = {
    "objectClassName": "domain",
    "ldhName": "FILES.TEST",
    "entities": [
        {"roles": ["registrant"], "vcardArray": ["vcard", [["fn", {}, "text", "Someone"]]]},
        {
            "roles": ["registrar"],
            "handle": "9999",
            "vcardArray": [
                "vcard",
                [["version", {}, "text", "4.0"], ["fn", {}, "text", "Example Registrar, Inc."]],
            ],
        },
    ],
}


def _rdap(status_by_path: dict[str, tuple[int, bytes]]):  # type: ignore[no-untyped-def]
    def script(conn: socket.socket, head: bytes) -> None:
        path = head.split(b" ")[1].decode() if b" " in head else ""
        status, body = status_by_path.get(path, (404, b"{}"))
        answer(status, {"Content-Type": "application/rdap+json"}, body)(conn, head)

    return http_server(script)


def test_the_registrar_comes_from_the_local_rdap_server(dns, settings) -> None:  # type: ignore[no-untyped-def]
    with _rdap({"/domain/files.test": (200, json.dumps(REGISTRAR).encode())}) as (port, seen):
        settings.HOTLINE_RDAP_URL = f"http://127.0.0.1:{port}/"
        report = _report("https://cdn.files.test/a.jpg")
        report_trace(report.pk)
        trace = HostTrace.objects.get(host="cdn.files.test")
        assert (trace.registrar, trace.registrar_problem) == ("Example Registrar, Inc.", "")
        assert [r.split(b" ")[1] for r in seen.requests] == [b"/domain/files.test"]
        report_trace(report.pk)  # a week's cache: not asked again
        assert len(seen.requests) == 1


def test_rdap_asks_the_longer_name_when_the_shorter_is_a_public_suffix(dns, settings) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(REGISTRAR).encode()
    with _rdap({"/domain/files.co.test": (200, body)}) as (port, seen):
        settings.HOTLINE_RDAP_URL = f"http://127.0.0.1:{port}"
        from hotline.hosting.rdap import registrar_lookup

        assert registrar_lookup("www.files.co.test", settings.HOTLINE_RDAP_URL) == (
            "Example Registrar, Inc."
        )
        assert [r.split(b" ")[1] for r in seen.requests] == [
            b"/domain/co.test",
            b"/domain/files.co.test",
        ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_without_network_rdap_degrades_to_a_problem_and_the_trace_stands(dns, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_RDAP_URL = f"http://127.0.0.1:{_closed_port()}/"
    report = _report("https://files.test/a.jpg")
    assert report_trace(report.pk) == 1
    trace = HostTrace.objects.get(host="files.test")
    assert trace.countries == ["KH"]
    assert trace.registrar == ""
    assert trace.registrar_problem.startswith("RDAP unreachable")
    assert trace.registrar_checked_at is not None


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (500, b"oops", "RDAP answered 500"),
        (200, b"<html>not json</html>", "not JSON"),
        (200, b"[1, 2]", "not an object"),
        (200, b"\xff\xfe" * 10, "not JSON"),
        (200, b" " * (300 * 1024), "too large"),
    ],
)
def test_odd_rdap_answers_are_problems_not_crashes(
    dns, settings, status: int, body: bytes, problem: str
) -> None:  # type: ignore[no-untyped-def]
    with _rdap({"/domain/files.test": (status, body)}) as (port, _):
        settings.HOTLINE_RDAP_URL = f"http://127.0.0.1:{port}/"
        report_trace(_report("https://files.test/a.jpg").pk)
    trace = HostTrace.objects.get(host="files.test")
    assert problem in trace.registrar_problem
    assert trace.registrar == ""


def test_rdap_is_off_unless_configured() -> None:
    """The default asks no RDAP service (it would learn which domains the hotline looks at)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "HOTLINE_RDAP_URL"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(repr(settings.HOTLINE_RDAP_URL))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "''"


def test_with_rdap_off_no_registrar_is_looked_up(dns) -> None:  # type: ignore[no-untyped-def]
    report_trace(_report("https://files.test/a.jpg").pk)
    trace = HostTrace.objects.get(host="files.test")
    assert (trace.registrar, trace.registrar_checked_at) == ("", None)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"entities": "x"},
        {"entities": [None, 1, {"roles": None}]},
        {"entities": [{"roles": ["registrar"], "vcardArray": ["vcard", "x"]}]},
        {"entities": [{"roles": ["registrar"], "vcardArray": [1, [["fn"]]]}]},
    ],
)
def test_registrar_name_of_malformed_rdap_objects_is_empty(data: dict[str, object]) -> None:
    assert registrar_name(data) == ""
