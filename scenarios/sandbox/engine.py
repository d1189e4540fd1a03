"""Running one job's process in bubblewrap, on the worker, with limits and a wall clock.

Django-free: the task hands in paths and limits and receives a ``RunResult``. Only regular
files directly in the output folder come back (see ``collect``)."""

import contextlib
import json
import logging
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from scenarios.jobreasons import KNOWN_ERRORS, Reason, say
from scenarios.sandbox import cgroup
from scenarios.sandbox.orphans import supervisor_mark

logger = logging.getLogger(__name__)
RUNNER = Path(__file__).with_name("runner.py")
# Paths inside the sandbox.
WORKSPACE, OUTPUT, JOB, TMP, SHM = "/workspace", "/output", "/job", "/tmp", "/dev/shm"  # noqa: S108
TICK_SECONDS = 0.05
EXIT_MEMORY = 3
# How long the end of a supervision waits for a killed job's processes to be gone.
REAP_SECONDS = 10.0


class SandboxUnavailable(Exception):
    """bubblewrap is missing on this worker (and insecure development mode is off)."""


@dataclass
class RunSpec:
    language: str
    code: str
    workspace: Path  # the workspace folder (read-only in the sandbox)
    tables: dict[str, str]  # catalog code -> file name in the workspace
    folder: Path  # the job's own working folder on the worker
    limits: dict
    python: str
    sandbox_uid: int
    insecure: bool = False
    max_output_bytes: int = 512 * 1024**2
    cgroups: str = "auto"  # auto | required | off
    cgroup_root: str = ""  # a delegated cgroup v2 group (v1 is found on its own)


@dataclass
class RunResult:
    outcome: str  # succeeded | failed | timed_out | killed | cancelled
    reason: Reason | None = None
    error_class: str = ""
    error_line: int | None = None
    cpu_seconds: float = 0.0
    peak_memory_bytes: int = 0
    wall_seconds: float = 0.0
    details: dict = field(default_factory=dict)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _python_mounts(python: str) -> list[str]:
    """The sandbox's virtual environment, and its base Python when outside /usr."""
    venv = Path(python).parent.parent
    args = ["--ro-bind", str(venv), str(venv)]
    config = venv / "pyvenv.cfg"
    if config.exists():
        for line in config.read_text().splitlines():
            key, _sep, value = line.partition("=")
            if key.strip() == "home":
                prefix = Path(value.strip()).resolve().parent
                if not str(prefix).startswith("/usr"):
                    args += ["--ro-bind", str(prefix), str(prefix)]
    return args


def _environment(tmp: str) -> dict[str, str]:
    single = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": tmp,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": tmp,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",
        **single,
    }


def _bwrap_command(
    spec: RunSpec, runner: str, spec_file: str, info_fd: int, ready_fd: int | None = None
) -> list[str]:
    """``ready_fd``: a warm sandbox's runner reports on it that its runtime is loaded, then
    waits on its standard input for the job (see ``warm_start``)."""
    limits = spec.limits
    warm = [] if ready_fd is None else ["--warm", str(ready_fd)]
    environment = []
    for key, value in _environment(TMP).items():
        environment += ["--setenv", key, value]
    return [
        bwrap_path(),
        *_system_mounts(),
        "--proc", "/proc",
        "--dev", "/dev",
        # Every writable place is bounded: size-limited tmpfs for /tmp and /dev/shm, the
        # output folder watched by the worker, the status file capped by RLIMIT_FSIZE;
        # the root and /dev are remounted read-only once everything is in place.
        "--size", str(min(limits["tmp_mb"], 64) * 1024 * 1024),
        "--tmpfs", SHM,
        "--size", str(limits["tmp_mb"] * 1024 * 1024),
        "--tmpfs", TMP,
        # After /tmp: a project (and its sandbox Python) may live under /tmp.
        *_python_mounts(spec.python),
        "--ro-bind", str(spec.workspace), WORKSPACE,
        "--bind", str(spec.folder / "output"), OUTPUT,
        "--bind", str(spec.folder / "status.json"), f"{JOB}/status.json",
        "--ro-bind", str(spec.folder / "spec.json"), f"{JOB}/spec.json",
        "--ro-bind", str(spec.folder / "code.txt"), f"{JOB}/code.txt",
        "--ro-bind", runner, f"{JOB}/runner.py",
        "--ro-bind-try", "/etc/fonts", "/etc/fonts",
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--chdir", OUTPUT,
        "--unshare-all",
        "--unshare-user",
        # No nested user namespace: nothing inside can gain capabilities of its own.
        "--disable-userns",
        # The job is the namespace's first process, so its CPU time reaches this worker.
        "--as-pid-1",
        "--hostname", "sandbox",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        "--info-fd", str(info_fd),
        "--clearenv",
        *environment,
        spec.python, "-I", f"{JOB}/runner.py", *warm, spec_file,
    ]  # fmt: skip


