"""Hostile sandboxed jobs: each fails safely, nothing leaks out, no process stays behind,
and the worker runs the next ordinary job as if nothing had happened."""

import contextlib
import datetime
import hashlib
import json
import os
import select
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from core.storage import data_path
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.limits import check_limits
from scenarios.models import Job, JobOutputKind, JobStatus
from scenarios.sandbox import cgroup, engine
from scenarios.services import jobs as svc
from scenarios.services.scenarios import scenario_apply
from scenarios.worker.warm import warm_pool_close, warm_pool_open, warm_waiting
from tests.factories import (
    admitted_developer,
    authorized_scenario,
    ran_warm,
    staff_user,
    warm_ahead,
)

pytestmark = [pytest.mark.django_db, pytest.mark.security]

# Small limits keep every hostile job short; the ordinary job runs within them easily.
# (DuckDB reserves about 0.8 GB of address space when it starts, pandas 0.3 GB more.)
SMALL = {
    "cpu_seconds": 2,
    "wall_seconds": 3,
    "memory_mb": 2048,
    "file_size_mb": 5,
    "tmp_mb": 16,
    "processes": 32,
    "open_files": 64,
}
ORDINARY = "SELECT count(*) AS n FROM hy_0001"
# Errors a refused file or socket operation raises inside the sandbox.
REFUSED = {"FileNotFoundError", "PermissionError", "NotADirectoryError", "OSError"}


@dataclass
class Started:
    """One job started by the engine, held so its processes can be told from any other
    sandbox's on the machine: an open descriptor on its pid namespace (which keeps the
    namespace, and so its inode number, from being reused) and a pidfd of bubblewrap."""

    namespace: int
    namespace_id: tuple[int, int]
    bwrap_pid: int
    bwrap: int


