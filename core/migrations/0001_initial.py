"""The audit trail, notifications and worker heartbeats move here from the operation app:
state only, their tables (operation_*) stay as they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenants', '0001_initial'),
        ('operation', '0006_audit_keyed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditChainHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField(default=0)),
                        ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                        ('key_id', models.CharField(blank=True, default='', max_length=16)),
                    ],
                    options={
                        'verbose_name': 'audit chain head',
                        'db_table': 'operation_auditchainhead',
                    },
                ),
                migrations.CreateModel(
                    name='WorkerHeartbeat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hostname', models.CharField(max_length=200, unique=True, verbose_name='worker')),
                        ('queues', models.CharField(max_length=200, verbose_name='queues')),
                        ('pid', models.PositiveIntegerField()),
                        ('started_at', models.DateTimeField(verbose_name='started at')),
                        ('seen_at', models.DateTimeField(db_index=True, verbose_name='last seen')),
                    ],
                    options={
                        'verbose_name': 'worker',
                        'verbose_name_plural': 'workers',
                        'db_table': 'operation_workerheartbeat',
                        'ordering': ['hostname'],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(max_length=200, verbose_name='subject')),
                        ('body', models.TextField(verbose_name='body')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('emailed_at', models.DateTimeField(blank=True, null=True, verbose_name='emailed at')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'db_table': 'operation_notification',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField(unique=True, verbose_name='sequence')),
                        ('time', models.DateTimeField(db_index=True, verbose_name='time')),
                        ('actor_username', models.CharField(blank=True, max_length=150, verbose_name='actor username')),
                        ('action', models.CharField(db_index=True, max_length=80, verbose_name='action')),
                        ('target_type', models.CharField(blank=True, max_length=80, verbose_name='target type')),
                        ('target_id', models.CharField(blank=True, max_length=64, verbose_name='target id')),
                        ('details', models.JSONField(blank=True, default=dict, verbose_name='details')),
                        ('prev_hash', models.CharField(max_length=64, verbose_name='previous hash')),
                        ('hash', models.CharField(max_length=64, unique=True, verbose_name='hash')),
                        ('key_id', models.CharField(blank=True, default='', max_length=16, verbose_name='key id')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                        ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.organization', verbose_name='organization')),
                    ],
                    options={
                        'verbose_name': 'audit event',
                        'verbose_name_plural': 'audit events',
                        'db_table': 'operation_auditevent',
                        'ordering': ['-seq'],
                        'indexes': [models.Index(fields=['target_type', 'target_id'], name='operation_a_target__6e0844_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
