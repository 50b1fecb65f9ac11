"""Bulk linking and clustering agree with the single-report path (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from hotline.accounts.models import User
from hotline.entities import bulk, selectors, services
from hotline.entities.models import Entity, EscrowedIdentifier, ReportEntity
from hotline.intake.models import EvidenceHash, Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db


def _report() -> Report:
    data = ReportInput(reporter_role="victim", categories=["sextortion"], narrative="")
    return report_submit(data=data, evidence=[]).report


@pytest.mark.parametrize("exclusive", [False, True])
def test_bulk_link_is_idempotent_keeps_rejections_and_matches_escrow(exclusive: bool) -> None:
    reports = [_report() for _ in range(4)]
    analyst = User.objects.create_user(username="a", password="x", is_staff=True)
    services.report_entity_add(report=reports[0], text="t.me/shared_group", actor=analyst)
    link = ReportEntity.objects.get(report=reports[0])
    services.report_entity_decide(link=link, state=ReportEntity.State.REJECTED, actor=analyst)
    escrow = services.escrow_deposit(report=reports[3], text="+855 12 345 678")
    mentions = [
        bulk.BulkMention(reports[0].pk, "handle", "https://t.me/shared_group", "telegram"),
        bulk.BulkMention(reports[1].pk, "handle", "https://t.me/shared_group", "telegram"),
        bulk.BulkMention(
            reports[1].pk, "phone", "+85512345678", field="narrative", start=3, end=14
        ),
        bulk.BulkMention(reports[2].pk, "phone", "+85512345678"),
    ]
    result = bulk.entities_link_bulk(mentions=mentions, exclusive=exclusive)
    assert (result.mentions, result.entities_new, result.links_new) == (4, 1, 3)
    assert result.escrows_matched == 1
    again = bulk.entities_link_bulk(mentions=mentions, exclusive=exclusive)
    assert (again.entities_new, again.links_new, again.escrows_matched) == (0, 0, 0)
    link.refresh_from_db()
    assert link.state == ReportEntity.State.REJECTED
    escrow.refresh_from_db()
    assert escrow.state == EscrowedIdentifier.State.MATCHED
    phone = selectors.entity_find(text="012 345 678")
    assert phone is not None
    assert services.entity_value(phone) == "+85512345678"
    assert Entity.objects.count() == 2
    # Ids assigned by the bulk run were taken from the sequence: the ORM's next id is free.
    later = Entity.objects.create(
        kind="email", digest=b"x" * 32, value_ciphertext=b"", created_at=timezone.now()
    )
    assert later.pk > phone.pk


def test_clusters_compute_matches_the_live_walk() -> None:
    reports = [_report() for _ in range(7)]
    ids = [r.pk for r in reports]
    mentions = [
        bulk.BulkMention(ids[0], "url", "https://t.me/+aaaaaaaaaa"),
        bulk.BulkMention(ids[1], "url", "https://t.me/+aaaaaaaaaa"),
        bulk.BulkMention(ids[1], "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        bulk.BulkMention(ids[2], "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        bulk.BulkMention(ids[3], "email", "a@example.com"),
        bulk.BulkMention(ids[4], "email", "b@example.com"),
    ]
    bulk.entities_link_bulk(mentions=mentions)
    for report_id in (ids[4], ids[5]):
        EvidenceHash.objects.create(
            report_id=report_id, kind="md5", value="0" * 32, created_at=timezone.now()
        )
    clusters = bulk.clusters_compute()
    assert clusters == 3  # {0,1,2}, {3}, {4,5}; report 6 has nothing and gets no label
    for report_id in ids[:6]:
        by_label = set(bulk.cluster_reports_by_label(report_id=report_id))
        assert by_label == selectors.cluster_of_report(report_id=report_id).report_ids
    assert bulk.cluster_reports_by_label(report_id=ids[6]) == [ids[6]]
    # A second run replaces the labels (PostgreSQL: truncated, indexes rebuilt after the COPY).
    assert bulk.clusters_compute() == 3
    assert set(bulk.cluster_reports_by_label(report_id=ids[0])) == set(ids[:3])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'entities_reportcluster'"
            )
            assert cursor.fetchone() == (2,)


def test_connected_components_matches_union_find_on_random_graphs() -> None:
    import numpy as np

    rng = np.random.default_rng(4)
    for nodes, edges in [(1, 0), (50, 10), (2000, 1500), (2000, 4000)]:
        u = rng.integers(0, nodes, edges).astype(np.int64)
        v = rng.integers(0, nodes, edges).astype(np.int64)
        labels = bulk.connected_components(u, v, nodes)
        parent = list(range(nodes))

        def find(x: int, parent: list[int] = parent) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in zip(u.tolist(), v.tolist(), strict=True):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        assert labels.tolist() == [find(x) for x in range(nodes)]


def test_clusters_compute_on_an_empty_database() -> None:
    assert bulk.clusters_compute() == 0


def _split_blob(blob: bytes) -> tuple[str, bytes, bytes]:
    """Return (key id, nonce, ciphertext+tag) of a vault blob, read from its documented layout:
    b"OH1" | key-id length (1 byte) | key id | 12-byte nonce | ciphertext+tag."""
    from hotline.vault import services as vault

    assert blob.startswith(vault.MAGIC)
    kid_start = len(vault.MAGIC) + 1
    nonce_start = kid_start + blob[len(vault.MAGIC)]
    sealed_start = nonce_start + vault.NONCE_BYTES
    return (
        blob[kid_start:nonce_start].decode(),
        blob[nonce_start:sealed_start],
        blob[sealed_start:],
    )


def test_encrypt_many_matches_encrypt() -> None:
    from hotline.vault import services as vault

    items = [(b"+85512345678", "entities.entity:aa:value"), ("ស្រី".encode(), "x:1:value")]
    blobs = vault.encrypt_many(items)
    assert [vault.decrypt(b, context=c) for b, (_, c) in zip(blobs, items, strict=True)] == [
        p for p, _ in items
    ]
    with pytest.raises(vault.VaultError):
        vault.decrypt(blobs[0], context=items[1][1])
    assert vault.encrypt_many([]) == []


def test_encrypt_many_gives_every_value_its_own_nonce(settings: object) -> None:
    """AES-GCM with a repeated nonce under one key leaks the XOR of plaintexts and the
    authentication key: every blob of a bulk run must carry a nonce no other blob has."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from hotline.vault import services as vault

    # The same value under the same context, many times: only the nonce can tell them apart.
    items = [(b"+85512345678", "entities.entity:aa:value")] * 200 + [(b"x", "y")] * 56
    blobs = [*vault.encrypt_many(items), vault.encrypt(b"+85512345678", context="c")]
    items.append((b"+85512345678", "c"))
    parts = [_split_blob(blob) for blob in blobs]
    nonces = [nonce for _, nonce, _ in parts]
    assert all(len(nonce) == vault.NONCE_BYTES for nonce in nonces)
    assert len(set(nonces)) == len(blobs)
    # The layout was read right: the nonce found there, with the key named there, opens the blob.
    keys = settings.KEYS  # type: ignore[attr-defined]
    for (kid, nonce, sealed), (plaintext, context) in zip(parts, items, strict=True):
        assert AESGCM(keys.vault_keys[kid]).decrypt(nonce, sealed, context.encode()) == plaintext


