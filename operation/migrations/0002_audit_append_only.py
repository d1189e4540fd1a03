"""The audit trail's chain head, and database triggers that refuse changes to events.

The ORM and the admin already refuse; the triggers make the database refuse too, so only
someone who disables them (a test simulating a tampering DBA does) can change a row, and
verify_audit then names the broken event. On PostgreSQL both UPDATE and DELETE are
refused; SQLite refuses UPDATE (its test-database flush deletes rows).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION operation_auditevent_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER operation_auditevent_no_update BEFORE UPDATE OR DELETE ON operation_auditevent
    FOR EACH ROW EXECUTE FUNCTION operation_auditevent_refuse();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS operation_auditevent_no_update ON operation_auditevent;
DROP FUNCTION IF EXISTS operation_auditevent_refuse();
"""
SQLITE_FORWARD = """
CREATE TRIGGER operation_auditevent_no_update BEFORE UPDATE ON operation_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS operation_auditevent_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)
    apps.get_model("operation", "AuditChainHead").objects.get_or_create(pk=1)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("operation", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
