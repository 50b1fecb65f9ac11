"""`hotline takedown-recheck`: runs the re-check and prints its counts; bad arguments and a bad
escalation setting give one clear error and change nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from recheck_support import noticed_report, target_for

from hotline.takedown.models import LivenessCheck, Target
from net_stubs import answer, http_server

pytestmark = pytest.mark.django_db


def test_the_command_checks_due_targets_and_prints_the_counts(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_FETCH_ALLOWED_TEST_NETWORKS = ["127.0.0.1/32"]
    out = io.StringIO()
    with http_server(answer(200)) as (port, _):
        target = target_for(noticed_report(), f"http://127.0.0.1:{port}/c")
        call_command("takedown-recheck", "--concurrency", "2", stdout=out)
    assert out.getvalue().startswith("checked 1 (online 1, gone 0")
    target.refresh_from_db()
    assert target.next_check_at is not None
    assert target.next_check_at > timezone.now()


@pytest.mark.parametrize(
    "value", ["0", "-1", "257", "1e3", "", "two", "9" * 500, "4; rm -rf /", "\x00", "٣"]
)
def test_a_bad_concurrency_is_refused_before_anything_is_checked(value: str) -> None:
    target = target_for(noticed_report(), "http://127.0.0.1:9/never")
    with pytest.raises(CommandError, match="concurrency"):
        call_command("takedown-recheck", "--concurrency", value)
    assert not LivenessCheck.objects.exists()
    assert Target.objects.get(pk=target.pk).last_checked_at is None


def test_a_bad_escalation_setting_is_refused_before_anything_is_checked(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS = "72,24"
    target_for(noticed_report(), "http://127.0.0.1:9/never", due_at=timezone.now() - timedelta(1))
    with pytest.raises(CommandError, match="HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS"):
        call_command("takedown-recheck")
    assert not LivenessCheck.objects.exists()
