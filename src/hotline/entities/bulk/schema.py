"""PostgreSQL schema changes around bulk loads: drop indexes and foreign keys, put them back.

Only for the exclusive bulk paths (maintenance windows, imports, clustering), inside their
transaction, so a failure rolls the schema back with the data.
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.utils import CursorWrapper


def indexes_drop(cursor: CursorWrapper, table: str, *, primary: bool = False) -> list[str]:
    """Drop a table's indexes (the primary key too if asked); return statements recreating them."""
    cursor.execute(
        "SELECT i.relname, c.conname, pg_get_constraintdef(c.oid), pg_get_indexdef(i.oid)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid"
        " WHERE x.indrelid = %s::regclass AND (%s OR NOT x.indisprimary) ORDER BY i.relname",
        [table, primary],
    )
    recreate = []
    quote = connection.ops.quote_name
    for index, constraint, constraint_definition, index_definition in cursor.fetchall():
        if constraint:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint)}")
            recreate.append(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} {constraint_definition}"
            )
        else:
            cursor.execute(f"DROP INDEX {quote(index)}")
            recreate.append(str(index_definition))
    return recreate


def constraints_defer_again(cursor: CursorWrapper) -> None:
    """Undo SET CONSTRAINTS ALL IMMEDIATE: deferrable constraints back to their initial mode."""
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.conname) FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace"
        " WHERE c.condeferrable AND NOT c.condeferred"
    )
    immediate = [str(name) for (name,) in cursor.fetchall()]
    if immediate:
        cursor.execute(f"SET CONSTRAINTS {', '.join(immediate)} IMMEDIATE")


def foreign_keys_drop(cursor: CursorWrapper, columns: tuple[str, ...]) -> list[tuple[str, str]]:
    """Drop the link table's foreign keys on `columns`; return their (name, definition)."""
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE c.conrelid = 'entities_reportentity'::regclass AND c.contype = 'f'"
        " AND cardinality(c.conkey) = 1 AND a.attname = ANY (%s) ORDER BY c.conname",
        [list(columns)],
    )
    found = [(str(name), str(definition)) for name, definition in cursor.fetchall()]
    if found:
        cursor.execute(
            "ALTER TABLE entities_reportentity "
            + ", ".join(f"DROP CONSTRAINT {connection.ops.quote_name(n)}" for n, _ in found)
        )
    return found
