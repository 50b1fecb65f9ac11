"""Re-check noticed targets until their content is gone, and escalate those that stay up.

The periodic task (`takedown_recheck_task`, every 15 minutes) takes every target that is due
(`next_check_at <= now`, not removed) and:
- a web URL is checked with the safe fetcher (status and headers only), many at once
  (hotline.takedown.liveness); each answer is one LivenessCheck row (outcome, status, a short
  detail in fixed words: never the content, never the URL or its host, which are encrypted);
- another kind of identifier (a handle, a phone number) cannot be asked: it becomes
  "uncheckable" (an analyst records its removal by hand) but still escalates;
- "gone" (404, 410, 451, or a redirect from the page to the site's home page) twice in a row,
  at least GONE_CONFIRM_AFTER apart, removes the target; one "gone" followed by an answer
  is a flap and changes nothing. The removal time is the first of the two gone answers;
- unreachable, timeout, server error: tried again sooner (RETRY_AFTER), never removed;
- refused (the URL now leads inside a private network, or is not one we may ask): recorded,
  and flagged to analysts with an audit event the first time in a row;
- still not removed past first_noticed_at + each of HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS
  (default 24 and 72 hours): `escalation_level` rises (h-notices' sender reads it), the case
  goes back to the analysts' queue (hotline.cases.services.report_takedown_escalated) and an
  audit event is written.
Schedule: hourly during the first day after the first notice, then every 6 hours, never later
than the next escalation time. Choices and reasons: docs/decisions/takedown-rechecks.md.

Every write of a batch of results happens in one transaction, with guarded updates (`state =
online`, `escalation_level < new`): a worker killed mid-run loses only unrecorded checks, and
the next run checks those targets again without a second removal or escalation.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from hotline.audit.services import audit_record
from hotline.entities.models import Kind as EntityKind
from hotline.entities.services import entity_value
from hotline.takedown.fetcher import FetchPolicy, LivenessResult, Outcome, policy_from_settings
from hotline.takedown.liveness import DEFAULT_BATCH, Checked, check_many
from hotline.takedown.models import LivenessCheck, Target

FIRST_DAY = timedelta(hours=24)
EARLY_INTERVAL = timedelta(hours=1)
LATER_INTERVAL = timedelta(hours=6)
RETRY_AFTER = timedelta(minutes=15)
# A second "gone" must come at least this long after the first to remove a target: a host
# restarting or a cache miss answers 404 for seconds, not for half an hour.
GONE_CONFIRM_AFTER = timedelta(minutes=30)
READ_CHUNK = 500

GONE = "gone"
_RETRY_OUTCOMES = frozenset({Outcome.UNREACHABLE, Outcome.TIMEOUT, Outcome.ERROR})
_LOGIN_PATH = re.compile(r"(^|/)(log-?in|sign-?in|sign_in|auth|accounts/login|checkpoint)(/|$|\?)")


class Verdict:
    ONLINE = "online"
    GONE = "gone"
    RETRY = "retry"
    REFUSED = "refused"


@dataclass(frozen=True)
class Finding:
    """What one check means for the target, in words fit to store in clear."""

    verdict: str
    outcome: str  # stored in LivenessCheck.outcome
    status: int | None
    detail: str


def finding_of(result: LivenessResult, url: str) -> Finding:
    """Read a fetcher result as a verdict. The detail names no host, address or URL."""
    status = result.status
    redirected = len(result.hops) > 1
    if result.outcome is Outcome.GONE:
        return Finding(Verdict.GONE, GONE, status, f"answered {status}")
    if result.outcome is Outcome.ONLINE:
        if redirected:
            try:
                start = urllib.parse.urlsplit(url)
                final = urllib.parse.urlsplit(result.final_url)
            except ValueError:  # the fetcher read them, but stay safe on any text
                return Finding(Verdict.ONLINE, result.outcome.value, status, f"answered {status}")
            if final.path in ("", "/") and not final.query and start.path not in ("", "/"):
                # The page now sends everyone to the site's front page: what platforms do with
                # removed content. Login pages are not treated so (content may sit behind one).
                return Finding(
                    Verdict.GONE, GONE, status, f"redirected to the home page, answered {status}"
                )
            if _LOGIN_PATH.search(final.path.lower()):
                return Finding(
                    Verdict.ONLINE,
                    result.outcome.value,
                    status,
                    f"redirected to a login page, answered {status}",
                )
            return Finding(
                Verdict.ONLINE,
                result.outcome.value,
                status,
                f"answered {status} after {len(result.hops) - 1} redirects",
            )
        return Finding(Verdict.ONLINE, result.outcome.value, status, f"answered {status}")
    if result.outcome is Outcome.REFUSED:
        if "leads to" in result.reason:
            why = "it leads to an address inside a private or reserved network"
        else:
            why = "the URL is not one the checker may ask (scheme, credentials or form)"
        return Finding(Verdict.REFUSED, result.outcome.value, None, why)
    words = {
        Outcome.UNREACHABLE: "the name does not resolve or nothing answers",
        Outcome.TIMEOUT: "no full answer before the deadline",
    }
    if result.outcome is Outcome.ERROR:
        if "redirects" in result.reason:
            detail = "too many redirects"
        elif status:
            detail = f"server error, answered {status}"
        else:
            detail = "the connection or the answer failed"
    else:
        detail = words.get(result.outcome, "the check failed")
    return Finding(Verdict.RETRY, result.outcome.value, status, detail)


def escalation_hours(text: str | None = None) -> tuple[int, ...]:
    """Parse HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS ("24,72"): rising whole hours, at most 10."""
    raw = str(
        getattr(settings, "HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS", "24,72")
        if text is None
        else text
    )
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    message = (
        "HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS: write rising whole hours between 1 and 8760, "
        f"separated by commas (e.g. 24,72), not {raw[:40]!r}."
    )
    if not 1 <= len(parts) <= 10 or not all(re.fullmatch(r"[0-9]{1,4}", p) for p in parts):
        raise ImproperlyConfigured(message)
    hours = tuple(int(p) for p in parts)
    if any(h < 1 or h > 8760 for h in hours) or list(hours) != sorted(set(hours)):
        raise ImproperlyConfigured(message)
    return hours


def escalation_level_due(
    first_noticed_at: datetime | None, now: datetime, hours: Sequence[int]
) -> int:
    """How many escalation thresholds have passed for a target noticed at `first_noticed_at`."""
    if first_noticed_at is None:
        return 0
    return sum(1 for h in hours if now >= first_noticed_at + timedelta(hours=h))


def next_check_after(
    *, verdict: str, now: datetime, since: datetime, level: int, hours: Sequence[int]
) -> datetime:
    """When to look again: sooner after a failure or a first "gone", and no later than the
    next escalation time (so an escalation is never late by a whole interval)."""
    if verdict == Verdict.GONE:
        when = now + GONE_CONFIRM_AFTER
    elif verdict == Verdict.RETRY:
        when = now + RETRY_AFTER
    else:
        when = now + (EARLY_INTERVAL if now - since < FIRST_DAY else LATER_INTERVAL)
    escalation = next_escalation_at(since=since, level=level, hours=hours)
    if escalation is not None and now < escalation < when:
        return escalation
    return when


def next_escalation_at(*, since: datetime, level: int, hours: Sequence[int]) -> datetime | None:
    return since + timedelta(hours=hours[level]) if level < len(hours) else None


@dataclass
class RecheckSummary:
    checked: int = 0
    online: int = 0
    gone: int = 0
    retry: int = 0
    refused: int = 0
    removed: int = 0
    escalated: int = 0
    uncheckable: int = 0
    reports_returned: set[int] = field(default_factory=set)

    def line(self) -> str:
        return (
            f"checked {self.checked} (online {self.online}, gone {self.gone}, "
            f"retry {self.retry}, refused {self.refused}); removed {self.removed}; "
            f"escalated {self.escalated}; uncheckable {self.uncheckable}; "
            f"cases back in the queue {len(self.reports_returned)}"
        )


@dataclass(frozen=True)
class _Due:
    pk: int
    public_id: str
    report_id: int
    state: str
    url: str  # "" for identifiers that are not web URLs
    since: datetime  # first notice, or creation while no notice went out yet
    first_noticed_at: datetime | None
    escalation_level: int
    previous_outcome: str | None
    previous_at: datetime | None


def _due_targets(now: datetime, *, urls: bool, stop_at: float | None = None) -> Iterator[_Due]:
    """Stream due targets by primary key, READ_CHUNK rows per query (memory stays flat).
    Past `stop_at` (time.monotonic), no more are read: they stay due for the next run."""
    chunk = READ_CHUNK
    last = LivenessCheck.objects.filter(target=OuterRef("pk")).order_by("-at", "-id")
    rows = (
        Target.objects.filter(
            next_check_at__lte=now, state__in=[Target.State.ONLINE, Target.State.UNCHECKABLE]
        )
        .select_related("entity")
        .annotate(
            previous_outcome=Subquery(last.values("outcome")[:1]),
            previous_at=Subquery(last.values("at")[:1]),
        )
        .order_by("pk")
    )
    rows = (
        rows.filter(entity__kind=EntityKind.URL)
        if urls
        else rows.exclude(entity__kind=EntityKind.URL)
    )
    after = 0
    while True:
        page = list(rows.filter(pk__gt=after)[:chunk])
        if not page:
            return
        for target in page:
            if stop_at is not None and time.monotonic() >= stop_at:
                return
            yield _Due(
                pk=target.pk,
                public_id=str(target.public_id),
                report_id=target.report_id,
                state=target.state,
                url=entity_value(target.entity) if urls else "",
                since=target.first_noticed_at or target.created_at,
                first_noticed_at=target.first_noticed_at,
                escalation_level=target.escalation_level,
                previous_outcome=target.previous_outcome,
                previous_at=target.previous_at,
            )
        after = page[-1].pk


def _escalate(due: _Due, *, now: datetime, hours: Sequence[int], summary: RecheckSummary) -> int:
    """Raise the target's escalation level if a threshold passed; return the level now."""
    from hotline.cases.services import report_takedown_escalated

    level = escalation_level_due(due.first_noticed_at, now, hours)
    if level <= due.escalation_level:
        return due.escalation_level
    raised = Target.objects.filter(
        pk=due.pk,
        escalation_level__lt=level,
        state__in=[Target.State.ONLINE, Target.State.UNCHECKABLE],
    ).update(escalation_level=level)
    if not raised:  # another run got there first, or the target was removed meanwhile
        return due.escalation_level
    summary.escalated += 1
    audit_record(
        actor=None,
        action="takedown.target_escalate",
        target_type="takedown_target",
        target_id=due.public_id,
        details={"level": level, "after_hours": hours[level - 1]},
    )
    if due.report_id not in summary.reports_returned:
        report_takedown_escalated(report_id=due.report_id, level=level)
        summary.reports_returned.add(due.report_id)
    return level


