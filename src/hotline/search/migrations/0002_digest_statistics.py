"""Keep detailed statistics of term digests on PostgreSQL, so common terms are known as common.

With the default statistics target (100 most common values out of millions of digests), the
planner guessed about 2,000 reports for any term, 41,000 for a common Khmer trigram included
(benchmarks/staff_queue.py). With 10,000 most common values its estimate came to 32,000. That
alone did not make the search of a Khmer word fast (its trigrams are not independent:
hotline.search.selectors chooses the query shape), but it keeps the plans of single terms and
of the other queries on this table right. Costs a longer ANALYZE of this table, nothing per query.
"""

from typing import Any

from django.db import migrations

TARGET = 10_000


def _set(target: int) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite keeps no per-column statistics target
        schema_editor.execute(
            f"ALTER TABLE search_searchterm ALTER COLUMN digest SET STATISTICS {target}"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(_set(TARGET), _set(-1))]
