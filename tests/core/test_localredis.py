"""The embedded default's own Redis: a unix socket only, started and stopped with its owner."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import redis

from config.env import redis_client_url
from core.localredis import SOCKET_PATH_MAX, LocalRedis, LocalRedisError, answers
from core.supervisor import group_members

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="hb-lr-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(
    ("broker", "client"),
    [
        ("redis+socket:///srv/var/redis/redis.sock", "unix:///srv/var/redis/redis.sock"),
        ("redis+socket:///srv/r.sock?virtual_host=3", "unix:///srv/r.sock?db=3"),
        ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
        ("rediss://cache.internal:6380/0", "rediss://cache.internal:6380/0"),
    ],
)
def test_the_counters_use_the_brokers_redis(broker, client):
    assert redis_client_url(broker) == client


def test_a_socket_path_too_long_is_refused_with_a_clear_error(folder):
    deep = folder / ("x" * (SOCKET_PATH_MAX - len(str(folder))))
    server = LocalRedis(deep)
    with pytest.raises(LocalRedisError, match=r"unix sockets allow at most 107: set VAR_DIR"):
        server.start()
    assert server.process is None
    assert not deep.exists()


@pytest.mark.slow
def test_start_listens_on_its_socket_only_and_stop_leaves_nothing(folder):
    server = LocalRedis(folder / "redis")
    server.start()
    try:
        pid = server.process.pid
        assert os.getpgid(pid) == pid  # its own process group
        assert stat.S_IMODE(server.socket.stat().st_mode) == 0o700
        client = redis.Redis.from_url(server.client_url)
        assert client.config_get("port") == {"port": "0"}
        client.set("kept", "yes")
    finally:
        server.stop()
    assert not group_members(pid)
    assert not server.socket.exists()
    assert not answers(server.socket)

    server.start()  # the demo's Redis keeps its data across a restart (append-only file)
    try:
        assert redis.Redis.from_url(server.client_url).get("kept") == b"yes"
    finally:
        server.stop()


@pytest.mark.slow
def test_a_second_redis_on_the_same_socket_is_refused(folder):
    first = LocalRedis(folder / "redis", persistent=False)
    first.start()
    try:
        with pytest.raises(LocalRedisError, match="a Redis already answers"):
            LocalRedis(folder / "redis", persistent=False).start()
        assert answers(first.socket)
    finally:
        first.stop()


@pytest.mark.slow
def test_run_gives_a_command_a_throwaway_redis():
    script = (
        "import os, redis\n"
        "url = os.environ['SERVICES_REDIS_URL']\n"
        "assert os.environ['CELERY_BROKER_URL'] == 'redis+socket://' + url[len('unix://'):]\n"
        "assert redis.Redis.from_url(url).ping()\n"
        "print(url[len('unix://'):])\n"
        "raise SystemExit(3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "core.localredis", "run", "--", sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr  # the command's own exit code
    socket = Path(result.stdout.strip())
    assert socket.name == "redis.sock"
    assert not socket.parent.exists()  # the throwaway folder is gone