@pytest.mark.django_db(transaction=True)
def test_exclusive_bulk_link_keeps_foreign_keys() -> None:
    from django.db import IntegrityError, connection, transaction

    reports = [_report() for _ in range(2)]
    mentions = [
        bulk.BulkMention(reports[0].pk, "handle", "https://t.me/shared_group", "telegram"),
        bulk.BulkMention(reports[1].pk, "handle", "https://t.me/shared_group", "telegram"),
    ]
    result = bulk.entities_link_bulk(mentions=mentions, exclusive=True)
    assert (result.entities_new, result.links_new) == (1, 2)
    missing = max(r.pk for r in reports) + 1000
    bad = [bulk.BulkMention(missing, "phone", "+85512345678")]
    # A link to a report that does not exist is refused in either mode (set-wise check on
    # PostgreSQL, per-row check on SQLite) and nothing of the run is kept.
    with pytest.raises(IntegrityError):
        bulk.entities_link_bulk(mentions=bad, exclusive=True)
    assert Entity.objects.count() == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid = 'entities_reportentity'::regclass"
            )
            assert cursor.fetchone() == (3,)
            # The first run found empty tables and rebuilt their secondary indexes afterwards.
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename IN"
                " ('entities_entity', 'entities_reportentity')"
            )
            assert cursor.fetchone() == (5,)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportEntity.objects.create(
            report=reports[0], entity=Entity.objects.get(), created_at=timezone.now()
        )
