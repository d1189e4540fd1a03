"""Running one job's process in bubblewrap, on the worker, with limits and a wall clock.

Django-free: the task hands in paths and limits and receives a ``RunResult``. Only regular
files directly in the output folder come back (see ``collect``)."""

import builtins
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
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.sandbox import cgroup

logger = logging.getLogger(__name__)
RUNNER = Path(__file__).with_name("runner.py")
# Paths inside the sandbox.
WORKSPACE, OUTPUT, JOB, TMP, SHM = "/workspace", "/output", "/job", "/tmp", "/dev/shm"  # noqa: S108
TICK_SECONDS = 0.05
FIRST_TICK_SECONDS = 0.002
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
    reason: str = ""
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


def _bwrap_command(spec: RunSpec, runner: str, spec_file: str, info_fd: int) -> list[str]:
    limits = spec.limits
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
        spec.python, "-I", f"{JOB}/runner.py", spec_file,
    ]  # fmt: skip


def _count_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` (what RLIMIT_NPROC counts)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total


def _preexec(limits: dict, drop_to: int | None, processes: int | None, group):
    memory = limits["memory_mb"] * 1024 * 1024
    file_size = limits["file_size_mb"] * 1024 * 1024

    def apply() -> None:
        if group is not None:
            group.enter()  # before privileges are dropped
        cpu = limits["cpu_seconds"]
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


def _prepare(spec: RunSpec, drop_to: int | None) -> tuple[dict, Path]:
    """The job's folder: spec, code, the writable output folder and status file."""
    output, status = spec.folder / "output", spec.folder / "status.json"
    output.mkdir(parents=True, exist_ok=True)
    status.touch()
    for path, mode in ((output, 0o700), (status, 0o600)):
        if drop_to is not None:
            os.chown(path, drop_to, drop_to)
        path.chmod(mode)
    spec.folder.chmod(0o755)
    (spec.folder / "code.txt").write_text(spec.code)
    inside = not spec.insecure
    memory_mb = spec.limits["memory_mb"]
    document = {
        "language": spec.language,
        "tables": spec.tables,
        "workspace": WORKSPACE if inside else str(spec.workspace),
        "output": OUTPUT if inside else str(spec.folder / "output"),
        "status": f"{JOB}/status.json" if inside else str(status),
        "code": f"{JOB}/code.txt" if inside else str(spec.folder / "code.txt"),
        "tmp": TMP if inside else str(spec.folder / "tmp"),
        # DuckDB stays well inside the address-space limit (Python and libraries need room).
        "duckdb_memory": f"{max(memory_mb // 2, 128)}MB",
        "threads": 2,
        # Set by the runner inside the sandbox, before the job's code (see ``run``).
        "processes": spec.limits["processes"] if inside else None,
    }
    (spec.folder / "spec.json").write_text(json.dumps(document))
    for path in (spec.folder / "spec.json", spec.folder / "code.txt"):
        path.chmod(0o444)
    if not inside:
        (spec.folder / "tmp").mkdir(exist_ok=True)
    return document, status


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
    for process in os.scandir("/proc"):
        if not process.name.isdigit():
            continue
        try:
            here = os.stat(f"{process.path}/ns/pid")
            if (here.st_dev, here.st_ino) != (namespace.st_dev, namespace.st_ino):
                continue
            # Open descriptors; mappings (map_files needs CAP_SYS_ADMIN: skipped without).
            descriptors = f"{process.path}/fd"
            links = [f"{descriptors}/{name}" for name in os.listdir(descriptors)]
            with contextlib.suppress(OSError):
                mapped = f"{process.path}/map_files"
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


def run(spec: RunSpec, *, should_stop: Callable[[], bool]) -> RunResult:
    """Run the job to its end or to a limit; ``should_stop`` is polled (cancellation)."""
    if not spec.insecure and bwrap_path() is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed on this worker")
    drop_to = spec.sandbox_uid if os.geteuid() == 0 else None
    _document, status_file = _prepare(spec, drop_to)
    own_uid = drop_to if drop_to is not None else os.geteuid()
    # RLIMIT_NPROC counts every process of the user, and a user namespace's creator's limit
    # also caps all its namespaces' processes together: set here, one job's fork bomb would
    # keep every other job of the machine (same uid) from starting. In bubblewrap the runner
    # sets it inside the job's own user namespace, where it counts that job's processes only.
    processes = None
    if spec.insecure:
        processes = spec.limits["processes"]
        processes += 0 if drop_to is not None else _count_tasks(own_uid)
    # The whole job's memory and processes, where a control group can be made.
    group = None
    if spec.cgroups != "off":
        group = cgroup.create(
            cgroup.group_name(),  # names this process, so a sweeper can tell its owner
            memory_bytes=spec.limits["memory_mb"] * 1024 * 1024,
            processes=spec.limits["processes"],
            root=spec.cgroup_root,
        )
        if group is None and spec.cgroups == "required":
            raise SandboxUnavailable("no control group can be made for the job")
    try:
        return _run(spec, should_stop, drop_to, processes, status_file, group)
    finally:
        # Whatever ended the supervision (an exception included): nothing of the job is
        # left in its group, and the group goes.
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


def _run(spec, should_stop, drop_to, processes, status_file, group) -> RunResult:
    info_read, info_write = os.pipe()
    if spec.insecure:
        command = [spec.python, "-I", str(RUNNER), str(spec.folder / "spec.json")]
        environment = _environment(str(spec.folder / "tmp"))
        cwd = spec.folder / "output"
    else:
        command = _bwrap_command(spec, str(RUNNER), f"{JOB}/spec.json", info_write)
        environment = {"PATH": "/usr/bin:/bin"}  # bwrap's own: nothing of the worker's
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
    process.returncode = os.waitstatus_to_exitcode(status)
    result = RunResult(
        outcome="succeeded",
        # A job killed before it was reaped is charged what was seen while it ran.
        cpu_seconds=round(max(usage.ru_utime + usage.ru_stime, polled_cpu), 3),
        peak_memory_bytes=usage.ru_maxrss * 1024,
        wall_seconds=round(time.monotonic() - started, 3),
    )
    if group is not None:
        result.peak_memory_bytes = group.peak_memory() or result.peak_memory_bytes
        if group.oom_killed() and stopped is None:
            result.outcome = "killed"
            result.reason = f"Stopped at the memory limit of {spec.limits['memory_mb']} MB."
            return result
    report = _read_status(status_file)
    if not report and _setup_failed(spec.folder / "stderr.txt"):
        result.outcome = "failed"
        result.reason = "The sandbox could not start; operator staff see the worker's log."
        return result
    _classify(result, process.returncode, stopped, report, spec)
    return result


def _watch(spec: RunSpec, should_stop, job: _Job, job_pid: int | None, deadline: float):
    """Poll the job until it ends; stop it at its wall clock, its output limits, or when
    ``should_stop`` says so. Returns (why it was stopped or None, wait status, usage, CPU
    seconds seen while it ran)."""
    device = (spec.folder / "output").stat().st_dev
    stopped, polled_cpu, tick = None, 0.0, FIRST_TICK_SECONDS
    while True:
        pid, status, usage = os.wait4(job.process.pid, os.WNOHANG)
        if pid:
            job.reaped = True
            return stopped, status, usage, polled_cpu
        now = time.monotonic()
        polled_cpu = max(polled_cpu, _cpu_of(job_pid))
        if stopped is None:
            size, count = _output_bytes(spec.folder / "output")
            size += _held_bytes(None if spec.insecure else job_pid, device)
            if now > deadline:
                stopped = "timed_out"
            elif size > spec.max_output_bytes:
                stopped = "output_bytes"
            elif count > MAX_OUTPUT_ENTRIES:
                stopped = "output_entries"
            elif should_stop():
                stopped = "cancelled"
            if stopped:
                job.kill()
        # Short ticks first (most jobs are quick), then TICK_SECONDS, however long the job.
        time.sleep(tick)
        tick = min(tick * 2, TICK_SECONDS)


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


def _known_errors() -> frozenset[str]:
    """Error classes a developer may see: a job cannot smuggle data through a class name
    it made up."""
    import duckdb

    names = {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    names |= {
        name
        for name, value in vars(duckdb).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    names |= {
        "LinAlgError",
        "MergeError",
        "ParserError",
        "NotFittedError",
        "PerfectSeparationError",
    }
    return frozenset(names)


KNOWN_ERRORS = _known_errors()

SIGNAL_LIMITS = {
    signal.SIGXCPU: "CPU time",
    signal.SIGKILL: "CPU time",
    signal.SIGXFSZ: "file size",
}


def _classify(result: RunResult, code: int, stopped, report: dict, spec: RunSpec) -> None:
    limits = spec.limits
    if stopped == "cancelled":
        result.outcome, result.reason = "cancelled", "Cancelled."
        return
    if stopped == "timed_out":
        result.outcome = "timed_out"
        result.reason = f"Stopped at the wall-clock limit of {limits['wall_seconds']} s."
        return
    if stopped == "output_bytes":
        result.outcome = "killed"
        result.reason = f"The output folder grew past {spec.max_output_bytes} bytes."
        return
    if stopped == "output_entries":
        result.outcome = "killed"
        result.reason = (
            f"The output folder grew past {MAX_OUTPUT_ENTRIES} files and folders "
            "(sub-folders included)."
        )
        return
    # bwrap exits with 128 + the signal that ended the job (the process itself otherwise).
    signum = code - 128 if code > 128 else -code if code < 0 else 0
    if signum in SIGNAL_LIMITS and (
        signum != signal.SIGKILL or result.cpu_seconds >= limits["cpu_seconds"] - 1
    ):
        result.outcome = "killed"
        result.reason = f"Stopped at the {SIGNAL_LIMITS[signum]} limit."
        return
    if report.get("file_size") is True:
        result.outcome = "killed"
        result.reason = f"Stopped at the file size limit of {limits['file_size_mb']} MB."
        return
    if report.get("memory") is True or code == EXIT_MEMORY:
        result.outcome = "killed"
        result.reason = f"Stopped at the memory limit of {limits['memory_mb']} MB."
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
    if signum:
        result.error_class, result.reason = "Signal", f"The job ended on signal {signum}."
    elif result.error_line:
        result.reason = f"{error_class} at line {result.error_line}."
    elif report:
        result.reason = f"{error_class}."
    else:
        result.reason = f"The job ended without a report (exit status {code})."
