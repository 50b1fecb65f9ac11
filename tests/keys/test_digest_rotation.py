"""`hotline keys rotate --digests`: receipts and escrows keep verifying, entities are recomputed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from keys_support import own_key_file  # noqa: F401 - fixture

from hotline.entities.keys import entity_digest
from hotline.entities.models import Entity, EscrowedIdentifier
from hotline.entities.services import (
    canonical_identifier,
    entity_get_or_create,
    entity_value,
    escrow_deposit,
    escrow_match,
)
from hotline.intake.models import Message, Report
from hotline.intake.services import ReportInput, message_add, report_submit
from hotline.keys.models import KeyCheck, KeyRotation
from hotline.keys.rotation import rotation_run
from hotline.keys.services import key_rotate

pytestmark = pytest.mark.django_db


def _submit() -> tuple[Report, str]:
    submitted = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    )
    return submitted.report, submitted.receipt_code


def _status_page_shows(code: str, text: str) -> bool:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.post("/status/", {"code": code}, follow=True)
    return page.status_code == 200 and text in page.content.decode()


def _run_to_end(rotation: KeyRotation) -> None:
    KeyRotation.objects.filter(pk=rotation.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    for _ in range(50):
        if rotation_run(rotation_id=rotation.pk):
            break
    rotation.refresh_from_db()
    assert rotation.state == KeyRotation.State.DONE


def test_a_receipt_issued_before_a_digest_rotation_opens_its_status_page_after_it(
    own_key_file: Path,  # noqa: F811
) -> None:
    old, old_code = _submit()
    message_add(report=old, author=Message.Author.STAFF, body="Reply to the first report.")
    assert old.receipt_digest_version == 1
    rotation = key_rotate(digests=True)
    assert (rotation.old_id, rotation.new_id) == ("1", "2")
    assert KeyCheck.objects.filter(name="digest:2").exists()
    _run_to_end(rotation)
    assert _status_page_shows(old_code, "Reply to the first report.")
    new, new_code = _submit()
    message_add(report=new, author=Message.Author.STAFF, body="Reply to the second report.")
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.receipt_digest_version == 2
    assert old.receipt_digest_version == 1
    assert _status_page_shows(new_code, "Reply to the second report.")
    # Each code opens its own report only.
    assert not _status_page_shows(old_code, "Reply to the second report.")


def test_entity_digests_are_recomputed_and_found_during_and_after_the_rotation(
    own_key_file: Path,  # noqa: F811
) -> None:
    values = [f"+85512345{i:03d}" for i in range(5)]
    entities = [entity_get_or_create(kind="phone", value=v) for v in values]
    rotation = key_rotate(digests=True)
    # Not recomputed yet: the same identifier finds its entity, no second one is made.
    assert entity_get_or_create(kind="phone", value=values[0]).pk == entities[0].pk
    rotation_run(rotation_id=rotation.pk, budget_seconds=0, chunk_rows=2)
    assert sorted(Entity.objects.values_list("digest_version", flat=True)) == [1, 1, 1, 2, 2]
    assert entity_get_or_create(kind="phone", value=values[4]).pk == entities[4].pk
    _run_to_end(rotation)
    assert Entity.objects.count() == 5
    for entity, value in zip(entities, values, strict=True):
        entity.refresh_from_db()
        assert entity.digest_version == 2
        assert bytes(entity.digest) == entity_digest("phone", value, version=2)
        assert bytes(entity.digest) != entity_digest("phone", value, version=1)
        assert entity_value(entity) == value
    added = entity_get_or_create(kind="phone", value="+855999888")
    assert added.digest_version == 2


def test_an_escrow_left_before_a_digest_rotation_still_matches_a_later_report(
    own_key_file: Path,  # noqa: F811
) -> None:
    earlier, _ = _submit()
    escrow = escrow_deposit(report=earlier, text="t.me/Escrow_Target_Kh")
    assert escrow.digest_version == 1
    _run_to_end(key_rotate(digests=True))
    later, _ = _submit()
    found = canonical_identifier("t.me/Escrow_Target_Kh")
    assert escrow_match(report=later, kind=found.type, value=found.value) == 1
    escrow.refresh_from_db()
    assert escrow.state == EscrowedIdentifier.State.MATCHED
    assert escrow.matched_report_id == later.pk
    again = escrow_deposit(report=later, text="t.me/another_one_kh")
    assert again.digest_version == 2


def test_an_identifier_linked_in_bulk_during_a_digest_rotation_ends_as_one_entity(
    own_key_file: Path,  # noqa: F811
) -> None:
    from hotline.entities.bulk import BulkMention, entities_link_bulk
    from hotline.entities.models import ReportEntity

    first, _ = _submit()
    second, _ = _submit()
    old = entity_get_or_create(kind="phone", value="+855111222")
    ReportEntity.objects.create(report=first, entity=old, created_at=timezone.now())
    rotation = key_rotate(digests=True)
    # Bulk linking digests with the current (new) version only: a second row appears for now.
    entities_link_bulk(mentions=[BulkMention(second.pk, "phone", "+855111222")])
    assert Entity.objects.count() == 2
    assert sorted(Entity.objects.values_list("digest_version", flat=True)) == [1, 2]
    _run_to_end(rotation)
    entity = Entity.objects.get()
    assert entity.digest_version == 2
    assert entity_value(entity) == "+855111222"
    assert set(ReportEntity.objects.values_list("report_id", "entity_id")) == {
        (first.pk, entity.pk),
        (second.pk, entity.pk),
    }
