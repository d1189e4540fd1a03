"""Tasks travel through the configured broker to a real Celery worker: CI's Redis, or by
default the test run's throwaway Redis on a unix socket (tests/localredis_plugin.py)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from core.models import Notification
from scenarios.models import JobStatus
from scenarios.services.jobs import job_submit
from tests.factories import authorized_scenario, submitted_developer

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


@pytest.mark.usefixtures("worker_queues_restored")
def test_a_job_runs_on_a_worker_consuming_the_sandbox_queue(tmp_path):
    scenario, developer = authorized_scenario(tmp_path)  # workspace built inline
    celery_app.conf.task_always_eager = False
    job = job_submit(
        by=developer, scenario=scenario, language="sql", code="SELECT 42 AS answer", dry_run=False
    )
    with start_worker(
        celery_app,
        pool="solo",
        queues=["sandbox"],
        perform_ping_check=False,
        shutdown_timeout=10,
    ):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished:
                break
            time.sleep(0.2)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert job.worker and job.worker != "eager"
    assert job.outputs.filter(name="result.csv").exists()
