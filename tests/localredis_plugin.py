"""pytest plugin: without CELERY_BROKER_URL, the test run gets a throwaway Redis on a unix
socket of its own (core/localredis.py), as `make test` does::

    python -m pytest -p tests.localredis_plugin tests/...

It runs before pytest-django reads the settings, so CELERY_BROKER_URL and
SERVICES_REDIS_URL point at it for the whole run; with CELERY_BROKER_URL set (CI's
PostgreSQL and Redis) it starts none.

Under pytest-xdist (tests/parallel_plugin.py) the workers inherit the URLs of the main
process (its throwaway Redis, or CI's), and worker N (gwN) uses the database number N
above theirs: its queues, workers' broadcasts and cached results are its own.
"""

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from core.localredis import LocalRedis


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if os.environ.get("CELERY_BROKER_URL"):
        _database_of_this_worker()
        return
    folder = Path(tempfile.mkdtemp(prefix="redis-"))
    server = LocalRedis(folder, persistent=False)
    server.start()
    early_config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    early_config.add_cleanup(server.stop)
    os.environ["CELERY_BROKER_URL"] = server.broker_url
    os.environ.setdefault("SERVICES_REDIS_URL", server.client_url)


def _database_of_this_worker() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return
    offset = int(worker.removeprefix("gw"))
    if offset == 0:
        return
    for name in ("CELERY_BROKER_URL", "SERVICES_REDIS_URL"):
        if os.environ.get(name):
            os.environ[name] = database_moved(os.environ[name], offset)


def database_moved(url: str, offset: int) -> str:
    """The same Redis URL with its database number ``offset`` higher: in the path
    (redis://host:port/N), or the query of a unix socket's URL (kombu's
    redis+socket://...?virtual_host=N, redis-py's unix://...?db=N)."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        number = int(parts.path.strip("/") or 0) + offset
        return parts._replace(path=f"/{number}").geturl()
    key = "virtual_host" if parts.scheme == "redis+socket" else "db"
    query = dict(parse_qsl(parts.query))
    query[key] = str(int(query.get(key, "").strip("/") or 0) + offset)
    return f"{parts.scheme}://{parts.path}?{urlencode(query)}"
