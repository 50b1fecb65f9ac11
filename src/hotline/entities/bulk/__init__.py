"""Linking and clustering in bulk: millions of mentions, one transaction, no per-row ORM work.

Used by re-extraction after an extractor upgrade, imports, and `hotline entities cluster`. On
PostgreSQL rows go through COPY into temporary tables and are merged with ON CONFLICT DO NOTHING,
so concurrent single-report linking by workers stays safe; on SQLite (the embedded default, small
installations) the ORM's bulk_create does the same job more slowly.

Modules: `linking` (the entry point, SQLite path, escrows), `postgres` (COPY and merges),
`schema` (index and foreign-key drops around a load), `clusters` (connected components).
"""

from hotline.entities.bulk.clusters import (
    cluster_label,
    cluster_reports_by_label,
    cluster_size,
    clusters_compute,
    connected_components,
    entity_cluster_label,
)
from hotline.entities.bulk.linking import BulkMention, BulkResult, entities_link_bulk

__all__ = [
    "BulkMention",
    "BulkResult",
    "cluster_label",
    "cluster_reports_by_label",
    "cluster_size",
    "clusters_compute",
    "connected_components",
    "entities_link_bulk",
    "entity_cluster_label",
]