def _remove(due: _Due, *, now: datetime, summary: RecheckSummary) -> bool:
    from hotline.cases.notify import reporter_notice_queue
    from hotline.intake.models import Report

    removed_at = due.previous_at or now
    done = Target.objects.filter(pk=due.pk, state=Target.State.ONLINE).update(
        state=Target.State.REMOVED, removed_at=removed_at, next_check_at=None, last_checked_at=now
    )
    if not done:
        return False
    summary.removed += 1
    hours_to_removal = (
        round((removed_at - due.first_noticed_at).total_seconds() / 3600, 1)
        if due.first_noticed_at
        else None
    )
    audit_record(
        actor=None,
        action="takedown.target_removed",
        target_type="takedown_target",
        target_id=due.public_id,
        details={"hours_to_removal": hours_to_removal},
    )
    still_up = Target.objects.filter(report_id=due.report_id).exclude(state=Target.State.REMOVED)
    if not still_up.exists():
        report = Report.objects.get(pk=due.report_id)
        audit_record(
            actor=None,
            action="takedown.report_content_removed",
            target_type="report",
            target_id=str(report.public_id),
        )
        # The reporter, if they agreed to be contacted, hears there is news (never what).
        reporter_notice_queue(report=report, event_key=f"takedown-removed:{report.public_id}")
    return True


