"""Fault-injection harness: the platform as deployed (gunicorn, a general Celery worker, a
sandbox worker and beat, each a real process in its own process group) on the test
database, its broker reached through a TCP proxy in front of Redis that a test stops and
starts again. The harness also plays the supervisor: a worker or beat that exits is
started again and the restart recorded.

One set of processes serves every test of the folder (they take seconds to start) and is
stopped once the folder's last test is done, before the rest of the suite runs; each test
begins with all of them up and leaves them up, whatever it did to them. Test data is
made in this process through the factories (pytest-django's transactional database, which
the processes share) and jobs are submitted over HTTP with an API token.

The intervals are short here (see INTERVALS); the production defaults are in settings.
The proxy stands in front of the run's broker: CI's Redis over TCP
(CELERY_BROKER_URL=redis://host:port/db) or the throwaway Redis on a unix socket that the
test run starts without CELERY_BROKER_URL (tests/localredis_plugin.py). That Redis is
never stopped or flushed: only the Celery queue keys of the broker's own database number
are cleared, when the harness starts and when it stops.
"""

import asyncio
import contextlib
import http.client
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from config.celery import WORKER_WITHOUT

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = BASE_DIR / ".venv" / "bin"
# Two ports from these on, two further on for each xdist worker (gwN) of the run.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
WEB_PORT = int(os.environ.get("FAULTS_WEB_PORT", "8831")) + 2 * _WORKER
PROXY_PORT = int(os.environ.get("FAULTS_PROXY_PORT", "8832")) + 2 * _WORKER

# What the processes read from the environment (settings), short so that tests are quick.
INTERVALS = {
    "JOBS_REAP_INTERVAL_SECONDS": 2,
    "JOBS_REDISPATCH_AFTER_SECONDS": 6,
    "SANDBOX_HEARTBEAT_SECONDS": 2,
    "SANDBOX_REAP_AFTER_SECONDS": 10,
    "WORKER_HEARTBEAT_SECONDS": 2,
    "WORKER_DOWN_AFTER_SECONDS": 10,
}
SANDBOX_HOSTNAME = "sandbox@faults"
GENERAL_HOSTNAME = "general@faults"


