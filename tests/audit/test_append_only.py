"""On PostgreSQL the application's role cannot UPDATE, DELETE or TRUNCATE audit events.

The triggers spare superusers only (who could switch triggers off anyway): the tests run as
the test superuser, so each refusal is shown under an ordinary role made for the test, with
every table privilege granted, so that it is the trigger, not a missing GRANT, that refuses.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from hotline.audit.models import AuditEvent, AuditHead
from hotline.audit.services import audit_record, audit_verify

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the triggers are PostgreSQL's (SQLite: none)"
    ),
]


@pytest.fixture
def app_role(db: None) -> str:
    """Create an ordinary role (rolled back with the test) allowed everything on the tables."""
    role = f"hotline_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return role


@contextmanager
def acting_as(role: str) -> Iterator[None]:
    """Run the block as `role` (undone with the savepoint, or reset on the way out)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Fire the deferred foreign-key checks of earlier inserts now: PostgreSQL refuses any
        # TRUNCATE while they are pending, which would hide what the trigger does.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL ROLE {role}")
        yield
        cursor.execute("RESET ROLE")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'forged'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "TRUNCATE audit_auditevent CASCADE",
    ],
)
def test_the_application_role_cannot_change_or_remove_audit_events(
    app_role: str, statement: str
) -> None:
    audit_record(actor=None, action="test.kept")
    with (
        pytest.raises(DatabaseError, match="audit events are append-only"),
        acting_as(app_role),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.get().action == "test.kept"
    assert audit_verify().ok


def test_the_orm_cannot_update_or_delete_events_as_the_application_role(app_role: str) -> None:
    event = audit_record(actor=None, action="test.kept")
    with pytest.raises(DatabaseError), acting_as(app_role):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), acting_as(app_role):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(action="test.kept").count() == 1


def test_the_application_role_still_appends_and_moves_the_head(app_role: str) -> None:
    with acting_as(app_role):
        audit_record(actor=None, action="test.one")
        audit_record(actor=None, action="test.two")
    head = AuditHead.objects.get()
    assert head.events == 2
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_flushing_test_still_works_with_the_triggers_in_place() -> None:
    """Django empties the tables after this test with TRUNCATE, as the test superuser."""
    audit_record(actor=None, action="test.flushed")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass"
            " AND tgname LIKE 'audit_event_no_%%'"
        )
        assert cursor.fetchone() == (2,)
