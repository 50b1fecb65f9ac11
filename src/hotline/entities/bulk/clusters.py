"""Clusters of reports: connected components over live links and shared evidence hashes."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils import timezone

from hotline.entities.bulk.common import LIVE, gc_paused, is_postgres
from hotline.entities.bulk.schema import indexes_drop
from hotline.entities.models import ReportCluster, ReportEntity


def _live_links() -> npt.NDArray[np.int64]:
    """Return the live links as an (n, 2) array of (entity_id, report_id)."""
    if not is_postgres():
        rows = list(
            ReportEntity.objects.filter(state__in=LIVE).values_list("entity_id", "report_id")
        )
        return np.array(rows, dtype=np.int64).reshape(-1, 2)
    # Two arrays in one row: COPY would send one message per link (millions of round trips
    # through the driver), array_agg sends one value per column; array_send hands it over in
    # PostgreSQL's binary array layout, read by numpy without a Python int per element.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_send(array_agg(entity_id::bigint)),"
            " array_send(array_agg(report_id::bigint)) FROM entities_reportentity"
            " WHERE state IN ('extracted', 'confirmed')"
        )
        entity_ids, report_ids = cursor.fetchone() or (None, None)
    if entity_ids is None or report_ids is None:
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack([_int8_array(bytes(entity_ids)), _int8_array(bytes(report_ids))], axis=1)


# Binary array: ndim, has-nulls flag, element type, then (size, lower bound) per dimension,
# then (length, value) per element; array_agg gives one dimension and no NULLs here.
_ARRAY_HEADER = 20
_INT8_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])


def _int8_array(data: bytes) -> npt.NDArray[np.int64]:
    """Decode a one-dimensional bigint[] without NULLs from array_send's output."""
    ndim, has_nulls = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    if ndim != 1 or has_nulls:
        raise ValueError("expected a one-dimensional bigint array without NULLs")
    elements = np.frombuffer(data, dtype=_INT8_ELEMENT, offset=_ARRAY_HEADER)
    return elements["value"].astype(np.int64)