# --- The broker proxy ---------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """The broker's Redis: over TCP (CI's) or on a unix socket (the throwaway Redis that
    `make test` starts when CELERY_BROKER_URL is not set)."""

    database: int
    host: str = ""
    port: int = 0
    socket: str = ""

    async def connect(self):
        if self.socket:
            return await asyncio.open_unix_connection(self.socket)
        return await asyncio.open_connection(self.host, self.port)

    def client(self) -> redis.Redis:
        if self.socket:
            return redis.Redis(unix_socket_path=self.socket, db=self.database)
        return redis.Redis(host=self.host, port=self.port, db=self.database)

    @property
    def client_url(self) -> str:
        if self.socket:
            return f"unix://{self.socket}?db={self.database}"
        return f"redis://{self.host}:{self.port}/{self.database}"

    @classmethod
    def of_broker(cls, broker_url: str) -> "Upstream | None":
        url = urlsplit(broker_url)
        if url.scheme == "redis" and url.hostname:
            return cls(int(url.path.strip("/") or 0), url.hostname, url.port or 6379)
        if url.scheme == "redis+socket" and url.path:
            query = dict(part.partition("=")[::2] for part in url.query.split("&") if part)
            return cls(int(query.get("virtual_host", "").strip("/") or 0), socket=url.path)
        return None


class BrokerProxy:
    """A TCP proxy on 127.0.0.1:``port`` in front of Redis, run by an asyncio loop in a
    thread of its own. ``stop()`` closes the port and drops every open connection (clients
    see the broker vanish: refused connections, reset sockets); ``start()`` listens again."""

    def __init__(self, upstream: Upstream, port: int):
        self.upstream, self.port = upstream, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="broker-proxy")
        self.thread.daemon = True
        self.thread.start()
        self.server = None
        self.links: set[asyncio.StreamWriter] = set()

    @property
    def up(self) -> bool:
        return self.server is not None

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def start(self) -> None:
        if self.server is None:
            self.server = self._call(self._listen())

    def stop(self) -> None:
        if self.server is not None:
            self._call(self._close())
            self.server = None

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()

    async def _listen(self):
        return await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)

    async def _close(self) -> None:
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    async def _link(self, client_reader, client_writer) -> None:
        try:
            upstream_reader, upstream_writer = await self.upstream.connect()
        except OSError:
            client_writer.transport.abort()
            return
        self.links.update((client_writer, upstream_writer))

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:  # one side gone: the link is gone
                client_writer.transport.abort()
                upstream_writer.transport.abort()
                self.links.discard(client_writer)
                self.links.discard(upstream_writer)

        await asyncio.gather(
            pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer)
        )


# --- Processes -----------------------------------------------------------------------------


@dataclass
class Managed:
    """One supervised process; ``held`` means the test stopped it on purpose (the
    supervisor leaves it down)."""

    name: str
    command: list[str]
    ready_text: str
    log: Path
    popen: subprocess.Popen | None = None
    held: bool = False
    log_offset: int = 0

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Restart:
    name: str
    returncode: int
    at: float


@dataclass
class Cluster:
    env: dict
    root: Path
    proxy: BrokerProxy
    redis_upstream: redis.Redis
    processes: dict[str, Managed] = field(default_factory=dict)
    restarts: list[Restart] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    stopping: threading.Event = field(default_factory=threading.Event)

    base_url = f"http://127.0.0.1:{WEB_PORT}"

    # starting and stopping

    def add(self, name: str, command: list[str], ready_text: str) -> None:
        self.processes[name] = Managed(name, command, ready_text, self.root / f"{name}.log")

    def _spawn(self, managed: Managed) -> None:
        managed.log_offset = managed.log.stat().st_size if managed.log.exists() else 0
        with open(managed.log, "ab") as log:
            managed.popen = subprocess.Popen(
                managed.command,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a service manager does
            )

    def start(self, name: str, *, wait: bool = True) -> None:
        with self.lock:
            managed = self.processes[name]
            managed.held = False
            if not managed.alive:
                self._spawn(managed)
        if wait:
            self.wait_ready(name)

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        managed = self.processes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if managed.ready_text and managed.ready_text in self.log_since_start(name):
                return
            if not managed.ready_text and self.web_answers():
                return
            time.sleep(0.2)
        raise AssertionError(f"{name} did not become ready in {timeout} s\n{self.tail(name)}")

    def stop(self, name: str, timeout: float = 30) -> None:
        """Stop a process cleanly (SIGTERM, a worker's warm shutdown) and keep it down."""
        with self.lock:
            managed = self.processes[name]
            managed.held = True
        if managed.alive:
            self.signal(name, signal.SIGCONT)
            with contextlib.suppress(ProcessLookupError):
                os.kill(managed.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                managed.popen.wait(timeout)
        self.signal(name, signal.SIGKILL)  # what is left of its group (pool processes)
        if managed.popen is not None:
            managed.popen.wait(10)

    def remove(self, name: str) -> None:
        """Stop a process a test added and forget it."""
        self.stop(name)
        with self.lock:
            del self.processes[name]

    def signal(self, name: str, signum: int) -> None:
        """A signal to a process's whole group (the main process and its pool)."""
        managed = self.processes[name]
        if managed.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(managed.pid, signum)

    def supervise(self) -> None:
        """Restart every process that exits unless a test holds it down (a thread)."""
        while not self.stopping.wait(0.5):
            with self.lock:
                for managed in self.processes.values():
                    if managed.held or managed.popen is None or managed.alive:
                        continue
                    code = managed.popen.returncode
                    self.restarts.append(Restart(managed.name, code, time.monotonic()))
                    print(f"[faults supervisor] {managed.name} exited ({code}); restarting")
                    self.signal(managed.name, signal.SIGKILL)  # orphans of its group
                    self._spawn(managed)

    def ensure_healthy(self) -> None:
        """Every process running and ready, the broker reachable: a test's starting point."""
        self.proxy.start()
        for name, managed in self.processes.items():
            self.signal(name, signal.SIGCONT)
            if managed.held or not managed.alive:
                self.start(name, wait=False)
        for name in self.processes:
            self.wait_ready(name)
        # Workers beat every few seconds (a test's data, their rows among it, was just
        # flushed): give them the time to be seen, as a monitor would wait.
        deadline = time.monotonic() + 15
        while self.healthz("?require=workers")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.5)

    def shutdown(self) -> None:
        self.stopping.set()
        for name in self.processes:
            self.signal(name, signal.SIGCONT)
            self.signal(name, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for managed in self.processes.values():
            if managed.popen is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                managed.popen.wait(max(0.1, deadline - time.monotonic()))
            self.signal(managed.name, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                managed.popen.wait(5)
        self.proxy.close()

    # logs

    def log_since_start(self, name: str) -> str:
        managed = self.processes[name]
        try:
            with open(managed.log, "rb") as log:
                log.seek(managed.log_offset)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, name: str, lines: int = 40) -> str:
        try:
            text = self.processes[name].log.read_text(errors="replace")
        except FileNotFoundError:
            return f"--- {name}: no log"
        return f"--- {name} ({self.processes[name].log}):\n" + "\n".join(text.splitlines()[-lines:])

    def tails(self, *names: str, lines: int = 40) -> str:
        return "\n".join(self.tail(name, lines) for name in names or self.processes)

    # HTTP

    def web_answers(self) -> bool:
        try:
            self.http("GET", "/healthz", timeout=5)
        except OSError:
            return False
        return True

    def http(self, method: str, path: str, body=None, *, token: str = "", timeout: float = 30):
        """(status, parsed JSON or text) of one request to the web server."""
        conn = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=timeout)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    def healthz(self, query: str = "") -> tuple[int, dict]:
        return self.http("GET", "/healthz" + query, timeout=10)

    # the broker, seen from Redis itself (not through the proxy)

    def queue_keys(self, queue: str) -> list[bytes]:
        """The Redis lists of a kombu queue (with priorities, one list per level)."""
        keys = [queue.encode()]
        keys += [k for k in self.redis_upstream.scan_iter(match=f"{queue}\x06\x16*")]
        return [k for k in keys if self.redis_upstream.type(k) == b"list"]

    def queued_messages(self, queue: str) -> list[tuple[bytes, bytes, dict]]:
        """(key, raw message, its headers) of every message waiting in ``queue``."""
        found = []
        for key in self.queue_keys(queue):
            for raw in self.redis_upstream.lrange(key, 0, -1):
                try:
                    headers = json.loads(raw).get("headers") or {}
                except ValueError:
                    headers = {}
                found.append((key, raw, headers))
        return found


def _test_database_url() -> str:
    """The URL of pytest-django's test database, for the processes."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{name}"))


def _reachable_by_sandbox(folder: Path) -> None:
    """The sandbox's user (when tests run as root) reads the data root, as it reads
    var/data."""
    for each in (folder, *folder.parents):
        if each == Path(tempfile.gettempdir()):
            break
        each.chmod(0o755)


@pytest.fixture(scope="session")
def faults_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    (root / "data").mkdir()
    (root / "var").mkdir()
    _reachable_by_sandbox(root / "data")
    return root


@pytest.fixture(autouse=True)
def _isolated_data_root(settings, faults_root):
    """Replaces the suite's per-test DATA_ROOT: the processes read one for the session."""
    settings.DATA_ROOT = faults_root / "data"


def _queues_purge(client: redis.Redis) -> None:
    """The Celery queues of the broker's database (never the whole database): the shared
    ones and the workers' own (worker-direct, ``<hostname>.dq2``)."""
    for queue in ("sandbox", "celery"):
        client.delete(queue, *client.scan_iter(match=f"{queue}\x06\x16*"))
    for key in client.scan_iter(match="*@faults.dq2*"):
        client.delete(key)
    client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture(scope="package", autouse=True)
def _flush_tried_again_on_deadlock():
    """The processes keep using the test database while pytest-django empties it after
    each test (TRUNCATE): the two may deadlock, and PostgreSQL then cancels one of them.
    When it cancels the flush, the flush is tried again, as the processes try again."""
    from django.db import OperationalError
    from django.db.backends.base.operations import BaseDatabaseOperations

    flush = BaseDatabaseOperations.execute_sql_flush

    def tried_again(self, sql_list):
        for attempt in range(5):
            try:
                return flush(self, sql_list)
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", tried_again)
        yield


@pytest.fixture(scope="package")
def cluster(faults_root, django_db_setup, django_db_blocker):
    upstream = Upstream.of_broker(django_settings.CELERY_BROKER_URL)
    if upstream is None:
        pytest.skip("fault tests need a Redis broker (redis:// or redis+socket://)")
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    redis_upstream = upstream.client()
    # Messages left in the queues by an earlier run would run this run's jobs, and this
    # run's (a reconciler's, a check's) would reach the later tests' workers.
    _queues_purge(redis_upstream)

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "CELERY_", "DATABASE_", "SERVICES_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{PROXY_PORT}/{upstream.database}",
        SERVICES_REDIS_URL=upstream.client_url,
        VAR_DIR=str(faults_root / "var"),
        DATA_ROOT=str(faults_root / "data"),
        DEBUG="0",
        SECRET_KEY="fault-tests-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="0",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **{key: str(value) for key, value in INTERVALS.items()},
    )
    proxy = BrokerProxy(upstream, PROXY_PORT)
    proxy.start()
    celery = [str(VENV_BIN / "celery"), "--app=config"]
    cluster = Cluster(env=env, root=faults_root, proxy=proxy, redis_upstream=redis_upstream)
    cluster.add(
        "web",
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{WEB_PORT}",
            "--timeout=60",
            "--graceful-timeout=5",
            "--no-control-socket",  # not the shared ~/.gunicorn/gunicorn.ctl
        ],
        "",
    )
    cluster.add(
        "general",
        [
            *celery,
            "worker",
            "--queues=celery",
            "--concurrency=1",
            f"--hostname={GENERAL_HOSTNAME}",
            *WORKER_WITHOUT,
            "--loglevel=INFO",
        ],
        " ready.",
    )
    cluster.add(
        "sandbox",
        [
            *celery,
            "worker",
            "--queues=sandbox",
            "--concurrency=2",
            f"--hostname={SANDBOX_HOSTNAME}",
            *WORKER_WITHOUT,
            "--loglevel=INFO",
        ],
        " ready.",
    )
    cluster.add(
        "beat",
        [
            *celery,
            "beat",
            f"--schedule={faults_root / 'var' / 'beat-schedule'}",
            "--loglevel=INFO",
        ],
        "beat: Starting",
    )
    supervisor = threading.Thread(target=cluster.supervise, name="faults-supervisor")
    supervisor.daemon = True
    try:
        for name in cluster.processes:
            cluster.start(name, wait=False)
        for name in cluster.processes:
            cluster.wait_ready(name, timeout=90)
        supervisor.start()
        yield cluster
    finally:
        cluster.shutdown()
        supervisor.join(timeout=5)
        _queues_purge(redis_upstream)
        redis_upstream.close()