def _count_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` (what RLIMIT_NPROC counts)."""
    total = 0
    for path in _process_folders():
        try:
            status = Path(path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total


def _preexec(
    limits: dict, drop_to: int | None, processes: int | None, group, cpu_allowance: int = 0
):
    memory = limits["memory_mb"] * 1024 * 1024
    file_size = limits["file_size_mb"] * 1024 * 1024

    def apply() -> None:
        if group is not None:
            group.enter()  # before privileges are dropped
        # A warm sandbox's runner lowers it to the job's own once the job arrives.
        cpu = limits["cpu_seconds"] + cpu_allowance
        # The job is its namespace's pid 1, which ignores SIGXCPU: the hard limit kills.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if drop_to is not None:
            os.setgroups([])
            os.setgid(drop_to)
            os.setuid(drop_to)
        if processes is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))

    return apply


def _prepare_folder(spec: RunSpec, drop_to: int | None) -> Path:
    """The job's folder: the writable output folder and status file, and the (still
    empty) spec and code, bound read-only into the sandbox. Returns the status file."""
    output, status = spec.folder / "output", spec.folder / "status.json"
    output.mkdir(parents=True, exist_ok=True)
    status.touch()
    for path, mode in ((output, 0o700), (status, 0o600)):
        if drop_to is not None:
            os.chown(path, drop_to, drop_to)
        path.chmod(mode)
    spec.folder.chmod(0o755)
    for name in ("spec.json", "code.txt"):
        (spec.folder / name).touch(mode=0o444)
    if spec.insecure:
        (spec.folder / "tmp").mkdir(exist_ok=True)
    return status


def _write_job(spec: RunSpec) -> dict:
    """The job's spec and code, written in place (a warm sandbox has them bound already:
    the same files, so the same inodes)."""
    inside = not spec.insecure
    memory_mb = spec.limits["memory_mb"]
    document = {
        "language": spec.language,
        "tables": spec.tables,
        "workspace": WORKSPACE if inside else str(spec.workspace),
        "output": OUTPUT if inside else str(spec.folder / "output"),
        "status": f"{JOB}/status.json" if inside else str(spec.folder / "status.json"),
        "code": f"{JOB}/code.txt" if inside else str(spec.folder / "code.txt"),
        "tmp": TMP if inside else str(spec.folder / "tmp"),
        # DuckDB stays well inside the address-space limit (Python and libraries need room).
        "duckdb_memory": f"{max(memory_mb // 2, 128)}MB",
        "threads": 2,
        # Set by the runner inside the sandbox, before the job's code (see ``run``).
        "processes": spec.limits["processes"] if inside else None,
        # A warm sandbox's runner limits the job's own CPU time from its arrival.
        "cpu_seconds": spec.limits["cpu_seconds"],
    }
    for name, text in (("spec.json", json.dumps(document)), ("code.txt", spec.code)):
        path = spec.folder / name
        path.chmod(0o600)
        with open(path, "w") as handle:  # truncated in place, never replaced
            handle.write(text)
        path.chmod(0o444)
    return document


MAX_OUTPUT_ENTRIES = 10_000


def _output_bytes(folder: Path) -> tuple[int, int]:
    """Bytes and entries under the output folder, sub-folders included (a job must not
    fill the disk through one), counting at most MAX_OUTPUT_ENTRIES + 1 entries."""
    total = count = 0
    pending = [folder]
    while pending and count <= MAX_OUTPUT_ENTRIES:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    count += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_size
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(Path(entry.path))
        except OSError:
            continue
    return total, count


def _process_folders(attempts: int = 3) -> list[str]:
    """/proc/<pid> of every process. Reading /proc can fail while processes come and go by
    the thousand (a fork bomb in another job): tried again, and an empty list after that
    (this poll counts nothing; the next one reads again)."""
    for _attempt in range(attempts):
        try:
            with os.scandir("/proc") as listing:
                return [entry.path for entry in listing if entry.name.isdigit()]
        except OSError:
            continue
    return []


def _held_bytes(job_pid: int | None, device: int) -> int:
    """Bytes of files on the output folder's disk that the job's processes hold open (or
    mapped) after deleting them, or made unnamed (O_TMPFILE): they are in no folder, so
    ``_output_bytes`` misses them, yet they fill the disk until the job ends. The job's
    processes are those in its pid namespace; None (insecure mode) counts nothing."""
    if job_pid is None:
        return 0
    try:
        namespace = os.stat(f"/proc/{job_pid}/ns/pid")
    except OSError:
        return 0
    seen: set[int] = set()
    total = 0
    for path in _process_folders():
        try:
            here = os.stat(f"{path}/ns/pid")
            if (here.st_dev, here.st_ino) != (namespace.st_dev, namespace.st_ino):
                continue
            # Open descriptors; mappings (map_files needs CAP_SYS_ADMIN: skipped without).
            descriptors = f"{path}/fd"
            links = [f"{descriptors}/{name}" for name in os.listdir(descriptors)]
            with contextlib.suppress(OSError):
                mapped = f"{path}/map_files"
                links += [f"{mapped}/{name}" for name in os.listdir(mapped)]
        except OSError:
            continue
        for link in links:
            try:
                info = os.stat(link)
            except OSError:
                continue
            if (
                info.st_dev == device
                and info.st_nlink == 0
                and stat.S_ISREG(info.st_mode)
                and info.st_ino not in seen
            ):
                seen.add(info.st_ino)
                total += info.st_size
    return total


def run(spec: RunSpec, *, should_stop: Callable[[], bool], warm=None) -> RunResult:
    """Run the job to its end or to a limit; ``should_stop`` is polled (cancellation).

    ``warm``: a sandbox started ahead for this spec (``warm_start``; its folder is the
    job's, ``spec.folder``), used once whatever happens; one that cannot take the job (its
    runner died, or did not get ready in time) is discarded and the job runs cold."""
    if warm is not None:
        if warm.folder != spec.folder or warm.key != warm_key(spec):
            warm.discard()
            raise ValueError("a warm sandbox runs only the spec it was started for")
        if warm.wait_ready(WARM_READY_SECONDS):
            return _run_warm(spec, should_stop, warm)
        logger.warning("a warm sandbox was not ready; the job starts cold")
        warm.discard()
        shutil.rmtree(spec.folder, ignore_errors=True)
        spec.folder.mkdir(parents=True)
    if not spec.insecure and bwrap_path() is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed on this worker")
    drop_to = _drop_to(spec)
    status_file = _prepare_folder(spec, drop_to)
    _write_job(spec)
    group = _group(spec)
    try:
        return _run(spec, should_stop, drop_to, _processes(spec, drop_to), status_file, group)
    finally:
        _remove_group(group)


def _drop_to(spec: RunSpec) -> int | None:
    return spec.sandbox_uid if os.geteuid() == 0 else None


def _processes(spec: RunSpec, drop_to: int | None) -> int | None:
    """RLIMIT_NPROC counts every process of the user, and a user namespace's creator's limit
    also caps all its namespaces' processes together: set here, one job's fork bomb would
    keep every other job of the machine (same uid) from starting. In bubblewrap the runner
    sets it inside the job's own user namespace, where it counts that job's processes only."""
    if not spec.insecure:
        return None
    own_uid = drop_to if drop_to is not None else os.geteuid()
    return spec.limits["processes"] + (0 if drop_to is not None else _count_tasks(own_uid))


def _group(spec: RunSpec):
    """The whole job's memory and processes, where a control group can be made."""
    if spec.cgroups == "off":
        return None
    group = cgroup.create(
        cgroup.group_name(),  # names this process, so a sweeper can tell its owner
        memory_bytes=spec.limits["memory_mb"] * 1024 * 1024,
        processes=spec.limits["processes"],
        root=spec.cgroup_root,
    )
    if group is None and spec.cgroups == "required":
        raise SandboxUnavailable("no control group can be made for the job")
    return group


def _remove_group(group) -> None:
    """Whatever ended the supervision (an exception included): nothing of the job is left
    in its group, and the group goes."""
    if group is not None:
        if not group.kill():
            logger.error("sandbox processes survived SIGKILL in %s", group.memory)
        group.remove()


@dataclass
class _Job:
    """The processes of one running job: bubblewrap (the leader of its own process
    group) and the job's first process, its pid namespace's init."""

    process: subprocess.Popen
    pidfd: int | None = None  # the job's first process (bubblewrap only)
    reaped: bool = False

    def kill(self) -> None:
        """The whole tree. The namespace's init dying takes every process of the namespace
        with it; bubblewrap's process group holds the rest (insecure mode: the job)."""
        if self.pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        if not self.reaped:  # until reaped, the group's id cannot be anyone else's
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def finish(self) -> None:
        """End of supervision, however it ended: kill what is left, reap bubblewrap and
        wait (bounded) for the namespace's init to be gone (it goes after the rest)."""
        try:
            self.kill()
            deadline = time.monotonic() + REAP_SECONDS
            while not self.reaped:
                pid, status = os.waitpid(self.process.pid, os.WNOHANG)
                if pid:
                    self.reaped = True
                    self.process.returncode = os.waitstatus_to_exitcode(status)
                elif time.monotonic() > deadline:
                    logger.error("bubblewrap %s did not end after SIGKILL", self.process.pid)
                    break
                else:
                    time.sleep(0.01)
            if self.pidfd is not None:
                left = max(deadline - time.monotonic(), 0.1)
                if not select.select([self.pidfd], [], [], left)[0]:
                    logger.error("a job's processes did not end after SIGKILL")
        finally:
            if self.pidfd is not None:
                os.close(self.pidfd)
                self.pidfd = None


def _pidfd(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:  # gone already, or a kernel without pidfds
        return None


# --- Warm sandboxes ---------------------------------------------------------------------------

# CPU seconds a warm sandbox may spend loading its runtime, above the job's own limit (its
# runner lowers the limit to the job's own when the job arrives).
WARM_CPU_ALLOWANCE = 10
# How long a job handed a warm sandbox waits for its runtime to be loaded before going cold.
WARM_READY_SECONDS = 10.0


def warm_key(spec: RunSpec) -> tuple:
    """What a warm sandbox is made for: a job whose spec gives the same key may take it
    (the code, language and tables come with the job)."""
    return (
        str(spec.workspace),
        json.dumps(spec.limits, sort_keys=True),
        spec.python,
        spec.sandbox_uid,
        spec.cgroups,
        spec.cgroup_root,
    )


@dataclass
class Warm:
    """A sandbox started ahead of its job: bubblewrap with the workspace, the folders and
    the limits in place, its runner's runtime (DuckDB; pandas for Python) loaded, waiting
    on its standard input. It serves one job (``run(..., warm=)``) or is discarded."""

    key: tuple
    folder: Path
    job: _Job
    job_pid: int | None
    group: object
    status_file: Path
    control: int  # the write end of the runner's standard input
    ready: int  # the read end of the pipe on which the runner says it is ready
    created: float = field(default_factory=time.monotonic)
    used: bool = False
    is_ready: bool = False

    @property
    def pid(self) -> int:
        return self.job.process.pid

    def alive(self) -> bool:
        """Unused and running (looked at without reaping it: ``discard`` does)."""
        if self.used:
            return False
        try:
            found = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return found is None

    def idle_seconds(self) -> float:
        return time.monotonic() - self.created

    def wait_ready(self, timeout: float) -> bool:
        """Whether the runner has loaded its runtime and waits (within ``timeout``)."""
        if not self.alive():
            return False
        if not self.is_ready and select.select([self.ready], [], [], timeout)[0]:
            self.is_ready = os.read(self.ready, 1) == b"R"
        return self.is_ready

    def move_to(self, folder: Path) -> None:
        """Give its folder the job's name (``folder``: absent or empty); the sandbox's
        mounts follow the folder, not its name."""
        if folder.exists():
            folder.rmdir()
        os.rename(self.folder, folder)
        self.folder = folder
        self.status_file = folder / "status.json"

    def _close(self) -> None:
        for descriptor in (self.control, self.ready):
            with contextlib.suppress(OSError):
                os.close(descriptor)

    def discard(self) -> None:
        """End it unused: its processes, its control group and its folder."""
        self.used = True
        try:
            self.job.finish()
        finally:
            self._close()
            _remove_group(self.group)
            shutil.rmtree(self.folder, ignore_errors=True)


def warm_start(spec: RunSpec) -> Warm:
    """Start a sandbox for a job of ``spec``'s key in ``spec.folder`` (a new folder, the
    job's once it takes it); ``spec.language`` says which runtime to load ahead. Only in
    bubblewrap: insecure mode runs every job cold."""
    if spec.insecure:
        raise ValueError("insecure development mode has no warm sandboxes")
    if bwrap_path() is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed on this worker")
    drop_to = _drop_to(spec)
    status_file = _prepare_folder(spec, drop_to)
    # What to load ahead (no code: the job's comes with it, in place of this spec).
    _write_job(replace(spec, code=""))
    group = _group(spec)
    info_read, info_write = os.pipe()
    control_read, control = os.pipe()
    ready, ready_write = os.pipe()
    try:
        command = _bwrap_command(spec, str(RUNNER), f"{JOB}/spec.json", info_write, ready_write)
        with (
            open(info_read, "rb", buffering=0) as _info,
            open(spec.folder / "stdout.txt", "wb") as stdout,
            open(spec.folder / "stderr.txt", "wb") as stderr,
        ):
            try:
                process = subprocess.Popen(
                    command,
                    stdin=control_read,
                    stdout=stdout,
                    stderr=stderr,
                    cwd=spec.folder,
                    env={"PATH": "/usr/bin:/bin", **supervisor_mark()},
                    start_new_session=True,
                    preexec_fn=_preexec(
                        spec.limits, drop_to, None, group, cpu_allowance=WARM_CPU_ALLOWANCE
                    ),
                    close_fds=True,
                    pass_fds=(info_write, ready_write),
                )
            finally:
                for descriptor in (info_write, ready_write, control_read):
                    os.close(descriptor)
            job = _Job(process)
            try:
                job_pid = _child_pid(info_read)
                job.pidfd = _pidfd(job_pid)
            except BaseException:
                job.finish()
                raise
    except BaseException:
        for descriptor in (control, ready):
            os.close(descriptor)
        _remove_group(group)
        raise
    return Warm(warm_key(spec), spec.folder, job, job_pid, group, status_file, control, ready)


def _run_warm(spec: RunSpec, should_stop, warm: Warm) -> RunResult:
    """Hand the job to the warm sandbox and supervise it. Its CPU time, wall time and peak
    memory count from the hand-over: loading the runtime was not the job's work."""
    warm.used = True
    try:
        _write_job(spec)
        base_cpu = _cpu_of(warm.job_pid)  # the runner waits: its CPU time stands still
        if warm.group is not None:
            warm.group.reset_peak()
        started = time.monotonic()
        deadline = started + spec.limits["wall_seconds"]
        with contextlib.suppress(BrokenPipeError):  # a dead runner ends as any job
            os.write(warm.control, b"go")
        warm._close()
        try:
            watched = _watch(spec, should_stop, warm.job, warm.job_pid, deadline)
        finally:
            warm.job.finish()
        result = _result(
            spec, warm.job.process, warm.group, watched, started, warm.status_file, base_cpu
        )
    finally:
        warm._close()
        _remove_group(warm.group)  # after its peak and out-of-memory kill were read
    result.details["warm"] = True
    return result


def _run(spec, should_stop, drop_to, processes, status_file, group) -> RunResult:
    info_read, info_write = os.pipe()
    if spec.insecure:
        command = [spec.python, "-I", str(RUNNER), str(spec.folder / "spec.json")]
        environment = _environment(str(spec.folder / "tmp"))
        cwd = spec.folder / "output"
    else:
        command = _bwrap_command(spec, str(RUNNER), f"{JOB}/spec.json", info_write)
        # bwrap's own: nothing of the worker's but its name (orphans.py)
        environment = {"PATH": "/usr/bin:/bin", **supervisor_mark()}
        cwd = spec.folder
    started = time.monotonic()
    deadline = started + spec.limits["wall_seconds"]
    with (
        open(info_read, "rb", buffering=0) as _info,  # closed however the run ends
        open(spec.folder / "stdout.txt", "wb") as stdout,
        open(spec.folder / "stderr.txt", "wb") as stderr,
    ):
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=cwd,
                env=environment,
                start_new_session=True,
                preexec_fn=_preexec(spec.limits, drop_to, processes, group),
                close_fds=True,
                pass_fds=(info_write,),
            )
        finally:
            os.close(info_write)  # the worker's copy: the pipe ends when bubblewrap does
        job = _Job(process)
        try:
            job_pid = process.pid if spec.insecure else _child_pid(info_read)
            job.pidfd = None if spec.insecure else _pidfd(job_pid)
            stopped, status, usage, polled_cpu = _watch(spec, should_stop, job, job_pid, deadline)
        finally:
            job.finish()  # however the supervision ended: no process of the job outlives it
    return _result(spec, process, group, (stopped, status, usage, polled_cpu), started, status_file)


def _result(spec, process, group, watched, started, status_file, base_cpu=0.0) -> RunResult:
    """The run's outcome from how it ended; ``base_cpu``: CPU seconds a warm sandbox spent
    before its job arrived, which are not the job's."""
    stopped, status, usage, polled_cpu = watched
    process.returncode = os.waitstatus_to_exitcode(status)
    # A job killed before it was reaped is charged what was seen while it ran.
    cpu = max(usage.ru_utime + usage.ru_stime, polled_cpu) - base_cpu
    result = RunResult(
        outcome="succeeded",
        cpu_seconds=round(max(cpu, 0.0), 3),
        peak_memory_bytes=usage.ru_maxrss * 1024,
        wall_seconds=round(time.monotonic() - started, 3),
    )
    if group is not None:
        result.peak_memory_bytes = group.peak_memory() or result.peak_memory_bytes
        if group.oom_killed() and stopped is None:
            result.outcome = "killed"
            result.reason = say("memory_limit", mb=spec.limits["memory_mb"])
            return result
    report = _read_status(status_file)
    if not report and _setup_failed(spec.folder / "stderr.txt"):
        result.outcome = "failed"
        result.reason = say("sandbox_start")
        return result
    _classify(result, process.returncode, stopped, report, spec)
    return result


def _watch(spec: RunSpec, should_stop, job: _Job, job_pid: int | None, deadline: float):
    """Poll the job until it ends; stop it at its wall clock, its output limits, or when
    ``should_stop`` says so. Returns (why it was stopped or None, wait status, usage, CPU
    seconds seen while it ran)."""
    device = (spec.folder / "output").stat().st_dev
    stopped, polled_cpu = None, 0.0
    ended = _pidfd(job.process.pid)  # readable once bubblewrap has exited
    try:
        while True:
            pid, status, usage = os.wait4(job.process.pid, os.WNOHANG)
            if pid:
                job.reaped = True
                return stopped, status, usage, polled_cpu
            stopped, polled_cpu = _check(
                spec, should_stop, job, job_pid, device, stopped, polled_cpu, deadline
            )
            # A look every tick; the job's end wakes the watch at once.
            if ended is None:
                time.sleep(TICK_SECONDS)
            else:
                select.select([ended], [], [], TICK_SECONDS)
    finally:
        if ended is not None:
            os.close(ended)


def _check(spec, should_stop, job, job_pid, device, stopped, polled_cpu, deadline):
    """One look at a running job: its CPU seconds so far, and whether to stop it now."""
    polled_cpu = max(polled_cpu, _cpu_of(job_pid))
    if stopped is not None:
        return stopped, polled_cpu
    size, count = _output_bytes(spec.folder / "output")
    size += _held_bytes(None if spec.insecure else job_pid, device)
    if time.monotonic() > deadline:
        stopped = "timed_out"
    elif size > spec.max_output_bytes:
        stopped = "output_bytes"
    elif count > MAX_OUTPUT_ENTRIES:
        stopped = "output_entries"
    elif should_stop():
        stopped = "cancelled"
    if stopped:
        job.kill()
    return stopped, polled_cpu


def _setup_failed(stderr: Path) -> bool:
    """bubblewrap's own error (it names server paths): logged, and kept from the job's
    stderr, which a dry run shows."""
    with open(stderr, "rb") as handle:
        head = handle.read(2048)
    if not head.startswith(b"bwrap: "):
        return False
    logger.error("sandbox setup failed: %s", head.decode(errors="replace").strip())
    stderr.write_bytes(b"The sandbox could not start.\n")
    return True


def _child_pid(descriptor: int) -> int | None:
    """bwrap reports the job's process id (outside the namespace) on its info pipe."""
    data = b""
    while b"}" not in data and (chunk := os.read(descriptor, 1024)):
        data += chunk
    try:
        return int(json.loads(data.decode())["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int | None) -> float:
    """CPU seconds of a process and its reaped children, from /proc (0 once it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 of stat; fields[0] is field 3.
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def _read_status(path: Path) -> dict:
    """The runner's report, bounded: the sandbox wrote it, so nothing in it is trusted."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(4096))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


SIGNAL_LIMITS = {
    signal.SIGXCPU: "cpu_limit",
    signal.SIGKILL: "cpu_limit",
    signal.SIGXFSZ: "file_size_signal",
}


def _classify(result: RunResult, code: int, stopped, report: dict, spec: RunSpec) -> None:
    limits = spec.limits
    if stopped == "cancelled":
        result.outcome, result.reason = "cancelled", say("cancelled")
        return
    if stopped == "timed_out":
        result.outcome = "timed_out"
        result.reason = say("wall_limit", seconds=limits["wall_seconds"])
        return
    if stopped == "output_bytes":
        result.outcome = "killed"
        result.reason = say("output_bytes", max=spec.max_output_bytes)
        return
    if stopped == "output_entries":
        result.outcome = "killed"
        result.reason = say("output_entries", max=MAX_OUTPUT_ENTRIES)
        return
    # bwrap exits with 128 + the signal that ended the job (the process itself otherwise).
    signum = code - 128 if code > 128 else -code if code < 0 else 0
    if signum in SIGNAL_LIMITS and (
        signum != signal.SIGKILL or result.cpu_seconds >= limits["cpu_seconds"] - 1
    ):
        result.outcome = "killed"
        result.reason = say(SIGNAL_LIMITS[signum])
        return
    if report.get("file_size") is True:
        result.outcome = "killed"
        result.reason = say("file_size_limit", mb=limits["file_size_mb"])
        return
    if report.get("memory") is True or code == EXIT_MEMORY:
        result.outcome = "killed"
        result.reason = say("memory_limit", mb=limits["memory_mb"])
        return
    if code == 0 and report.get("ok") is True:
        return
    result.outcome = "failed"
    error_class = report.get("error_class")
    if error_class not in KNOWN_ERRORS:
        error_class = "Error"
    line = report.get("line")
    lines = spec.code.count("\n") + 1
    line = line if isinstance(line, int) and not isinstance(line, bool) else None
    result.error_class = error_class
    result.error_line = line if line is not None and 1 <= line <= lines else None
    # Neither the signal's number nor the exit status is said: the job chooses them, and
    # could choose them from the data.
    if signum:
        result.error_class, result.reason = "Signal", say("signal")
    elif result.error_line:
        code = "unknown_error_line" if error_class == "Error" else "error_line"
        result.reason = say(code, error=error_class, line=result.error_line)
    elif report:
        code = "unknown_error" if error_class == "Error" else "error"
        result.reason = say(code, error=error_class)
    else:
        result.reason = say("no_report")
