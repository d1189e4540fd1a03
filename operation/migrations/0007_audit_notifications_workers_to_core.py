"""The audit trail, notifications and worker heartbeats now belong to the core app
(core/migrations/0001_initial.py): state only, no table changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("operation", "0006_audit_keyed"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="AuditChainHead",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="organization",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="recipient",
                ),
                migrations.DeleteModel(
                    name="WorkerHeartbeat",
                ),
                migrations.DeleteModel(
                    name="AuditEvent",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
            ],
            database_operations=[],
        ),
    ]
