"""The purge deletes entities (encrypted identifiers) that no report names any more, keeps
those another report names or a kept row protects (takedown.Target), and cannot delete one a
concurrent report is linking to."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from retention_support import full_report

from hotline.entities.models import Entity, ReportEntity
from hotline.entities.services import entity_get_or_create
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.retention.models import RetentionRule
from hotline.retention.services import entities_orphaned_purge, retention_purge
from hotline.takedown.models import Target

LINK = "https://example.org/gallery/778899"


def _expired_naming(link: str) -> Report:
    report = full_report(state="no_action", days_ago=91).report
    _name(report, link)
    return report


def _name(report: Report, link: str) -> None:
    from hotline.entities.services import Mention, report_entities_link

    report_entities_link(
        report=report,
        mentions=[
            Mention(kind="url", value=link, platform="", field="links", start=None, end=None)
        ],
    )


@pytest.mark.django_db
def test_an_entity_only_the_purged_report_named_is_deleted() -> None:
    report = _expired_naming(LINK)
    entity_id = ReportEntity.objects.get(report=report).entity_id

    assert retention_purge().purged == [report.pk]

    assert not Entity.objects.filter(pk=entity_id).exists()


@pytest.mark.django_db
def test_an_entity_another_report_names_is_kept() -> None:
    report = _expired_naming(LINK)
    other = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    )
    _name(other.report, LINK)
    entity_id = ReportEntity.objects.get(report=report).entity_id
    assert ReportEntity.objects.filter(report=other.report, entity_id=entity_id).exists()

    assert retention_purge().purged == [report.pk]

    assert Entity.objects.filter(pk=entity_id).exists()
    assert not ReportEntity.objects.filter(report=report).exists()


@pytest.mark.django_db
def test_an_entity_a_takedown_target_protects_is_kept() -> None:
    report = _expired_naming(LINK)
    entity = ReportEntity.objects.get(report=report).entity
    Target.objects.create(report=report, entity=entity, created_at=timezone.now())

    assert retention_purge().purged == [report.pk]

    assert Entity.objects.filter(pk=entity.pk).exists()
    assert Target.objects.filter(entity=entity).exists()


@pytest.mark.django_db
def test_orphan_purge_ignores_unknown_ids_and_empty_lists() -> None:
    assert entities_orphaned_purge(entity_ids=[]) == []
    assert entities_orphaned_purge(entity_ids=[987654321]) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a race needs concurrent writers (PostgreSQL); SQLite's IMMEDIATE transactions "
    "serialise the linker and the purge",
)
def test_a_link_being_made_meanwhile_keeps_the_entity() -> None:
    """A worker linking a new report to the entity holds its lock: the purge waits, then sees
    the link and keeps the entity (no report left pointing at a deleted identifier)."""
    # A transactional test runs after others flushed the tables: the shipped rule may be gone.
    RetentionRule.objects.get_or_create(
        state="no_action", category="", defaults={"keep_days": 90, "updated_at": timezone.now()}
    )
    report = _expired_naming(LINK)
    entity_id = ReportEntity.objects.get(report=report).entity_id
    newer = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report
    locked = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def linker() -> None:
        try:
            with transaction.atomic():
                entity = entity_get_or_create(kind="url", value=LINK)
                locked.set()
                release.wait(10)
                ReportEntity.objects.create(
                    report=newer,
                    entity=entity,
                    field="links",
                    start=None,
                    end=None,
                    created_at=timezone.now(),
                )
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
            locked.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=linker)
    thread.start()
    assert locked.wait(10)
    purged: list[list[int]] = []

    def purge() -> None:
        try:
            purged.append(retention_purge().purged)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    purger = threading.Thread(target=purge)
    purger.start()
    purger.join(1.0)  # it waits for the linker's lock on the entity
    waited = purger.is_alive()
    release.set()
    thread.join(20)
    purger.join(20)
    assert not errors, errors
    assert waited
    assert purged == [[report.pk]]
    assert Entity.objects.filter(pk=entity_id).exists()
    assert ReportEntity.objects.filter(report=newer, entity_id=entity_id).exists()
