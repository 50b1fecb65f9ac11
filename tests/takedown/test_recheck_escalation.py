"""Escalation of content still online, with explicit times: the level rises at each
configured interval after the first notice, once; the case goes back to the analysts' queue
with a system event, and everything is audited."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st
from recheck_support import noticed_report, target_for

from hotline.audit.models import AuditEvent
from hotline.cases.models import CaseEvent
from hotline.intake.choices import CaseState
from hotline.takedown.fetcher import FetchPolicy
from hotline.takedown.models import LivenessCheck, Target
from hotline.takedown.rechecks import (
    escalation_hours,
    escalation_level_due,
    targets_recheck,
)
from hotline.triage.selectors import queue_reports
from net_stubs import answer, http_server

pytestmark = pytest.mark.django_db

POLICY = FetchPolicy(allowed_test_networks=(ipaddress.ip_network("127.0.0.1/32"),))
NOTICED = datetime.fromisoformat("2026-12-01T08:00:00+00:00")


def recheck(at: datetime) -> None:
    targets_recheck(now=at, policy=POLICY, concurrency=2)


def _report_and_target(port: int, *, status: str = CaseState.NOTICE_SENT):  # type: ignore[no-untyped-def]
    report = noticed_report(status)
    target = target_for(report, f"http://127.0.0.1:{port}/up", noticed_at=NOTICED)
    return report, target


def _due_now(target: Target) -> None:
    # Each run schedules the next check; these tests choose the moments themselves.
    Target.objects.filter(pk=target.pk).update(next_check_at=NOTICED)


def test_content_online_past_24_then_72_hours_escalates_once_per_level() -> None:
    with http_server(answer(200)) as (port, _):
        report, target = _report_and_target(port)
        recheck(NOTICED + timedelta(hours=23, minutes=59))
        target.refresh_from_db()
        assert target.escalation_level == 0
        # The next check is not later than the escalation time.
        assert target.next_check_at == NOTICED + timedelta(hours=24)
        assert report.__class__.objects.get(pk=report.pk).status == CaseState.NOTICE_SENT

        recheck(NOTICED + timedelta(hours=24))
        target.refresh_from_db()
        report.refresh_from_db()
        assert target.escalation_level == 1
        assert report.status == CaseState.ASSESSED
        event = CaseEvent.objects.get(report=report, kind="state")
        assert (event.actor, event.from_state, event.to_state) == (
            None,
            CaseState.NOTICE_SENT,
            CaseState.ASSESSED,
        )
        assert report in queue_reports({})  # the default triage queue shows it again

        _due_now(target)
        recheck(NOTICED + timedelta(hours=30))  # same level: nothing more
        target.refresh_from_db()
        assert target.escalation_level == 1

        # The analyst sends the escalation notice (h-notices); the report is acted on again.
        report.__class__.objects.filter(pk=report.pk).update(status=CaseState.NOTICE_SENT)
        _due_now(target)
        recheck(NOTICED + timedelta(hours=72))
        target.refresh_from_db()
        report.refresh_from_db()
        assert target.escalation_level == 2
        assert report.status == CaseState.ASSESSED
    levels = [
        e.details["level"] for e in AuditEvent.objects.filter(action="takedown.target_escalate")
    ]
    assert levels == [1, 2]
    assert AuditEvent.objects.filter(action="report.takedown_escalated").count() == 2


def test_running_twice_at_the_same_moment_escalates_once() -> None:
    with http_server(answer(200)) as (port, _):
        report, target = _report_and_target(port)
        recheck(NOTICED + timedelta(hours=25))
        _due_now(target)
        recheck(NOTICED + timedelta(hours=25))
    assert AuditEvent.objects.filter(action="takedown.target_escalate").count() == 1
    assert CaseEvent.objects.filter(report=report).count() == 1


def test_a_first_gone_answer_holds_the_escalation_until_it_is_confirmed_or_not() -> None:
    with http_server(answer(404)) as (port, _):
        _report, target = _report_and_target(port)
        recheck(NOTICED + timedelta(hours=30))
        target.refresh_from_db()
        assert target.escalation_level == 0
        recheck(target.next_check_at)  # type: ignore[arg-type]
    target.refresh_from_db()
    assert target.state == Target.State.REMOVED
    assert target.escalation_level == 0


def test_the_intervals_come_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS = "2,5,9"
    with http_server(answer(200)) as (port, _):
        _report, target = _report_and_target(port)
        recheck(NOTICED + timedelta(hours=5))
    target.refresh_from_db()
    assert target.escalation_level == 2
    assert target.next_check_at == NOTICED + timedelta(hours=6)


def test_a_closed_report_stays_closed_but_its_target_still_escalates() -> None:
    with http_server(answer(200)) as (port, _):
        report, target = _report_and_target(port, status=CaseState.CLOSED)
        recheck(NOTICED + timedelta(hours=24))
    report.refresh_from_db()
    target.refresh_from_db()
    assert report.status == CaseState.CLOSED
    assert target.escalation_level == 1
    assert not CaseEvent.objects.filter(report=report).exists()


def test_an_identifier_that_is_not_a_web_url_becomes_uncheckable_and_still_escalates() -> None:
    report = noticed_report()
    target = target_for(report, "some_channel", kind="handle", noticed_at=NOTICED)
    recheck(NOTICED + timedelta(hours=1))
    target.refresh_from_db()
    assert target.state == Target.State.UNCHECKABLE
    assert not LivenessCheck.objects.exists()
    assert target.next_check_at == NOTICED + timedelta(hours=24)
    recheck(NOTICED + timedelta(hours=24))
    target.refresh_from_db()
    assert target.escalation_level == 1
    assert target.next_check_at == NOTICED + timedelta(hours=72)
    recheck(NOTICED + timedelta(hours=80))
    target.refresh_from_db()
    assert target.escalation_level == 2
    assert target.next_check_at is None  # nothing left to do without an analyst


def test_levels_due_count_the_thresholds_passed() -> None:
    hours = (24, 72)
    assert escalation_level_due(None, NOTICED + timedelta(days=9), hours) == 0
    assert escalation_level_due(NOTICED, NOTICED, hours) == 0
    assert escalation_level_due(NOTICED, NOTICED + timedelta(hours=24), hours) == 1
    assert escalation_level_due(NOTICED, NOTICED + timedelta(hours=71), hours) == 1
    assert escalation_level_due(NOTICED, NOTICED + timedelta(hours=72), hours) == 2


@pytest.mark.parametrize("text", ["24,72", "1", " 6 , 12 ,48", "1,2,3,4,5,6,7,8,9,10"])
def test_escalation_hours_accept_rising_whole_hours(text: str) -> None:
    assert escalation_hours(text) == tuple(int(p) for p in text.split(","))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "72,24",
        "24,24",
        "-1",
        "1.5",
        "24;72",
        "x",
        "99999",
        "1,2,3,4,5,6,7,8,9,10,11",
        "٢٤",
        "24,72\x00",
        "24," * 1000,
    ],
)
def test_escalation_hours_refuse_garbage_with_a_clear_message(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS"):
        escalation_hours(text)


@given(st.text(max_size=60))
def test_escalation_hours_either_parse_or_refuse_any_text(text: str) -> None:
    try:
        hours = escalation_hours(text)
    except ImproperlyConfigured:
        return
    assert list(hours) == sorted(set(hours))
    assert all(1 <= h <= 8760 for h in hours)
