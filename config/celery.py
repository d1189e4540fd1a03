"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Options of every worker: no gossip, mingle or event heartbeats. Nothing here uses them
# (liveness is the database heartbeat of core/workers.py), and their reconnection
# after a broker outage is where kombu's worker crashed ("'NoneType' object has no
# attribute 'hostname'"). The systemd units in deploy/ give the same options.
WORKER_WITHOUT = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
