"""The suite's own parallel run (tests/parallel_plugin.py, tests/localredis_plugin.py):
each xdist worker on a Redis database of its own, workers only for folders."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from config.env import redis_client_url
from tests.localredis_plugin import database_moved
from tests.parallel_plugin import WORKERS, pytest_xdist_auto_num_workers

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("url", "moved"),
    [
        ("redis://127.0.0.1:6379/9", "redis://127.0.0.1:6379/11"),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/2"),
        ("redis+socket:///tmp/r/redis.sock", "redis+socket:///tmp/r/redis.sock?virtual_host=2"),
        ("redis+socket:///tmp/r.sock?virtual_host=3", "redis+socket:///tmp/r.sock?virtual_host=5"),
        ("unix:///tmp/r/redis.sock", "unix:///tmp/r/redis.sock?db=2"),
    ],
)
def test_a_worker_moves_the_redis_database_number_up_by_its_own(url, moved):
    assert database_moved(url, 2) == moved


def test_the_counters_follow_the_brokers_moved_database():
    moved = database_moved("redis+socket:///tmp/r/redis.sock", 1)
    assert redis_client_url(moved) == "unix:///tmp/r/redis.sock?db=1"


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["tests"], WORKERS),
        (["tests/core", "tests/deploy"], WORKERS),
        (["tests/test_layers.py"], 0),
        (["tests/core", "tests/test_layers.py::test_every_import_points_down_the_layers"], 0),
    ],
)
def test_folders_get_workers_and_files_run_in_pytests_own_process(args, workers, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    config = SimpleNamespace(args=[str(ROOT / arg) for arg in args])
    assert pytest_xdist_auto_num_workers(config) == workers
