"""Re-checks of noticed targets against real HTTP servers on 127.0.0.1 playing the hosts:
what each answer does to the target (removed only after two gone answers apart, retried after
failures, flagged when refused), the schedule, and that nothing about the URL is kept in clear."""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from recheck_support import earlier_check, noticed_report, target_for

from hotline.audit.models import AuditEvent
from hotline.takedown.fetcher import FetchPolicy, Hop, LivenessResult, Outcome
from hotline.takedown.models import LivenessCheck, Target
from hotline.takedown.rechecks import (
    GONE_CONFIRM_AFTER,
    RETRY_AFTER,
    finding_of,
    targets_recheck,
)
from net_stubs import answer, drip, http_server

pytestmark = pytest.mark.django_db

LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
POLICY = FetchPolicy(allowed_test_networks=LOOPBACK_ONLY, deadline_seconds=2)
NOW = datetime.fromisoformat("2026-12-03T12:00:00+00:00")


def recheck(now: datetime = NOW) -> None:
    targets_recheck(now=now, policy=POLICY, concurrency=4)


def checks_of(target: Target) -> list[LivenessCheck]:
    return list(LivenessCheck.objects.filter(target=target).order_by("at", "id"))


@pytest.fixture
def report():  # type: ignore[no-untyped-def]
    return noticed_report()


def _target(report, url: str, hours_ago: float = 2) -> Target:  # type: ignore[no-untyped-def]
    return target_for(report, url, noticed_at=NOW - timedelta(hours=hours_ago), due_at=NOW)


def test_content_still_up_is_recorded_online_and_checked_again_within_the_hour(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(200)) as (port, seen):
        target = _target(report, f"http://127.0.0.1:{port}/item/1")
        recheck()
    target.refresh_from_db()
    assert seen.requests
    assert seen.requests[0].startswith(b"HEAD /item/1 ")
    [check] = checks_of(target)
    assert (check.outcome, check.status_code, check.at) == ("online", 200, NOW)
    assert target.state == Target.State.ONLINE
    assert target.last_checked_at == NOW
    assert target.next_check_at == NOW + timedelta(hours=1)


def test_after_the_first_day_content_still_up_is_checked_every_six_hours(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(200)) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/a", hours_ago=100)
        Target.objects.filter(pk=target.pk).update(escalation_level=2)
        recheck()
    target.refresh_from_db()
    assert target.next_check_at == NOW + timedelta(hours=6)


@pytest.mark.parametrize("status", [404, 410, 451])
def test_two_gone_answers_apart_remove_the_target_from_the_first_of_them(report, status) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(status)) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/x", hours_ago=5)
        recheck()
        target.refresh_from_db()
        assert target.state == Target.State.ONLINE, "one gone answer is not yet a removal"
        assert target.next_check_at == NOW + GONE_CONFIRM_AFTER
        recheck(target.next_check_at)
    target.refresh_from_db()
    assert target.state == Target.State.REMOVED
    assert target.removed_at == NOW  # the first time it was seen gone
    assert target.removed_at - target.first_noticed_at == timedelta(hours=5)
    assert target.next_check_at is None
    assert [c.outcome for c in checks_of(target)] == ["gone", "gone"]
    removed = AuditEvent.objects.filter(action="takedown.target_removed")
    assert [e.details["hours_to_removal"] for e in removed] == [5.0]
    assert AuditEvent.objects.filter(action="takedown.report_content_removed").count() == 1
    # A removed target is not checked again.
    recheck(NOW + timedelta(days=2))
    assert len(checks_of(target)) == 2


def test_a_gone_answer_then_an_online_one_is_a_flap_and_removes_nothing(report) -> None:  # type: ignore[no-untyped-def]
    answers = iter([404, 200, 404])

    def flapping(conn, head):  # type: ignore[no-untyped-def]
        answer(next(answers))(conn, head)

    with http_server(flapping) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/flap")
        recheck()
        recheck(NOW + timedelta(hours=1))
        recheck(NOW + timedelta(hours=2))
    target.refresh_from_db()
    assert [c.outcome for c in checks_of(target)] == ["gone", "online", "gone"]
    assert target.state == Target.State.ONLINE
    assert target.removed_at is None