def _state(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


class JobProcesses:
    """The processes of the jobs the engine starts while this watches (and only theirs:
    another sandbox running beside the test is not counted). A killed job's first process
    may stay a zombie until the machine's init reaps it: it holds nothing, so zombies are
    not counted."""

    def __init__(self, monkeypatch):
        self.jobs: list[Started] = []
        self.groups: list[Path] = []  # the folders of the control groups made for them
        child_pid, create = engine._child_pid, cgroup.create

        def recording_child_pid(descriptor):
            pid = child_pid(descriptor)
            if pid is not None:
                self._record(pid)
            return pid

        def recording_create(name, **kwargs):
            group = create(name, **kwargs)
            if group is not None:
                self.groups += group.folders()
            return group

        monkeypatch.setattr(engine, "_child_pid", recording_child_pid)
        monkeypatch.setattr(cgroup, "create", recording_create)

    def _record(self, pid: int) -> None:
        """Called as the job starts: bubblewrap (its parent) cannot have been reaped yet."""
        namespace = os.open(f"/proc/{pid}/ns/pid", os.O_RDONLY)
        info = os.fstat(namespace)
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        parent = int(status["PPid"])
        self.jobs.append(
            Started(
                namespace=namespace,
                namespace_id=(info.st_dev, info.st_ino),
                bwrap_pid=parent,
                bwrap=os.pidfd_open(parent),
            )
        )

    def live(self) -> set[int]:
        """Live processes of the watched jobs: in a job's pid namespace or control group,
        or a job's bubblewrap; but a warm sandbox's waiting for its job."""
        waiting = {warm.pid for warm in warm_waiting()}
        jobs = [job for job in self.jobs if job.bwrap_pid not in waiting]
        namespaces = {job.namespace_id for job in jobs}
        found = set()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                info = os.stat(f"{entry.path}/ns/pid")
            except OSError:
                continue
            if (info.st_dev, info.st_ino) in namespaces and _state(entry.name) not in "ZX":
                found.add(int(entry.name))
        for job in jobs:
            ended = select.select([job.bwrap], [], [], 0)[0]
            if not ended and _state(str(job.bwrap_pid)) not in "ZX":
                found.add(job.bwrap_pid)
        for folder in self.groups_left():
            with contextlib.suppress(OSError):
                found |= {int(pid) for pid in (folder / "cgroup.procs").read_text().split()}
        return found

    def groups_left(self) -> list[Path]:
        waiting = {
            folder for warm in warm_waiting() if warm.group for folder in warm.group.folders()
        }
        return [folder for folder in self.groups if folder.exists() and folder not in waiting]

    def close(self) -> None:
        for job in self.jobs:
            os.close(job.namespace)
            os.close(job.bwrap)
        self.jobs = []


@pytest.fixture
def job_processes(monkeypatch):
    """Watches the jobs started during the test; at its end, none of their processes or
    control groups is left."""
    watch = JobProcesses(monkeypatch)
    try:
        yield watch
        assert_no_process_left(watch)
    finally:
        watch.close()


def assert_no_process_left(watch: JobProcesses, *, grace: float = 2.0) -> None:
    deadline = time.monotonic() + grace
    while (left := watch.live()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"sandbox processes left behind: {sorted(left)}"
    assert not watch.groups_left(), watch.groups_left()


def everything(job: Job) -> str:
    """All a job produced (its quarantined files and logs) and all it reports."""
    parts = [job.reason, job.error_class, str(job.error_line)]
    for output in job.outputs.all():
        parts.append(data_path(output.path).read_bytes().decode(errors="replace"))
    return "\n".join(parts)


def log(job: Job, kind: str) -> str:
    output = job.outputs.get(kind=kind)
    return data_path(output.path).read_text(errors="replace")


def files(job: Job) -> dict[str, str]:
    return {
        o.name: data_path(o.path).read_text(errors="replace")
        for o in job.outputs.filter(kind=JobOutputKind.FILE)
    }


@dataclass
class Sandbox:
    scenario: object
    developer: object
    capture: object
    watch: JobProcesses
    warm: bool = False  # each job takes a sandbox started ahead of it

    def ahead(self, *, language: str, limits: dict) -> None:
        """The job's limits set; in warm mode, its sandbox started (unless one waits)."""
        scenario_type = self.scenario.scenario_type
        scenario_type.sandbox_limits = check_limits({**SMALL, **limits})
        scenario_type.save(update_fields=["sandbox_limits"])
        if self.warm:
            assert warm_ahead(self.scenario, language).wait_ready(60)

    def submit(self, code: str, *, language: str, limits: dict) -> Job:
        self.ahead(language=language, limits=limits)
        with self.capture(execute=True):
            job = svc.job_submit(
                by=self.developer,
                scenario=self.scenario,
                language=language,
                code=code,
                dry_run=False,
            )
        job.refresh_from_db()
        assert job.finished, f"job {job.pk} is still {job.status}"
        assert ran_warm(job) == self.warm
        return job

    def hostile(self, code: str, *, language: str = "python", **limits) -> Job:
        """Run a hostile job, then prove the worker is unharmed: no process of the
        sandbox's user is left, and an ordinary job succeeds right after."""
        job = self.submit(code, language=language, limits=limits)
        self.no_process_left()
        self.ordinary()
        return job

    def no_process_left(self) -> None:
        """No process of any job this test started (another sandbox may run beside it)."""
        assert_no_process_left(self.watch)

    def ordinary(self) -> None:
        job = self.submit(ORDINARY, language="sql", limits={})
        assert job.status == JobStatus.SUCCEEDED, job.reason
        assert files(job)["result.csv"].splitlines() == ["n", "200"]


@pytest.fixture(params=["cold", "warm"])
def sandbox(request, tmp_path, django_capture_on_commit_callbacks, job_processes, settings):
    """Every job of the test started cold, or every one in a warm sandbox started ahead."""
    # The pool's own check runs in a thread, outside the test's transaction.
    settings.SANDBOX_WARM_CHECK_SECONDS = 3600
    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer = authorized_scenario(tmp_path)
    warm = request.param == "warm"
    if warm:
        warm_pool_open("tests@localhost")
        request.addfinalizer(warm_pool_close)  # before job_processes looks for leftovers
    return Sandbox(scenario, developer, django_capture_on_commit_callbacks, job_processes, warm)


def another_scenario(scenario_type):
    """Another organization's authorized scenario (its own workspace) under the same type."""
    _org, developer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    today = datetime.date.today()
    return scenario_apply(
        by=developer,
        scenario_type=scenario_type,
        name="船舶保险定价",
        purpose="保费研究",
        responsible_person="赵六",
        period_start=today,
        period_end=today + datetime.timedelta(days=30),
        scope={"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]},
        agreement_sha256=AGREEMENT_SHA256,
    )


def workspace_file(scenario) -> Path:
    workspace = scenario.workspaces.get()
    return data_path(workspace.path) / workspace.manifest["tables"]["HY-0001"]["file"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- Files outside the workspace ---------------------------------------------------------


def test_files_outside_the_workspace_cannot_be_read(sandbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        other = another_scenario(sandbox.scenario.scenario_type)
    other_file = workspace_file(other)
    assert other_file.parent.parent.name == str(other.pk)  # DATA_ROOT/workspaces/<id>/v1
    own = workspace_file(sandbox.scenario)
    catalogs = [p for p in data_path("").rglob("*.parquet") if "workspaces" not in p.parts]
    base = Path(django_settings.BASE_DIR)
    targets = [
        Path("/etc/passwd"),
        base / "manage.py",
        base / "config" / "settings.py",
        Path(django_settings.DATA_ROOT),
        catalogs[0],
        other_file,
        other_file.parent,
        own,  # its own workspace file, but by its path on the worker
    ]
    for target in targets:
        assert target.exists(), target  # each is there on the worker: the test can fail
    # The host name, the secret key file and the embedded database, where present here.
    optional = [Path("/etc/hostname"), base / "var" / "secret_key", base / "var" / "db.sqlite3"]
    relative = f"/workspace/../../{other.pk}/v1/{other_file.name}"
    for target in [*targets, *(p for p in optional if p.exists()), relative]:
        code = (
            "import os\n"
            f"path = {str(target)!r}\n"
            "print(os.listdir(path) if os.path.isdir(path) else open(path, 'rb').read())\n"
        )
        job = sandbox.hostile(code)
        assert job.status == JobStatus.FAILED, (target, job.reason)
        assert job.error_class in REFUSED, (target, job.error_class)
        assert job.error_line == 3
        assert log(job, JobOutputKind.STDOUT) == ""  # not a byte of it came out


def test_the_workers_environment_does_not_reach_the_job(sandbox, monkeypatch):
    secret = "sandbox-test-secret-7f3c9a"
    monkeypatch.setenv("SANDBOX_TEST_SECRET", secret)
    assert os.environ.get("DJANGO_SETTINGS_MODULE")  # the worker has it
    code = (
        "import json, os\n"
        "seen = {'environ': dict(os.environ), 'pids': sorted(p for p in os.listdir('/proc')"
        " if p.isdigit())}\n"
        "for pid in seen['pids']:\n"
        "    for name in ('environ', 'cmdline'):\n"
        "        seen[pid + name] = open(f'/proc/{pid}/{name}', 'rb').read().decode()\n"
        "print(json.dumps(seen))\n"
        "open('/output/seen.json', 'w').write(json.dumps(seen))\n"
    )
    job = sandbox.hostile(code)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    seen = json.loads(log(job, JobOutputKind.STDOUT))
    assert seen["pids"] == ["1"]  # no process of the worker is even visible
    assert set(seen["environ"]) <= {
        "PATH", "HOME", "LANG", "MPLBACKEND", "MPLCONFIGDIR", "PYTHONDONTWRITEBYTECODE",
        "PYTHONNOUSERSITE", "PYTHONHASHSEED", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS", "PWD", "LC_CTYPE",
    }  # fmt: skip
    produced = everything(job)
    assert "seen.json" in files(job)
    for leaked in (
        secret,
        "SANDBOX_TEST_SECRET",
        "DJANGO_SETTINGS_MODULE",
        "SECRET_KEY",
        "DATABASE_URL",
        django_settings.SECRET_KEY,
        str(django_settings.BASE_DIR / "manage.py"),
    ):
        assert leaked not in produced, leaked


# --- Network ---------------------------------------------------------------------------


def test_no_network_not_even_the_workers_loopback(sandbox):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    # An abstract Unix socket belongs to the network namespace: reachable only if shared.
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0sandbox-test-{os.getpid()}")
    abstract.listen()
    abstract.setblocking(False)
    targets = [
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2)",  # listening now
        "socket.create_connection(('127.0.0.1', 6379), timeout=2)",  # Redis
        "socket.create_connection(('127.0.0.1', 5432), timeout=2)",  # PostgreSQL
        "socket.create_connection(('1.1.1.1', 80), timeout=2)",
        f"socket.socket(socket.AF_UNIX).connect({abstract.getsockname()!r})",
        "socket.socket(socket.AF_UNIX).connect('/var/run/postgresql/.s.PGSQL.5432')",
    ]
    try:
        for target in targets:
            job = sandbox.hostile(f"import socket\n{target}\nprint('connected')\n")
            assert job.status == JobStatus.FAILED, (target, job.reason)
            assert job.error_class in {
                "ConnectionRefusedError", "FileNotFoundError", "OSError", "TimeoutError"
            }, (target, job.error_class)  # fmt: skip
            assert job.error_line == 2
            assert job.error_class in log(job, JobOutputKind.STDERR)
            assert "connected" not in log(job, JobOutputKind.STDOUT)
        for server in (listener, abstract):
            with pytest.raises(BlockingIOError):
                server.accept()  # nothing ever reached the worker
    finally:
        listener.close()
        abstract.close()


# --- Processes, memory, CPU, time ------------------------------------------------------


def test_a_fork_bomb_is_held_at_the_process_limit_and_stopped(sandbox):
    code = (
        "import os, time\n"
        "while True:\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            while True:\n"
        "                try:\n"
        "                    os.fork()\n"
        "                except OSError:\n"
        "                    pass\n"
        "    except OSError:\n"
        "        pass\n"
        "    print('processes', sum(p.isdigit() for p in os.listdir('/proc')), flush=True)\n"
        "    time.sleep(0.05)\n"
    )
    job = sandbox.hostile(code, wall_seconds=1)
    assert job.status == JobStatus.TIMED_OUT, job.reason
    counts = [int(line.split()[1]) for line in log(job, JobOutputKind.STDOUT).splitlines()]
    assert counts and max(counts) <= SMALL["processes"]


FORK_BOMB = (
    "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
)


def test_a_fork_bomb_does_not_keep_other_jobs_of_the_machine_from_running(sandbox, tmp_path):
    """Every job runs as the same user: its process limit must count its own processes."""
    bomb = engine.RunSpec(
        language="python",
        code=FORK_BOMB,
        workspace=workspace_file(sandbox.scenario).parent,
        tables={},
        folder=tmp_path / "bomb",
        limits={**SMALL, "wall_seconds": 6},  # outlives the ordinary job on a busy machine
        python=django_settings.SANDBOX_PYTHON,
        sandbox_uid=django_settings.SANDBOX_UID,
    )
    results = []
    sandbox.ahead(language="sql", limits={})  # the ordinary job's sandbox, in warm mode
    running = threading.Thread(
        target=lambda: results.append(engine.run(bomb, should_stop=lambda: False))
    )
    running.start()
    try:
        deadline = time.monotonic() + 2
        while len(sandbox.watch.live()) < SMALL["processes"] // 2:
            assert time.monotonic() < deadline, "the bomb did not start"
            time.sleep(0.05)
        time.sleep(0.2)  # at its limit now (threads count too)
        sandbox.ordinary()  # another job, while the bomb holds all the processes it may
        assert running.is_alive()  # the bomb was still at it meanwhile
    finally:
        running.join()
    assert results[0].outcome == "timed_out"
    sandbox.no_process_left()


def test_a_process_that_daemonizes_dies_with_the_job(sandbox):
    code = (
        "import os, signal, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
        "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "print('detached')\n"
    )
    job = sandbox.hostile(code)  # no process left behind (checked by hostile)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert job.wall_seconds < 3


def test_a_memory_bomb_is_killed_at_the_memory_limit(sandbox):
    code = (
        "print('started', flush=True)\n"
        "blocks = []\n"
        "while True:\n"
        "    blocks.append(bytearray(b'x') * (64 * 1024 * 1024))\n"
    )
    job = sandbox.hostile(code, cpu_seconds=20, wall_seconds=30)  # slow on a loaded machine
    assert log(job, JobOutputKind.STDOUT) == "started\n"  # the bomb itself met the limit
    assert job.status == JobStatus.KILLED
    assert job.reason == "Stopped at the memory limit of 2048 MB."
    assert 1024 * 1024**2 < job.peak_memory_bytes <= 2048 * 1024**2


# RLIMIT_AS bounds each process's address space, not the job: the job as a whole is held
# by its control group, which the worker makes where it can (CI's can).
CGROUP_NEEDED = pytest.mark.skipif(
    not cgroup.available(),
    reason="this worker cannot make control groups (root on cgroup v1, or SANDBOX_CGROUP_ROOT)",
)


@CGROUP_NEEDED
def test_memory_spread_over_processes_is_held_at_the_memory_limit(sandbox):
    code = (
        "import os, time\n"
        "print('started', flush=True)\n"
        "for i in range(4):\n"
        "    if os.fork() == 0:\n"
        "        block = bytearray(b'x') * (800 * 1024 * 1024)\n"
        "        time.sleep(0.5)\n"
        "        os._exit(0)\n"
        "for i in range(4):\n"
        "    os.wait()\n"
    )
    job = sandbox.hostile(code, cpu_seconds=20, wall_seconds=30)  # 3.2 GB at once, limit 2 GB
    assert log(job, JobOutputKind.STDOUT) == "started\n"
    assert (job.status, job.reason) == ("killed", "Stopped at the memory limit of 2048 MB.")


@CGROUP_NEEDED
def test_memory_in_memfd_files_is_held_at_the_memory_limit(sandbox):
    code = (
        "import os\n"
        "print('started', flush=True)\n"
        "held = []\n"
        "for i in range(40):\n"
        "    held.append(os.memfd_create('x'))\n"
        "    os.write(held[-1], b'x' * 64 * 1024 * 1024)\n"
    )
    # 2.5 GB outside the address space; writing it takes seconds on a loaded machine.
    job = sandbox.hostile(code, file_size_mb=64, cpu_seconds=20, wall_seconds=30)
    assert log(job, JobOutputKind.STDOUT) == "started\n"
    assert (job.status, job.reason) == ("killed", "Stopped at the memory limit of 2048 MB.")


def test_a_cpu_spin_is_killed_at_the_cpu_limit(sandbox):
    job = sandbox.hostile("while True:\n    pass\n", cpu_seconds=1, wall_seconds=10)
    assert job.status == JobStatus.KILLED, job.reason
    assert job.reason == "Stopped at the CPU time limit."
    assert 1 <= job.cpu_seconds < 4 and job.wall_seconds < 6


def test_a_sleep_past_the_wall_clock_is_timed_out(sandbox):
    job = sandbox.hostile("import time\ntime.sleep(60)\n", wall_seconds=1)
    assert job.status == JobStatus.TIMED_OUT
    assert job.reason == "Stopped at the wall-clock limit of 1 s."
    assert job.wall_seconds < 3


# --- Disk ----------------------------------------------------------------------------


def test_filling_the_output_folder_is_stopped_at_the_output_cap(sandbox, settings):
    """The watch polls the folder every tick: the job writes at a pace its polls follow
    (at disk speed one tick's writing alone may pass the bound below, as CI once saw:
    148 MiB), so the overshoot measured is the watch's, a few ticks of 20 MiB."""
    settings.SANDBOX_MAX_OUTPUT_BYTES = 20 * 1024 * 1024
    code = (
        "import time\n"
        "written = 0\n"
        "for i in range(1000):\n"
        "    with open(f'/output/fill{i}.bin', 'wb') as f:\n"
        "        f.write(b'x' * 4 * 1024 * 1024)\n"
        "    written += 4 * 1024 * 1024\n"
        "    print(written, flush=True)\n"
        "    time.sleep(0.01)\n"
    )
    job = sandbox.hostile(code, wall_seconds=10)
    assert job.status == JobStatus.KILLED
    assert "output folder grew past" in job.reason
    assert not files(job)  # nothing of it kept
    written = int(log(job, JobOutputKind.STDOUT).split()[-1])
    assert written <= 120 * 1024 * 1024  # stopped within a few ticks of the cap
    assert not data_path(f"jobs/{job.pk}").exists()  # the worker's copy is removed


def test_too_many_files_in_the_output_folder_are_stopped_at_the_entry_limit(sandbox):
    """Empty files and folders take no bytes: the reason names the limit that tripped. The
    job has CPU to spare (10,000 entries cost more than the small 2 s on a loaded machine),
    so the entry limit is the one it meets."""
    code = (
        "import os\n"
        "for i in range(1000):\n"
        "    os.mkdir(f'/output/d{i}')\n"
        "    for j in range(100):\n"
        "        open(f'/output/d{i}/f{j}', 'w').close()\n"
        "    print(i, flush=True)\n"
    )
    job = sandbox.hostile(code, wall_seconds=20, cpu_seconds=15)
    assert job.status == JobStatus.KILLED, job.reason
    assert job.reason == (
        f"The output folder grew past {engine.MAX_OUTPUT_ENTRIES} files and folders "
        "(sub-folders included)."
    )
    assert not files(job)
    assert int(log(job, JobOutputKind.STDOUT).split()[-1]) < 999  # stopped early


def test_one_file_past_the_file_size_limit_is_killed(sandbox):
    code = "open('/output/big.bin', 'wb').write(b'x' * 6 * 1024 * 1024)\n"
    job = sandbox.hostile(code)
    assert job.status == JobStatus.KILLED
    assert job.reason == "Stopped at the file size limit of 5 MB."
    assert not files(job)


HIDDEN = {
    # Written, then deleted while kept open.
    "unlinked": (
        "f = open(f'/output/hidden{i}', 'wb')\n"
        "    f.write(block)\n"
        "    f.flush()\n"
        "    os.unlink(f'/output/hidden{i}')\n"
    ),
    # Never named at all.
    "tmpfile": (
        "f = os.fdopen(os.open('/output', os.O_TMPFILE | os.O_WRONLY), 'wb')\n"
        "    f.write(block)\n"
        "    f.flush()\n"
    ),
    # Mapped, closed and deleted: only the mapping holds it (mmap.mmap would keep a
    # descriptor of its own, so the C library's mmap is called directly).
    "mapped": (
        "fd = os.open(f'/output/hidden{i}', os.O_RDWR | os.O_CREAT)\n"
        "    os.write(fd, block)\n"
        "    f = libc.mmap(None, len(block), mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)\n"
        "    os.close(fd)\n"
        "    os.unlink(f'/output/hidden{i}')\n"
    ),
}


@pytest.mark.parametrize(
    "trick",
    [
        "unlinked",
        "tmpfile",
        pytest.param(
            "mapped",
            marks=pytest.mark.skipif(
                os.geteuid() != 0, reason="only a root worker sees a job's mappings"
            ),
        ),
    ],
)
def test_files_hidden_from_the_output_folder_count_against_its_cap(sandbox, settings, trick):
    """A file deleted while still open (or mapped), or never named, holds its disk space
    yet is in no folder."""
    settings.SANDBOX_MAX_OUTPUT_BYTES = 20 * 1024 * 1024
    code = (
        "import ctypes, mmap, os, time\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.mmap.restype = ctypes.c_void_p\n"
        "libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, *[ctypes.c_int] * 3,"
        " ctypes.c_long]\n"
        "block, held, written = b'x' * 4 * 1024 * 1024, [], 0\n"
        "for i in range(50):\n"
        f"    {HIDDEN[trick]}"
        "    held.append(f)\n"
        "    written += len(block)\n"
        "    print(written, flush=True)\n"
        "    time.sleep(0.05)\n"  # a pace the watch's polls can follow on a busy machine
        "time.sleep(2)\n"
    )
    job = sandbox.hostile(code, wall_seconds=10)
    assert job.status == JobStatus.KILLED, (job.reason, log(job, JobOutputKind.STDERR))
    assert "output folder grew past" in job.reason
    written = int(log(job, JobOutputKind.STDOUT).split()[-1])
    assert written <= 120 * 1024 * 1024


@pytest.mark.parametrize("folder", ["/tmp", "/dev/shm"])
def test_filling_tmp_fails_at_its_size(sandbox, folder):
    code = (
        "import os\n"
        "for i in range(1000):\n"
        f"    with open('{folder}/fill' + str(i), 'wb') as f:\n"
        "        f.write(b'x' * 1024 * 1024)\n"
    )
    job = sandbox.hostile(code)
    assert job.status == JobStatus.FAILED, job.reason
    assert job.error_class == "OSError" and job.error_line == 4
    assert "No space left on device" in log(job, JobOutputKind.STDERR)


def test_the_workspace_and_the_system_are_read_only(sandbox):
    own = workspace_file(sandbox.scenario)
    before = sha256(own)
    for statement in [
        "open('/workspace/HY-0001.parquet', 'r+b').write(b'PAR2')",
        "open('/workspace/extra.csv', 'w').write('x')",
        "import os; os.remove('/workspace/HY-0001.parquet')",
        "import os; os.rename('/workspace/HY-0001.parquet', '/output/moved.parquet')",
        "open('/job/runner.py', 'w').write('')",
        "open('/usr/evil', 'w').write('')",
        "open('/evil', 'w').write('')",
    ]:
        job = sandbox.hostile(statement + "\n")
        assert job.status == JobStatus.FAILED, (statement, job.reason)
        assert job.error_class in REFUSED, (statement, job.error_class)
        assert not files(job)
    assert sha256(own) == before
    assert sorted(p.name for p in own.parent.iterdir()) == ["HY-0001.parquet", "manifest.json"]


# --- Links and special files in the output folder ------------------------------------


def test_links_folders_and_fifos_in_the_output_folder_are_not_collected(sandbox):
    own = workspace_file(sandbox.scenario)
    code = (
        "import os\n"
        "os.symlink('/etc/passwd', '/output/passwd.txt')\n"
        f"os.symlink({str(own)!r}, '/output/workspace.parquet')\n"
        "os.symlink('/workspace/HY-0001.parquet', '/output/inside.parquet')\n"
        "try:\n"
        "    os.link('/workspace/HY-0001.parquet', '/output/hard.parquet')\n"
        "except OSError as exc:\n"
        "    print('hard link refused', type(exc).__name__)\n"
        "open('/output/twice.csv', 'w').write('a\\n')\n"
        "os.link('/output/twice.csv', '/output/twice-again.csv')\n"
        "os.mkdir('/output/sub')\n"
        "open('/output/sub/inner.csv', 'w').write('b\\n')\n"
        "os.mkfifo('/output/pipe.csv')\n"
        "open('/output/stdout.txt', 'w').write('forged log\\n')\n"
        "open('/output/good.csv', 'w').write('c\\n')\n"
        "print('real log')\n"
    )
    job = sandbox.hostile(code)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    # A file that would take a reserved name is renamed like any undeclared one.
    assert files(job) == {"good.csv": "c\n", "output-1.txt": "forged log\n"}
    assert log(job, JobOutputKind.STDOUT).splitlines() == [
        "hard link refused OSError",
        "real log",
    ]
    assert "root:" not in everything(job)


# --- DuckDB escapes in SQL jobs --------------------------------------------------------


def test_sql_jobs_cannot_reach_files_extensions_or_settings(sandbox):
    outside = data_path("escape.csv")
    other_workspace = Path(django_settings.DATA_ROOT) / "workspaces"
    statements = [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/job/spec.json')",  # present in the sandbox
        "SELECT * FROM read_text('/workspace/../job/spec.json')",
        "SELECT * FROM read_blob('/proc/self/environ')",
        f"SELECT * FROM read_parquet('{other_workspace}/*/v1/*.parquet')",  # noqa: S608
        "SELECT * FROM glob('/*')",
        "ATTACH '/tmp/evil.duckdb' AS evil",
        "INSTALL httpfs",
        "LOAD httpfs",
        "LOAD '/tmp/evil.duckdb_extension'",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET lock_configuration = false",
        "RESET allowed_directories",
        "COPY (SELECT 1 AS x) TO '/tmp/escape.csv'",
        "COPY (SELECT 1 AS x) TO '/job/status.json' (FORMAT json)",
        "COPY (SELECT 1 AS x) TO '/output/../job/escape.csv'",
        f"COPY (SELECT * FROM hy_0001) TO '{outside}'",  # noqa: S608
        "COPY (SELECT * FROM hy_0001) TO '/workspace/escape.csv'",
        "EXPORT DATABASE '/tmp/export'",
    ]
    for statement in statements:
        job = sandbox.hostile(f"SELECT 1 AS one;\n{statement};\n", language="sql")
        assert job.status == JobStatus.FAILED, (statement, job.reason)
        refused = {"PermissionException", "InvalidInputException"}
        if "/workspace/" in statement and "COPY" in statement:
            # DuckDB may write in its allowed folders; the read-only mount refuses.
            refused.add("IOException")
        assert job.error_class in refused, (statement, job.error_class)
        assert job.error_line == 2
        assert not files(job)
    assert not outside.exists()
    assert sorted(p.name for p in workspace_file(sandbox.scenario).parent.iterdir()) == [
        "HY-0001.parquet",
        "manifest.json",
    ]


# --- Errors that would carry data --------------------------------------------------------


def test_a_cast_error_names_its_class_and_line_never_the_value(sandbox, client):
    code = "SELECT 1 AS one;\n\nSELECT CAST(berth AS INTEGER) AS n FROM hy_0001;\n"
    job = sandbox.hostile(code, language="sql")
    assert "海天" in log(job, JobOutputKind.STDERR)  # DuckDB quoted it (kept in quarantine)
    client.force_login(sandbox.developer)
    body = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["status"] == "failed"
    assert body["error_class"] == "ConversionException" and body["error_line"] == 3
    assert body["reason"] == "ConversionException at line 3."
    assert body["logs"] is None
    assert "海天" not in json.dumps(body, ensure_ascii=False)
    assert "泊位" not in json.dumps(body, ensure_ascii=False)


def test_an_exception_class_made_up_from_data_is_reported_as_error(sandbox):
    code = (
        "import workspace\n"
        "value = workspace.table('HY-0001')['berth'].iloc[0]\n"
        "Leak = type(value, (Exception,), {})\n"
        "raise Leak(value)\n"
    )
    job = sandbox.hostile(code)
    assert job.status == JobStatus.FAILED
    assert job.error_class == "Error" and job.error_line == 4, log(job, JobOutputKind.STDERR)
    assert job.reason == "Error at line 4."
    assert "海天" in log(job, JobOutputKind.STDERR)  # the trace stays in quarantine
    # A value in a known exception's message stays out of the report too.
    job = sandbox.hostile(
        code.replace("Leak = type(value, (Exception,), {})\n", "Leak = ValueError\n")
    )
    assert (job.error_class, job.reason) == ("ValueError", "ValueError at line 4.")


def test_a_forged_status_report_is_bounded(sandbox):
    code = (
        "import json, os, workspace\n"
        "value = workspace.table('HY-0001')['berth'].iloc[0]\n"
        "report = {'ok': False, 'error_class': value, 'line': 412000001}\n"
        "open('/job/status.json', 'w').write(json.dumps(report))\n"
        "os._exit(1)\n"
    )
    job = sandbox.hostile(code)
    assert job.status == JobStatus.FAILED
    assert (job.error_class, job.error_line, job.reason) == ("Error", None, "Error.")


EXIT_FROM_DATA = (
    "import os, workspace\n"
    "os._exit(100 + len(workspace.table('HY-0001')) % 100)\n"  # 200 rows: status 100
)


def test_numbers_a_job_chooses_never_reach_its_reason(sandbox, settings):
    """The exit status of a job that ends without a report, and how many files it wrote
    past the limit, are numbers the job chooses (from the data, maybe): never said back."""
    job = sandbox.hostile(EXIT_FROM_DATA)
    assert (job.status, job.reason) == (JobStatus.FAILED, "The job ended without a report.")
    settings.SANDBOX_MAX_OUTPUT_FILES = 3
    many = (
        "import workspace\nfor i in range(17):\n    (workspace.OUTPUT / f'f{i}').write_text('x')\n"
    )
    job = sandbox.hostile(many)
    assert (job.status, job.reason) == (
        JobStatus.FAILED,
        "The job wrote more than 3 files, the most kept.",
    )
