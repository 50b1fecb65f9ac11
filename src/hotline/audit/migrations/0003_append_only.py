"""Verification runs; on PostgreSQL, triggers that refuse UPDATE, DELETE and TRUNCATE of events.

The triggers bind every role but superusers. A superuser can switch triggers off anyway
(`session_replication_role`), so exempting it costs nothing, and it lets Django's test flush
(TRUNCATE, run as the test superuser) work. The application's role must therefore not be a
superuser (docs/operations.md, production; docs/decisions/audit.md).
"""

from typing import Any

from django.db import migrations, models

INSTALL = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_head"),
    ]

    operations = [
        migrations.CreateModel(
            name="VerificationRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                ("ok", models.BooleanField()),
                ("events", models.BigIntegerField()),
                ("checkpoints", models.IntegerField(default=0)),
                ("first_bad_id", models.BigIntegerField(blank=True, null=True)),
                ("reason", models.CharField(blank=True, max_length=300)),
                ("seconds", models.FloatField()),
                ("trigger", models.CharField(max_length=20)),
            ],
            options={
                "ordering": ["-at"],
            },
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor_label", "id"], name="audit_actor_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action", "id"], name="audit_action_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["target_type", "target_id", "id"], name="audit_target_id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["at"], name="audit_at"),
        ),
        migrations.RunPython(install, remove),
    ]
