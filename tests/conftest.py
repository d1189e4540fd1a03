import tempfile
import uuid
from pathlib import Path

import pytest
from django.utils import translation

from operation.celery import app as celery_app


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
    """Data-service quota and rate counters and cached results live outside the test
    database (Redis, or files): each test has its own."""
    settings.SERVICES_KEY_PREFIX = f"test-{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Assertions read messages in English; tests of the Chinese portal ask for it (as a
    browser does, or with settings.LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _tasks_run_inline():
    """Tasks run in-process after commit; tests/operation/test_worker.py proves the
    same tasks through the real broker and a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def worker_queues_restored():
    """start_worker(queues=[...]) narrows the app's queues for every later worker of the
    session: consume from the same queues as before once the test is done."""
    before = list(celery_app.amqp.queues.consume_from)
    yield
    celery_app.amqp.queues.select(before)