def test_two_gone_answers_too_close_together_do_not_remove(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(404)) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/x")
        earlier_check(target, outcome="gone", at=NOW - timedelta(minutes=5), status=404)
        recheck()
    target.refresh_from_db()
    assert target.state == Target.State.ONLINE


def test_a_server_dripping_its_answer_times_out_and_is_retried_sooner(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(drip(0.5)) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/slow")
        earlier_check(target, outcome="gone", at=NOW - timedelta(hours=1), status=404)
        recheck()
    target.refresh_from_db()
    [_, check] = checks_of(target)
    assert check.outcome == "timeout"
    assert target.state == Target.State.ONLINE  # a failure never confirms a removal
    assert target.next_check_at == NOW + RETRY_AFTER


def _reset(conn: socket.socket, head: bytes) -> None:
    # SO_LINGER 0: close() sends a TCP reset instead of a clean end.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _huge_headers(conn: socket.socket, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * 200_000 + b"\r\n\r\n")


@pytest.mark.parametrize(
    ("script", "outcome", "detail"),
    [
        (answer(302, {"Location": "/again"}), "error", "too many redirects"),
        (_reset, "error", "the connection or the answer failed"),
        (_huge_headers, "error", "the connection or the answer failed"),
        (answer(503), "error", "server error, answered 503"),
    ],
    ids=["redirect-loop", "connection-reset", "huge-headers", "server-error"],
)
def test_failing_hosts_are_retried_sooner_and_never_removed(
    report, script, outcome, detail
) -> None:  # type: ignore[no-untyped-def]
    with http_server(script) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/p")
        recheck()
    target.refresh_from_db()
    [check] = checks_of(target)
    assert (check.outcome, check.detail) == (outcome, detail)
    assert target.state == Target.State.ONLINE
    assert target.next_check_at == NOW + RETRY_AFTER


def test_nothing_listening_is_unreachable_and_retried(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(200)) as (port, _):
        pass  # the port is free again
    target = _target(report, f"http://127.0.0.1:{port}/")
    recheck()
    [check] = checks_of(target)
    assert check.outcome == "unreachable"


@pytest.mark.parametrize("location", ["http://[::1]:{port}/", "http://0177.0.0.2:{port}/"])
def test_a_redirect_to_loopback_is_refused_and_flagged_for_an_analyst_once(
    report, location
) -> None:  # type: ignore[no-untyped-def]
    from hotline.takedown.removal import report_removal_summary

    with http_server(answer(200)) as (inner, inner_seen):
        hop = location.format(port=inner)
        with http_server(answer(301, {"Location": hop})) as (port, _):
            target = _target(report, f"http://127.0.0.1:{port}/r")
            recheck()
            recheck(NOW + timedelta(hours=1))
    assert inner_seen.connections == 0
    assert [c.outcome for c in checks_of(target)] == ["refused", "refused"]
    flags = AuditEvent.objects.filter(action="takedown.check_refused")
    assert flags.count() == 1
    target.refresh_from_db()
    assert target.state == Target.State.ONLINE
    [row] = report_removal_summary(report).targets
    assert row.needs_analyst


def test_a_redirect_from_the_page_to_the_home_page_counts_as_gone(report) -> None:  # type: ignore[no-untyped-def]
    def site(conn, head):  # type: ignore[no-untyped-def]
        if head.startswith(b"HEAD / "):
            answer(200)(conn, head)
        else:
            answer(302, {"Location": "/"})(conn, head)

    with http_server(site) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/video/123")
        recheck()
    [check] = checks_of(target)
    assert check.outcome == "gone"
    assert check.detail == "redirected to the home page, answered 200"


def test_a_redirect_to_a_login_page_is_not_taken_for_a_removal(report) -> None:  # type: ignore[no-untyped-def]
    def site(conn, head):  # type: ignore[no-untyped-def]
        if head.startswith(b"HEAD /accounts/login"):
            answer(200)(conn, head)
        else:
            answer(302, {"Location": "/accounts/login/?next=/p/1"})(conn, head)

    with http_server(site) as (port, _):
        target = _target(report, f"http://127.0.0.1:{port}/p/1")
        recheck()
    [check] = checks_of(target)
    assert check.outcome == "online"
    assert "login" in check.detail


def test_what_is_stored_in_clear_never_names_the_url_or_its_host(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(301, {"Location": "http://10.1.2.3/hidden-zq"})) as (port, _):
        _target(report, f"http://127.0.0.1:{port}/secret-path-xyz")
        recheck()
    with http_server(answer(200)) as (port, _):
        _target(report, f"http://127.0.0.1:{port}/secret-path-xyz")
        recheck()
    stored = " ".join(f"{c.outcome} {c.detail}" for c in LivenessCheck.objects.all()) + " ".join(
        str(e.details) for e in AuditEvent.objects.all()
    )
    for secret in ("127.0.0.1", "10.1.2.3", "secret-path-xyz", "hidden-zq"):
        assert secret not in stored


def test_targets_not_yet_due_or_already_removed_are_left_alone(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(200)) as (port, seen):
        later = target_for(
            report,
            f"http://127.0.0.1:{port}/later",
            noticed_at=NOW,
            due_at=NOW + timedelta(minutes=1),
        )
        gone = _target(report, f"http://127.0.0.1:{port}/gone")
        Target.objects.filter(pk=gone.pk).update(state="removed", removed_at=NOW, next_check_at=NOW)
        recheck()
    assert seen.connections == 0
    assert not checks_of(later)
    assert not checks_of(gone)


@pytest.fixture
def many_targets(report) -> Iterator[tuple[list[Target], int]]:  # type: ignore[no-untyped-def]
    with http_server(answer(200)) as (port, seen):
        targets = [_target(report, f"http://127.0.0.1:{port}/n/{i}") for i in range(30)]
        yield targets, port
        assert seen.connections >= 30


def test_every_due_target_is_checked_once_per_run_across_read_chunks(
    many_targets, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from hotline.takedown import rechecks

    monkeypatch.setattr(rechecks, "READ_CHUNK", 7)
    targets, _ = many_targets
    recheck()
    assert sorted(LivenessCheck.objects.values_list("target_id", flat=True)) == sorted(
        t.pk for t in targets
    )


@given(
    url=st.text(max_size=200),
    final=st.text(max_size=200),
    outcome=st.sampled_from(list(Outcome)),
    status=st.none() | st.integers(100, 599),
    reason=st.text(max_size=100),
)
def test_any_result_for_any_url_reads_as_a_verdict_in_short_fixed_words(
    url: str, final: str, outcome: Outcome, status: int | None, reason: str
) -> None:
    hops = (Hop(url=url, address="", status=301), Hop(url=final, address="", status=status))
    finding = finding_of(
        LivenessResult(outcome=outcome, status=status, reason=reason, hops=hops), url
    )
    assert finding.verdict in {"online", "gone", "retry", "refused"}
    # Only fixed words and numbers: nothing of the URL, the redirect or the fetcher's reason.
    assert FIXED_DETAIL.fullmatch(finding.detail), finding.detail


FIXED_DETAIL = re.compile(
    r"answered (\d{3}|None)( after \d+ redirects)?"
    r"|redirected to (the home|a login) page, answered (\d{3}|None)"
    r"|server error, answered \d{3}|too many redirects|the connection or the answer failed"
    r"|the name does not resolve or nothing answers|no full answer before the deadline"
    r"|it leads to an address inside a private or reserved network"
    r"|the URL is not one the checker may ask \(scheme, credentials or form\)"
)


def test_a_run_out_of_time_budget_leaves_the_rest_due_for_the_next_run(report) -> None:  # type: ignore[no-untyped-def]
    with http_server(answer(200)) as (port, _):
        targets = [_target(report, f"http://127.0.0.1:{port}/b/{i}") for i in range(5)]
        targets_recheck(now=NOW, policy=POLICY, concurrency=2, budget_seconds=0)
        assert not LivenessCheck.objects.exists()
        assert all(Target.objects.get(pk=t.pk).next_check_at == NOW for t in targets)
        targets_recheck(now=NOW, policy=POLICY, concurrency=2, budget_seconds=60)
    assert LivenessCheck.objects.count() == 5
