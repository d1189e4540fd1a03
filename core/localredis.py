"""A Redis of our own on a unix socket: the embedded default's broker and counters.

``make demo`` runs one under ``VAR_DIR/redis/`` (started and stopped by ``rundemo``);
``make test`` runs a throwaway one for the test run (``tests/localredis_plugin.py``), and
any command can have one::

    python -m core.localredis run -- python bench/jobs.py

It listens on the unix socket only (``--port 0``), readable by its own user only
(``--unixsocketperm 700``), so several demos and the machine's own Redis run side by
side and the sandbox's user cannot reach it. The demo's Redis keeps a small append-only
file under its folder (fsync once a second): a restart of the demo, or of a Redis that
crashed, keeps the queued messages and the data-service counters. The test run's Redis
keeps nothing.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.supervisor import stop_group

# sockaddr_un.sun_path is 108 bytes on Linux, with the terminating NUL.
SOCKET_PATH_MAX = 107
SOCKET_NAME = "redis.sock"


class LocalRedisError(RuntimeError):
    """The local Redis cannot be started (message for the operator)."""


def socket_path(folder: Path) -> Path:
    return Path(folder) / SOCKET_NAME


def broker_url(socket: Path) -> str:
    """kombu's URL for a Redis on a unix socket (three slashes for an absolute path)."""
    return f"redis+socket://{socket}"


def client_url(socket: Path) -> str:
    """redis-py's URL for the same socket."""
    return f"unix://{socket}"


def check_socket_path(socket: Path) -> None:
    size = len(os.fsencode(str(socket)))
    if size > SOCKET_PATH_MAX:
        raise LocalRedisError(
            f"the Redis socket path {socket} is {size} bytes long; unix sockets allow at "
            f"most {SOCKET_PATH_MAX}: set VAR_DIR to a shorter folder"
        )


def answers(socket: Path) -> bool:
    """Whether a Redis answers PING on this socket (at once: no retries, which redis-py
    makes with backoff for seconds by default)."""
    try:
        with redis.Redis(
            unix_socket_path=str(socket),
            socket_timeout=1,
            socket_connect_timeout=1,
            retry=Retry(NoBackoff(), 0),
        ) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


class LocalRedis:
    """A redis-server listening only on ``folder/redis.sock``."""

    def __init__(self, folder: Path, *, persistent: bool = True):
        self.folder = Path(folder).absolute()
        self.socket = socket_path(self.folder)
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def broker_url(self) -> str:
        return broker_url(self.socket)

    @property
    def client_url(self) -> str:
        return client_url(self.socket)

    def command(self) -> list[str]:
        executable = shutil.which("redis-server")
        if executable is None:
            raise LocalRedisError(
                "redis-server is not installed: run `bash .ci/system-packages redis-server` "
                "(make demo and make test do)"
            )
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        return [
            executable,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.folder),
            "--save", "",
            *persistence,
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip

    def prepare(self) -> None:
        """Check the socket path, make the folder, refuse a Redis already answering
        there (another demo with this VAR_DIR) and remove a stale socket."""
        check_socket_path(self.socket)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        if answers(self.socket):
            raise LocalRedisError(
                f"a Redis already answers on {self.socket}: is another demo running with "
                "this VAR_DIR?"
            )
        self.socket.unlink(missing_ok=True)

    def start(self, *, timeout: float = 10) -> None:
        self.prepare()
        self.process = subprocess.Popen(
            self.command(), start_new_session=True, stdin=subprocess.DEVNULL
        )
        self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.socket):
            if self.process is not None and self.process.poll() is not None:
                raise LocalRedisError(
                    f"redis-server exited with code {self.process.returncode}; "
                    f"see {self.folder / 'redis.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise LocalRedisError(f"redis-server did not answer on {self.socket}")
            time.sleep(0.05)

    def stop(self, *, grace: float = 10) -> None:
        if self.process is None:
            return
        stop_group(self.process, grace=grace)
        self.process = None
        self.socket.unlink(missing_ok=True)


def run(command: list[str]) -> int:
    """Run ``command`` with a throwaway Redis: CELERY_BROKER_URL and SERVICES_REDIS_URL
    point at it; it is stopped and its folder removed when the command ends."""
    folder = Path(tempfile.mkdtemp(prefix="redis-"))
    server = LocalRedis(folder, persistent=False)
    try:
        server.start()
        env = {
            **os.environ,
            "CELERY_BROKER_URL": server.broker_url,
            "SERVICES_REDIS_URL": server.client_url,
        }
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the command (same process group); a SIGTERM is passed on to it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
        return child.wait()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.localredis", description=__doc__)
    commands = parser.add_subparsers(dest="action", required=True)
    run_parser = commands.add_parser("run", help="run a command with a throwaway Redis")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    try:
        return run(command)
    except LocalRedisError as exc:
        print(f"localredis: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