def _dense_index(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return (sorted distinct values, position of each distinct value by value) for ids >= 0.

    A bitmap over the id range: ids are dense database keys, and this is several times faster
    than np.unique plus searchsorted.
    """
    present = np.zeros(int(values.max()) + 1 if values.size else 0, dtype=bool)
    present[values] = True
    distinct = np.flatnonzero(present).astype(np.int64)
    position = np.cumsum(present, dtype=np.int64) - 1
    return distinct, position


def connected_components(
    u: npt.NDArray[np.int64], v: npt.NDArray[np.int64], nodes: int
) -> npt.NDArray[np.int64]:
    """Label each node with the smallest node index of its component (edges u[i]-v[i]).

    Hooks the larger root onto the smaller for every edge whose ends differ, then jumps
    pointers to the roots; repeats until no edge spans two labels. A few rounds in practice
    (13 for a million-node chain in random order), each linear in numpy.
    """
    labels = np.arange(nodes, dtype=np.int64)
    while True:
        ru, rv = labels[u], labels[v]
        differ = ru != rv
        if not differ.any():
            return labels
        ru, rv = ru[differ], rv[differ]
        np.minimum.at(labels, np.maximum(ru, rv), np.minimum(ru, rv))
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped


def _hash_groups() -> Iterator[list[int]]:
    """Yield the report ids sharing each exact evidence hash (MD5/SHA-256 or file SHA-256)."""
    from django.db.models import Count

    from hotline.intake.models import EvidenceFile, EvidenceHash

    shared = (
        EvidenceHash.objects.exclude(kind=EvidenceHash.Kind.PDQ)
        .values("kind", "value")
        .annotate(n=Count("report", distinct=True))
        .filter(n__gt=1)
    )
    for kind, value in shared.values_list("kind", "value").iterator():
        same = EvidenceHash.objects.filter(kind=kind, value=value)
        yield list(same.values_list("report_id", flat=True))
    files = (
        EvidenceFile.objects.values("sha256")
        .annotate(n=Count("report", distinct=True))
        .filter(n__gt=1)
        .values_list("sha256", flat=True)
    )
    for sha256 in files.iterator():
        yield list(EvidenceFile.objects.filter(sha256=sha256).values_list("report_id", flat=True))


@gc_paused()
def clusters_compute() -> int:
    """Recompute every report's cluster label over live links and shared hashes; return count.

    Reports and entities are nodes of one graph (reports first, so a component's smallest node
    is a report and its id is the label). Only reports with at least one live link or shared hash
    get a label; the others are alone.
    """
    links = _live_links()
    hash_edges = [(group[0], other) for group in _hash_groups() for other in group[1:]]
    pairs = np.array(hash_edges, dtype=np.int64).reshape(-1, 2)
    report_ids, report_position = _dense_index(np.concatenate([links[:, 1], pairs.ravel()]))
    entity_ids, entity_position = _dense_index(links[:, 0])
    first_entity = len(report_ids)
    u = np.concatenate([report_position[links[:, 1]], report_position[pairs[:, 0]]])
    v = np.concatenate([first_entity + entity_position[links[:, 0]], report_position[pairs[:, 1]]])
    labels = report_ids[connected_components(u, v, first_entity + len(entity_ids))[:first_entity]]

    now = timezone.now()
    with transaction.atomic():
        if is_postgres():
            stamp = now.isoformat()
            query = "COPY entities_reportcluster (report_id, label, computed_at) FROM STDIN"
            with connection.cursor() as cursor:
                # TRUNCATE, not DELETE: after a DELETE every new row's primary-key check visits
                # the old row's heap tuple (a million random reads, 10 s of a 15 s run). Readers
                # of the labels wait for the commit instead of seeing the old labels meanwhile.
                cursor.execute("TRUNCATE entities_reportcluster")
                # Indexes built once after the load instead of a million single inserts.
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                rebuilt = indexes_drop(cursor, "entities_reportcluster", primary=True)
            with connection.cursor() as cursor, cursor.copy(query) as copy:
                ids, marks = report_ids.tolist(), labels.tolist()
                for offset in range(0, len(ids), 100_000):
                    copy.write(
                        "".join(
                            f"{report_id}\t{label}\t{stamp}\n"
                            for report_id, label in zip(
                                ids[offset : offset + 100_000],
                                marks[offset : offset + 100_000],
                                strict=True,
                            )
                        )
                    )
            with connection.cursor() as cursor:
                for statement in rebuilt:
                    cursor.execute(statement)
        else:
            ReportCluster.objects.all().delete()
            ReportCluster.objects.bulk_create(
                [
                    ReportCluster(report_id=report_id, label=label, computed_at=now)
                    for report_id, label in zip(report_ids.tolist(), labels.tolist(), strict=True)
                ],
                batch_size=5000,
            )
    return int(np.unique(labels).size)


def cluster_reports_by_label(*, report_id: int) -> list[int]:
    """Return the report ids of a report's cluster from the last clustering run."""
    label = (
        ReportCluster.objects.filter(report_id=report_id).values_list("label", flat=True).first()
    )
    if label is None:
        return [report_id]
    return list(ReportCluster.objects.filter(label=label).values_list("report_id", flat=True))


def cluster_label(*, report_id: int) -> int | None:
    """Return a report's cluster label from the last clustering run, if it has one."""
    label: int | None = (
        ReportCluster.objects.filter(report_id=report_id).values_list("label", flat=True).first()
    )
    return label


def cluster_size(*, label: int) -> int:
    """Return how many reports carry a cluster label."""
    return ReportCluster.objects.filter(label=label).count()


def entity_cluster_label(*, entity_id: int) -> int | None:
    """Return the cluster label of the reports naming an entity (last clustering run)."""
    # No ordering: any live link will do, and LIMIT 1 then walks the (entity, state) index.
    report_ids = ReportEntity.objects.filter(entity_id=entity_id, state__in=LIVE).values_list(
        "report_id", flat=True
    )[:1]
    for report_id in report_ids:
        return cluster_label(report_id=report_id)
    return None
