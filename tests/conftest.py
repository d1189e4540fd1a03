import tempfile
import uuid
from pathlib import Path

import pytest
import redis
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import translation

from config.celery import app as celery_app
from scenarios.worker.warm import warm_pool_close


@receiver(connection_created)
def _tests_may_empty_the_audit_trail(sender, connection, **_kwargs):
    """Django empties test databases with TRUNCATE between transactional tests, which the
    audit trail refuses on PostgreSQL unless the session allows it (operation migration
    0006): the test suite's sessions do, and only they."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET sandbox.audit_truncate = 'allow'")


@pytest.fixture(autouse=True)
def _isolated_data_root(settings, tmp_path):
    """Each test writes its files under its own DATA_ROOT, which the sandbox's user (when
    tests run as root) must be able to reach, as it reaches var/data."""
    settings.DATA_ROOT = tmp_path / "data"
    for folder in (tmp_path, *tmp_path.parents):
        if folder == Path(tempfile.gettempdir()):
            break
        folder.chmod(0o755)


@pytest.fixture(autouse=True)
def _own_service_counters(settings):
    """Data-service quota and rate counters and cached results outlive a test (in Redis):
    each test counts under its own prefix, and its keys go with it."""
    settings.SERVICES_KEY_PREFIX = prefix = f"test-{uuid.uuid4().hex}:"
    settings.SERVICES_LOG_BATCH = 1  # every call moved into ServiceCall before it answers
    yield
    client = redis.Redis.from_url(settings.SERVICES_REDIS_URL)
    for name in client.scan_iter(match=f"{prefix}*"):
        client.delete(name)


@pytest.fixture
def serviced(tmp_path, django_capture_on_commit_callbacks):
    """(scenario, developer, definition, secret): an authorized scenario whose type
    carries the berth-traffic data service, and its API key (tests.factories)."""
    from tests.factories import serviced_scenario

    with django_capture_on_commit_callbacks(execute=True):
        return serviced_scenario(tmp_path)


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Assertions read messages in English; tests of the Chinese portal ask for it (as a
    browser does, or with settings.LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _tasks_run_inline():
    """Tasks run in-process after commit; tests/core/test_tasks.py proves the
    same tasks through the real broker and a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _no_warm_sandboxes_left():
    """A task run as a worker runs it (``job_run(pk)``, a test's in-process worker) opens
    this process's warm pool: closed after every test, so that no later test finds a warm
    sandbox it did not start (tests run in any order, on any xdist worker)."""
    yield
    warm_pool_close()


@pytest.fixture
def worker_queues_restored():
    """start_worker(queues=[...]) narrows the app's queues for every later worker of the
    session: consume from the same queues as before once the test is done."""
    before = list(celery_app.amqp.queues.consume_from)
    yield
    celery_app.amqp.queues.select(before)
