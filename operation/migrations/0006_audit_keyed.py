"""The keyed audit chain: each event names the key of its HMAC (empty for the events from
before, which keep their plain SHA-256), and so does the chain head.

On PostgreSQL a statement trigger now refuses TRUNCATE of the events too (row triggers
never see it), unless the session itself says ``SET sandbox.audit_truncate = 'allow'``:
only the test suite does (tests/conftest.py), as Django's test runner empties its
databases with TRUNCATE between transactional tests. On SQLite, adding the column rebuilds the table, which drops its trigger:
it is made again.
"""

from django.db import migrations, models

PG_FORWARD = """
CREATE OR REPLACE FUNCTION operation_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('sandbox.audit_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER operation_auditevent_no_truncate BEFORE TRUNCATE ON operation_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION operation_auditevent_refuse_truncate();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS operation_auditevent_no_truncate ON operation_auditevent;
DROP FUNCTION IF EXISTS operation_auditevent_refuse_truncate();
"""
SQLITE_FORWARD = """
CREATE TRIGGER IF NOT EXISTS operation_auditevent_no_update BEFORE UPDATE ON operation_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


def sqlite_trigger_again(apps, schema_editor):
    """Unapplied, removing the column rebuilds the table again (this runs after it)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


class Migration(migrations.Migration):
    dependencies = [("operation", "0005_worker_heartbeat")]
    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_trigger_again),
        migrations.AddField(
            model_name="auditchainhead",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="key id"),
        ),
        migrations.RunPython(forward, backward),
    ]