@pytest.fixture(autouse=True)
def _system_left_healthy(cluster, transactional_db):
    """Each test starts with every process up and ready and leaves the system so: whatever
    it stopped runs again, and no job of its own is left running when its data goes."""
    cluster.ensure_healthy()
    yield
    cluster.ensure_healthy()
    from django.utils import timezone

    from scenarios.models import Job, JobStatus

    Job.objects.filter(status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now(), reason="test ended"
    )
    Job.objects.filter(status=JobStatus.RUNNING).update(cancel_requested=True)
    deadline = time.monotonic() + 30
    while Job.objects.filter(status=JobStatus.RUNNING).exists() and time.monotonic() < deadline:
        time.sleep(0.5)


# --- Jobs through the API --------------------------------------------------------------------


@dataclass
class Developer:
    """A developer with an API token and an authorized scenario (a ready workspace)."""

    cluster: Cluster
    token: str
    scenario_id: int

    def submit(self, code: str, *, language: str = "python", timeout: float = 30):
        """(status, body) of submitting a job over HTTP."""
        return self.cluster.http(
            "POST",
            f"/api/v1/scenarios/{self.scenario_id}/jobs/",
            {"language": language, "code": code},
            token=self.token,
            timeout=timeout,
        )

    def job_id(self, code: str, *, language: str = "python") -> int:
        status, body = self.submit(code, language=language)
        assert status == 201, (status, body)
        return body["id"]


