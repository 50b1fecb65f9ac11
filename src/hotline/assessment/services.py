"""Assess reports, carry an assessment forward to a report of the same picture or link, and
join reports (duplicates, one case): the only writers of hotline.assessment's tables.

Analysts' changes check the permission matrix first (Action.CLASSIFY; marking a duplicate also
changes the case state, so Action.CHANGE_STATUS through hotline.cases.services). Each change
runs under a row lock on the report and writes its audit event in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.assessment.models import Assessment, ReportLink, SchemeVersion
from hotline.assessment.scheme import (
    Scheme,
    scheme,
    scheme_at,
    scheme_parse,
    scheme_version_in_force,
)
from hotline.audit.services import audit_record
from hotline.cases.models import CaseEvent
from hotline.cases.services import report_state_change
from hotline.cases.workflow import transition_allowed
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.tasks.queue import enqueue

logger = logging.getLogger(__name__)


class AssessmentError(Exception):
    """An assessment change that was refused; the message is meant for the analyst."""


class UnknownCode(AssessmentError):
    """A value that the classification scheme does not offer."""


class StaleAssessment(AssessmentError):
    """Someone assessed the report since the analyst loaded the page."""


def _locked(report_id: int) -> Report:
    # FOR UPDATE: two analysts saving at once take turns; the second sees the first's version.
    return Report.objects.select_for_update().get(pk=report_id)


def _current(report_id: int) -> Assessment | None:
    return Assessment.objects.filter(report_id=report_id, current=True).first()


def _last_version(report_id: int) -> int:
    last = Assessment.objects.filter(report_id=report_id).order_by("-version").first()
    return last.version if last is not None else 0


def assessment_values_check(
    values: Mapping[str, object], *, against: Scheme | None = None
) -> dict[str, str]:
    """Return `values` as {dimension: code} if every dimension has a choosable code of the scheme.

    Raise UnknownCode naming the first problem (an unknown dimension or code, a retired value,
    a missing dimension). `against`: the scheme to check with (default: the one in force).
    """
    current = against if against is not None else scheme()
    checked: dict[str, str] = {}
    for key in values:
        if current.dimension(str(key)) is None:
            raise UnknownCode(f"“{str(key)[:40]}” is not part of the classification scheme.")
    for dim in current.dimensions:
        code = values.get(dim.code)
        if code is None or code == "":
            raise UnknownCode(f"Choose a value for “{dim.en}”.")
        value = dim.value(code) if isinstance(code, str) else None
        if value is None:
            raise UnknownCode(f"“{str(code)[:40]}” is not a value of “{dim.en}”.")
        if value.retired:
            raise UnknownCode(f"“{value.en}” is no longer used for “{dim.en}”; choose another.")
        checked[dim.code] = value.code
    return checked


def assess_report(
    *, actor: User, report: Report, values: Mapping[str, object], expected_version: int
) -> Assessment:
    """Classify a report; the new row becomes current and the earlier ones stay as history.

    `expected_version` is the version the analyst saw (0: not assessed yet). If the report has
    been assessed since, StaleAssessment is raised and nothing changes. Confirming a carried
    assessment is an assessment like any other (the analyst's row replaces it as current).
    In the same transaction the case moves on (assessment_case_follow: "assessed", or the
    closed state a value decides) and copies carried from this report follow the new values
    (_carried_follow).
    """
    require(actor, Action.CLASSIFY)
    scheme_version = scheme_version_in_force()
    checked = assessment_values_check(values, against=scheme_at(scheme_version))
    with transaction.atomic():
        _locked(report.pk)
        last = _last_version(report.pk)
        if expected_version != last:
            raise StaleAssessment(
                "Someone else assessed this report meanwhile; nothing was saved. "
                "Check their assessment and try again."
            )
        Assessment.objects.filter(report_id=report.pk, current=True).update(current=False)
        row = Assessment.objects.create(
            report_id=report.pk,
            version=last + 1,
            values=checked,
            assessed_by=actor,
            assessed_at=timezone.now(),
            scheme_version=scheme_version,
        )
        audit_record(
            actor=actor,
            action="report.assess",
            target_type="report",
            target_id=str(report.public_id),
            # Scheme codes only: the analyst's judgement, nothing the reporter wrote.
            details={"version": row.version, "values": checked},
        )
        assessment_case_follow(actor=actor, report_id=report.pk, values=checked)
        _carried_follow(source=row)
        # In the same transaction: reports of the same picture that came in before this one was
        # assessed get it too (hotline.assessment.tasks).
        enqueue("hotline.assessment.tasks.assessment_carry_to_linked", report.pk)
    return row


def assessment_case_state(values: Mapping[str, str]) -> CaseState:
    """Return the case state an assessment decides: a closing value's state, else "assessed".

    A value with `closes` in the scheme (shipped: report type "not actionable" closes as
    "not actionable") decides on its own; the first such value in scheme order wins.
    """
    for dim in scheme().dimensions:
        code = values.get(dim.code)
        value = dim.value(code) if isinstance(code, str) else None
        if value is not None and value.closes:
            return CaseState(value.closes)
    return CaseState.ASSESSED


def assessment_case_follow(
    *, actor: User, report_id: int, values: Mapping[str, str]
) -> list[CaseEvent]:
    """Move a case still being assessed to the state its assessment decides (a step each).

    Only from received, in assessment or assessed: a case already acted on or closed stays
    where analysts put it (a reassessment there is recorded; the case panel moves it). From
    "received" the case passes through "in assessment" (the workflow has no shortcut), so the
    history shows both steps. Each step is a hotline.cases state change (CaseEvent, audit,
    reporter notice): needs `change_status`. Call inside the transaction holding the report's
    lock.
    """
    target = assessment_case_state(values)
    state = CaseState(Report.objects.values_list("status", flat=True).get(pk=report_id))
    if state not in (CaseState.RECEIVED, CaseState.IN_REVIEW, CaseState.ASSESSED):
        return []
    if state == target:
        return []
    steps = [target]
    if not transition_allowed(state, target):
        steps.insert(0, CaseState.IN_REVIEW)
    events = []
    for step in steps:
        events.append(
            report_state_change(
                actor=actor,
                report_id=report_id,
                expected_state=state,
                to_state=step,
                # One "there is news" mail for the assessment, with its last step.
                notify_reporter=step == steps[-1],
            )
        )
        state = step
    return events


def _carried_follow(*, source: Assessment) -> int:
    """Make every current copy carried from `source`'s report follow `source`'s values.

    A report whose current assessment was carried from an earlier assessment of the source's
    report gets a new carried version with the new values (history kept, audited as
    `report.assessment_carried` with `follows`), and so on down the chain (a copy of a copy).
    An analyst's own assessment and a taken-back copy are never touched. Returns rows made.
    """
    made = 0
    sources = [source]
    while sources:
        parent = sources.pop()
        followers = (
            Assessment.objects.filter(
                current=True, carried_from__report_id=parent.report_id, rejected_at__isnull=True
            )
            .exclude(carried_from=parent)
            .exclude(report_id=parent.report_id)
            .order_by("report_id")
            .values_list("report_id", flat=True)
        )
        for report_id in list(followers):
            report = _locked(report_id)
            old = _current(report_id)
            if old is None or old.carried_from_id is None:
                continue
            Assessment.objects.filter(pk=old.pk).update(current=False)
            row = Assessment.objects.create(
                report_id=report_id,
                version=_last_version(report_id) + 1,
                values=parent.values,
                scheme_version=parent.scheme_version,
                assessed_at=timezone.now(),
                carried_from=parent,
                carried_because=old.carried_because,
            )
            audit_record(
                actor=None,
                action="report.assessment_carried",
                target_type="report",
                target_id=str(report.public_id),
                details={
                    "from_report": str(_source_public(row)),
                    "because": old.carried_because,
                    "follows": True,
                    "version": row.version,
                },
            )
            made += 1
            sources.append(row)
    return made


def _carried_withdraw(*, source: Assessment, now: datetime) -> int:
    """End the current copies carried from `source` (itself taken back): they lost their basis.

    Each is marked taken back (no analyst: `rejected_by` empty) and its report waits for an
    analyst again, down the chain. Audited as `report.assessment_carry_withdrawn`.
    """
    ended = 0
    sources = [source]
    while sources:
        parent = sources.pop()
        for row in (
            Assessment.objects.filter(current=True, carried_from=parent)
            .select_related("report")
            .order_by("report_id")
        ):
            _locked(row.report_id)
            Assessment.objects.filter(pk=row.pk).update(current=False, rejected_at=now)
            audit_record(
                actor=None,
                action="report.assessment_carry_withdrawn",
                target_type="report",
                target_id=str(row.report.public_id),
                details={"version": row.version, "carried_from": str(_source_public(row))},
            )
            ended += 1
            sources.append(row)
    return ended


def assessment_carried_reject(*, actor: User, report: Report, expected_version: int) -> None:
    """Take back a carried-forward assessment ("not the same"): the report waits for an analyst.

    The rejected row stays (history); the pipeline never carries an assessment to a report that
    has any assessment row, so a rerun does not bring it back.
    """
    require(actor, Action.CLASSIFY)
    with transaction.atomic():
        _locked(report.pk)
        current = _current(report.pk)
        if current is None or current.carried_from_id is None:
            raise AssessmentError("This report has no carried-forward assessment to take back.")
        if current.version != expected_version:
            raise StaleAssessment(
                "This report's assessment changed meanwhile; nothing was changed."
            )
        now = timezone.now()
        Assessment.objects.filter(pk=current.pk).update(
            current=False, rejected_at=now, rejected_by=actor
        )
        audit_record(
            actor=actor,
            action="report.assessment_carry_reject",
            target_type="report",
            target_id=str(report.public_id),
            details={"version": current.version, "carried_from": str(_source_public(current))},
        )
        # Copies carried on from this one stood on it: they end too.
        _carried_withdraw(source=current, now=now)


def _source_public(row: Assessment) -> uuid.UUID | None:
    source = row.carried_from
    return source.report.public_id if source is not None else None


def assessment_carry_forward(*, report_id: int) -> Assessment | None:
    """Carry the assessment of an earlier report with the same picture or link to this report.

    A step of the report pipeline, after hashing and entity extraction: the same picture is an
    MD5/SHA-256 match or a PDQ within the hashing app's match threshold (the victim-submitted
    bank's links, hotline.hashing.selectors.linked_report_ids); the same link is a shared
    canonical URL entity that no analyst rejected. Only a report that has never been assessed
    gets one (so a rejected carry never comes back, and a rerun adds nothing). The newest
    current assessment among the matches is carried (itself possibly carried: the page shows
    the chain). Returns the new row, or None.
    """
    from hotline.assessment.selectors import same_content_reports

    if Assessment.objects.filter(report_id=report_id).exists():
        return None
    matches = same_content_reports(report_id=report_id)
    if not matches:
        return None
    candidates = (
        Assessment.objects.filter(report_id__in=list(matches), current=True)
        .select_related("report")
        .order_by("-assessed_at", "-pk")
    )
    source = candidates.first()
    if source is None:
        return None
    because = matches[source.report_id]
    with transaction.atomic():
        report = _locked(report_id)
        if Assessment.objects.filter(report_id=report_id).exists():
            return None  # assessed meanwhile (by an analyst or a parallel delivery)
        row = Assessment.objects.create(
            report_id=report_id,
            version=1,
            values=source.values,
            scheme_version=source.scheme_version,
            assessed_at=timezone.now(),
            carried_from=source,
            carried_because=because,
        )
        audit_record(
            actor=None,
            action="report.assessment_carried",
            target_type="report",
            target_id=str(report.public_id),
            details={"from_report": str(source.report.public_id), "because": because},
        )
    logger.info("assessment carried forward to report %s (%s)", report_id, because)
    return row


def report_mark_duplicate(
    *, actor: User, report: Report, primary: Report, expected_state: str
) -> ReportLink:
    """Mark `report` a duplicate of `primary`: link them and move the case to "duplicate".

    Undone by report_unlink (or by reopening the case, which leaves the link to be removed).
    """
    require(actor, Action.CLASSIFY)
    with transaction.atomic():
        primary = _link_check(report=report, primary=primary)
        report_state_change(
            actor=actor,
            report_id=report.pk,
            expected_state=expected_state,
            to_state=CaseState.DUPLICATE,
        )
        return _link(actor=actor, report=report, primary=primary, kind=ReportLink.Kind.DUPLICATE)


def report_merge(*, actor: User, report: Report, primary: Report) -> ReportLink:
    """Group `report` into the case of `primary` (its state is left as it is)."""
    require(actor, Action.CLASSIFY)
    with transaction.atomic():
        primary = _link_check(report=report, primary=primary)
        return _link(actor=actor, report=report, primary=primary, kind=ReportLink.Kind.MERGED)


def report_unlink(*, actor: User, report: Report) -> None:
    """Undo a duplicate mark or a grouping; a report in "duplicate" goes back to in review."""
    require(actor, Action.CLASSIFY)
    with transaction.atomic():
        locked = _locked(report.pk)
        link = ReportLink.objects.filter(report_id=report.pk).select_related("primary").first()
        if link is None:
            raise AssessmentError("This report is not linked to another report.")
        kind = link.kind
        primary_public = link.primary.public_id
        link.delete()
        if kind == ReportLink.Kind.DUPLICATE and locked.status == CaseState.DUPLICATE:
            report_state_change(
                actor=actor,
                report_id=report.pk,
                expected_state=CaseState.DUPLICATE,
                to_state=CaseState.IN_REVIEW,
            )
        audit_record(
            actor=actor,
            action="report.unlink",
            target_type="report",
            target_id=str(report.public_id),
            details={"kind": kind, "primary": str(primary_public)},
        )


def _link_check(*, report: Report, primary: Report) -> Report:
    _locked(report.pk)
    if ReportLink.objects.filter(report_id=primary.pk).exists():
        # Keep one level: join the case's primary, not a member of it.
        primary = ReportLink.objects.select_related("primary").get(report_id=primary.pk).primary
    if primary.pk == report.pk:
        raise AssessmentError("A report cannot be linked to itself.")
    if ReportLink.objects.filter(report_id=report.pk).exists():
        raise AssessmentError("This report is already linked to another report; unlink it first.")
    if ReportLink.objects.filter(primary_id=report.pk).exists():
        raise AssessmentError(
            "Other reports are linked to this one; link them to the other report first."
        )
    return primary


def _link(*, actor: User, report: Report, primary: Report, kind: str) -> ReportLink:
    link = ReportLink.objects.create(
        report=report, primary=primary, kind=kind, linked_by=actor, linked_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="report.link",
        target_type="report",
        target_id=str(report.public_id),
        details={"kind": kind, "primary": str(primary.public_id)},
    )
    return link


MAX_SCHEME_CHARS = 100_000


class SchemeRefused(AssessmentError):
    """A scheme edit that cannot be saved; the message says why (shown to the administrator)."""


def _pairs(current: Scheme) -> dict[tuple[str, str], str]:
    return {(d.code, v.code): f"{v.en} ({d.en})" for d in current.dimensions for v in d.values}


def _schemes_so_far() -> list[Scheme]:
    versions = SchemeVersion.objects.values_list("version", flat=True)
    return [scheme_at(0), *(scheme_at(v) for v in versions)]


def scheme_version_save(*, actor: User, text: str, expected_version: int) -> SchemeVersion:
    """Store an edited classification scheme as the next version, in force from now on.

    Refused with SchemeRefused (nothing saved) when: the text is too long or not a valid scheme
    (the message names the line or the value); someone saved a version since the administrator
    loaded the page (`expected_version`); it is the scheme in force unchanged; or it deletes a
    value or a dimension that a stored assessment uses (retire the value instead:
    `retired = true`). Labels may change: an assessment keeps the labels of the version it
    was made under. Needs `manage_settings`; audited as `assessment.scheme_change` with the
    codes added, removed, retired and relabelled.
    """
    require(actor, Action.MANAGE_SETTINGS)
    if len(text) > MAX_SCHEME_CHARS:
        raise SchemeRefused(
            f"The scheme is too long ({len(text):,} characters; at most {MAX_SCHEME_CHARS:,})."
        )
    if "\x00" in text:
        raise SchemeRefused("The scheme contains a NUL character; nothing was saved.")
    try:
        new = scheme_parse(text, source="The scheme")
    except ImproperlyConfigured as exc:
        raise SchemeRefused(str(exc)) from exc
    with transaction.atomic():
        in_force = scheme_version_in_force()
        if in_force != expected_version:
            raise SchemeRefused(
                f"Someone saved version {in_force} of the scheme meanwhile; nothing was saved. "
                "Reload the page and make your change again."
            )
        current = scheme_at(in_force)
        if new == current:
            raise SchemeRefused("This is the scheme in force, unchanged; nothing was saved.")
        new_pairs = _pairs(new)
        new_dimensions = {d.code for d in new.dimensions}
        for earlier in _schemes_so_far():
            for dim in earlier.dimensions:
                if (
                    dim.code not in new_dimensions
                    and Assessment.objects.filter(values__has_key=dim.code).exists()
                ):
                    raise SchemeRefused(
                        f"“{dim.en}” ({dim.code}) is used by stored assessments and cannot be "
                        "removed; nothing was saved."
                    )
            for (dim_code, code), label in _pairs(earlier).items():
                if (dim_code, code) in new_pairs:
                    continue
                used = Assessment.objects.filter(**{f"values__{dim_code}": code}).count()
                if used:
                    raise SchemeRefused(
                        f"“{label}” ({dim_code}: {code}) is used by {used} stored "
                        f"assessment{'s' if used != 1 else ''} and cannot be deleted: retire it "
                        "instead (retired = true); nothing was saved."
                    )
        old_pairs = _pairs(current)
        retired_now = {(d.code, v.code) for d in new.dimensions for v in d.values if v.retired} - {
            (d.code, v.code) for d in current.dimensions for v in d.values if v.retired
        }
        relabelled = [
            pair
            for pair in new_pairs.keys() & old_pairs.keys()
            if _labels(new, pair) != _labels(current, pair)
        ]
        try:
            with transaction.atomic():
                row = SchemeVersion.objects.create(
                    version=in_force + 1, text=text, created_at=timezone.now(), created_by=actor
                )
        except IntegrityError as exc:  # a concurrent save took this number
            raise SchemeRefused(
                "Someone saved a version of the scheme at the same moment; nothing was saved. "
                "Reload the page and make your change again."
            ) from exc
        audit_record(
            actor=actor,
            action="assessment.scheme_change",
            target_type="assessment_scheme",
            target_id=str(row.version),
            details={
                "version": row.version,
                "added": sorted(f"{d}:{c}" for d, c in new_pairs.keys() - old_pairs.keys()),
                "removed": sorted(f"{d}:{c}" for d, c in old_pairs.keys() - new_pairs.keys()),
                "retired": sorted(f"{d}:{c}" for d, c in retired_now),
                "relabelled": sorted(f"{d}:{c}" for d, c in relabelled),
            },
        )
    return row


def _labels(current: Scheme, pair: tuple[str, str]) -> tuple[str, str, str, str]:
    dim = current.dimension(pair[0])
    value = dim.value(pair[1]) if dim is not None else None
    if dim is None or value is None:
        return ("", "", "", "")
    return (dim.en, dim.km, value.en, value.km)
