"""Tasks travel through the configured broker (Redis in CI, the filesystem transport by
default) to a real Celery worker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from operation.celery import app as celery_app
from operation.models import Notification
from tests.factories import submitted_developer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_notification_email_is_sent_by_a_worker_through_the_broker(mailoutbox):
    celery_app.conf.task_always_eager = False
    _organization, admin = submitted_developer("海洋实验室", "lab")
    notification = Notification.objects.get(recipient=admin)
    assert notification.emailed_at is None
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            notification.refresh_from_db()
            if notification.emailed_at:
                break
            time.sleep(0.2)
    assert notification.emailed_at is not None
    assert [m.to for m in mailoutbox] == [[admin.email]]