@pytest.fixture
def developer(cluster, tmp_path) -> Developer:
    from tests.factories import PASSWORD, authorized_scenario

    scenario, user = authorized_scenario(tmp_path)  # the workspace is built in this process
    status, body = cluster.http(
        "POST", "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
    )
    assert status == 200, (status, body)
    return Developer(cluster, body["token"], scenario.pk)


def job_wait(job_id: int, *, until, timeout: float, poll: float = 0.5):
    """The job once ``until(job)`` holds (or at the timeout, as it is then)."""
    from scenarios.models import Job

    deadline = time.monotonic() + timeout
    while True:
        job = Job.objects.get(pk=job_id)
        if until(job) or time.monotonic() >= deadline:
            return job
        time.sleep(poll)


def job_describe(job) -> str:
    return (
        f"job {job.pk}: {job.status}, attempts {job.attempts}, reason {job.reason!r}, "
        f"worker {job.worker!r}"
    )


# --- A job's own processes ---------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0], int(fields[19])


def _pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


@dataclass
class JobProcesses:
    """What a job's sandbox is made of, seen from the host: bubblewrap (its command line
    names the job's folder), everything below it, and every process in the pid namespaces
    it made (processes there that escaped the tree, if any)."""

    marker: str
    processes: set[tuple[int, int]] = field(default_factory=set)  # (pid, start time)
    namespaces: set[str] = field(default_factory=set)
    # Once the sandbox's supervisor is gone (clock ticks since boot): a process started later
    # in a namespace of the same number is another's (the kernel reuses a freed number).
    ended_at: int | None = None

    def end(self) -> None:
        """Mark now as the moment the sandbox could last have started a process."""
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        self.ended_at = int(uptime * os.sysconf("SC_CLK_TCK")) + 1

    def snapshot(self) -> None:
        table = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[1] != "Z":
                table[int(entry.name)] = stat
        roots = {pid for pid in table if self.marker in _cmdline(pid)}
        own = _pid_namespace(os.getpid())
        found, frontier = set(roots), set(roots)
        while frontier:
            frontier = {pid for pid, stat in table.items() if stat[0] in frontier} - found
            found |= frontier
        for pid in found:
            self.processes.add((pid, table[pid][2]))
            namespace = _pid_namespace(pid)
            if namespace and namespace != own:
                self.namespaces.add(namespace)

    def alive(self) -> list[str]:
        """The job's processes still alive (zombies hold nothing and are not counted)."""
        left = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            stat = _stat(pid)
            if stat is None or stat[1] == "Z":
                continue
            in_namespace = _pid_namespace(pid) in self.namespaces and (
                self.ended_at is None or stat[2] <= self.ended_at
            )
            if (pid, stat[2]) in self.processes or in_namespace or self.marker in _cmdline(pid):
                left.append(f"{pid} {_cmdline(pid)[:120]}")
        return left


def job_processes(job_id: int, *, timeout: float = 20) -> JobProcesses:
    """The sandbox of a running job, found once bubblewrap has started it."""
    marker = str(Path(django_settings.DATA_ROOT) / "jobs" / str(job_id)) + "/"
    found = JobProcesses(marker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found.snapshot()
        if found.namespaces or len(found.processes) >= 2:  # bubblewrap and the job
            return found
        time.sleep(0.2)
    return found