def _record_batch(
    batch: list[Checked[_Due]], *, now: datetime, hours: Sequence[int], summary: RecheckSummary
) -> None:
    checks: list[LivenessCheck] = []
    updates: list[Target] = []
    with transaction.atomic():
        for checked in batch:
            due = checked.item
            finding = finding_of(checked.result, due.url)
            summary.checked += 1
            checks.append(
                LivenessCheck(
                    target_id=due.pk,
                    at=now,
                    outcome=finding.outcome,
                    status_code=finding.status,
                    detail=finding.detail[:200],
                )
            )
            if finding.verdict == Verdict.GONE:
                summary.gone += 1
                confirmed = (
                    due.previous_outcome == GONE
                    and due.previous_at is not None
                    and now - due.previous_at >= GONE_CONFIRM_AFTER
                )
                if confirmed and _remove(due, now=now, summary=summary):
                    continue
            elif finding.verdict == Verdict.RETRY:
                summary.retry += 1
            elif finding.verdict == Verdict.REFUSED:
                summary.refused += 1
                if due.previous_outcome != Outcome.REFUSED.value:
                    # A URL that now leads inside a private network needs a person's eyes.
                    audit_record(
                        actor=None,
                        action="takedown.check_refused",
                        target_type="takedown_target",
                        target_id=due.public_id,
                        details={"why": finding.detail},
                    )
            else:
                summary.online += 1
            level = due.escalation_level
            if finding.verdict != Verdict.GONE:  # a first "gone" may be a removal: wait
                level = _escalate(due, now=now, hours=hours, summary=summary)
            updates.append(
                Target(
                    pk=due.pk,
                    last_checked_at=now,
                    next_check_at=next_check_after(
                        verdict=finding.verdict, now=now, since=due.since, level=level, hours=hours
                    ),
                )
            )
        LivenessCheck.objects.bulk_create(checks)
        # Guarded: a target removed meanwhile (by hand, or by another run) keeps its state.
        Target.objects.filter(state=Target.State.ONLINE).bulk_update(
            updates, ["last_checked_at", "next_check_at"]
        )


