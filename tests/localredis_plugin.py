"""pytest plugin: without CELERY_BROKER_URL, the test run gets a throwaway Redis on a unix
socket of its own (core/localredis.py), as `make test` does::

    python -m pytest -p tests.localredis_plugin tests/...

It runs before pytest-django reads the settings, so CELERY_BROKER_URL and
SERVICES_REDIS_URL point at it for the whole run; with CELERY_BROKER_URL set (CI's
PostgreSQL and Redis) it does nothing.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from core.localredis import LocalRedis


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if os.environ.get("CELERY_BROKER_URL"):
        return
    folder = Path(tempfile.mkdtemp(prefix="redis-"))
    server = LocalRedis(folder, persistent=False)
    server.start()
    early_config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    early_config.add_cleanup(server.stop)
    os.environ["CELERY_BROKER_URL"] = server.broker_url
    os.environ.setdefault("SERVICES_REDIS_URL", server.client_url)
