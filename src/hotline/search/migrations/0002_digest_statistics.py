"""Keep detailed statistics of term digests on PostgreSQL, so common terms are known as common.

With the default statistics target (100 most common values out of millions of digests), the
planner guessed about 2,000 reports for every term: for a common Khmer trigram (40,000 of
200,000 reports) it started from the term's rows and probed every report, 0.76 s, instead of
walking the queue in order and stopping after a page (benchmarks/staff_queue.py). With 10,000
most common values, frequent words and trigrams are in the list and rare ones are estimated
from the rest. Costs a longer ANALYZE of this table (a larger sample), nothing per query.
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