def _handle_uncheckable(now: datetime, hours: Sequence[int], summary: RecheckSummary) -> None:
    batch: list[_Due] = []

    def flush() -> None:
        with transaction.atomic():
            for due in batch:
                if due.state == Target.State.ONLINE:
                    Target.objects.filter(pk=due.pk, state=Target.State.ONLINE).update(
                        state=Target.State.UNCHECKABLE
                    )
                    summary.uncheckable += 1
                level = _escalate(due, now=now, hours=hours, summary=summary)
                Target.objects.filter(pk=due.pk, state=Target.State.UNCHECKABLE).update(
                    next_check_at=next_escalation_at(since=due.since, level=level, hours=hours)
                )
        batch.clear()

    for due in _due_targets(now, urls=False):
        batch.append(due)
        if len(batch) >= DEFAULT_BATCH:
            flush()
    if batch:
        flush()


def targets_recheck(
    *,
    now: datetime | None = None,
    policy: FetchPolicy | None = None,
    concurrency: int | None = None,
    budget_seconds: float | None = None,
) -> RecheckSummary:
    """Check every due target once (see the module's docstring); return what was found.

    With `budget_seconds`, no check starts after that long: the rest stay due for the next
    run (the periodic task keeps inside the worker's task timeout this way)."""
    now = now or timezone.now()
    policy = policy or policy_from_settings()
    hours = escalation_hours()
    workers = concurrency or int(getattr(settings, "HOTLINE_TAKEDOWN_CHECK_CONCURRENCY", 64))
    summary = RecheckSummary()
    stop_at = time.monotonic() + budget_seconds if budget_seconds is not None else None
    _handle_uncheckable(now, hours, summary)
    for batch in check_many(
        _due_targets(now, urls=True, stop_at=stop_at),
        lambda due: due.url,
        policy,
        concurrency=workers,
    ):
        _record_batch(batch, now=now, hours=hours, summary=summary)
    return summary


def takedown_recheck_task() -> str:
    """The periodic job (hotline.tasks.services.PERIODIC): re-check due targets, starting no
    check later than it can finish within the worker's task timeout (what is left waits for
    the next run, 15 minutes later; a run of 10,000 takes well under a minute)."""
    policy = policy_from_settings()
    timeout = float(getattr(settings, "HOTLINE_TASK_TIMEOUT", 120))
    budget = max(10.0, 0.75 * timeout - policy.deadline_seconds)
    return targets_recheck(policy=policy, budget_seconds=budget).line()
