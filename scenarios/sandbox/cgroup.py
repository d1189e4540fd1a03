"""A control group per job, where the worker may make one: memory and processes limited
for the job as a whole (rlimits are per process), its peak memory, and whether the
kernel's out-of-memory killer ended it.

cgroup v1 (memory and pids hierarchies, the worker's own groups as parents) is found on
its own; on cgroup v2, SANDBOX_CGROUP_ROOT names a group delegated to the worker with the
memory and pids controllers enabled for its children.

A job's group is named after the worker process that supervises it
(``sandbox-<pid>-<start>-<random>``, ``start`` being that process's start time in clock
ticks since boot, so a reused pid is not taken for its owner): ``sweep_stale`` removes the
groups of workers that are gone, and kills whatever they left in them."""

import contextlib
import logging
import os
import re
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)
PROC_CGROUP = Path("/proc/self/cgroup")
PROC_MOUNTS = Path("/proc/self/mounts")
PREFIX = "sandbox-"
# sandbox-<owner pid>-<owner start time>-<hex>
NAME = re.compile(r"sandbox-(?P<pid>[1-9][0-9]{0,9})-(?P<start>[0-9]{1,20})-[0-9a-f]{1,32}")
# Names of earlier versions: sandbox-<hex> (owner unknown), sandbox-probe-<owner pid>.
LEGACY = re.compile(r"sandbox-(?:[0-9a-f]{32}|probe-[0-9]{1,10})")


def start_time(pid: int) -> int | None:
    """A process's start time (clock ticks since boot), None when it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is field 3 (state); start time is field 22.
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return int(fields[19]) if fields[19].isdigit() else None


def group_name(pid: int | None = None) -> str:
    """A new group's name, owned by ``pid`` (this process by default)."""
    pid = os.getpid() if pid is None else pid
    start = start_time(pid)
    if start is None:
        raise ValueError(f"process {pid} is not running")
    return f"{PREFIX}{pid}-{start}-{uuid.uuid4().hex}"


def owner(name: str) -> tuple[int, int] | None:
    """(pid, start time) of the worker process that made the group ``name``; None for a
    name this module did not make (or made before owners were named)."""
    match = NAME.fullmatch(name)
    if match is None:
        return None
    return int(match["pid"]), int(match["start"])


def owner_alive(name: str) -> bool | None:
    """Whether the process that made the group still runs (the same process: its pid and
    start time); None when the name does not tell its owner."""
    found = owner(name)
    if found is None:
        return None
    pid, start = found
    return start_time(pid) == start


@dataclass
class JobCgroup:
    version: int
    memory: Path
    pids: Path

    def enter(self) -> None:
        """Move the calling process in (from preexec_fn, before it drops privileges)."""
        pid = str(os.getpid()).encode()
        for folder in dict.fromkeys([self.memory, self.pids]):
            descriptor = os.open(folder / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(descriptor, pid)
            finally:
                os.close(descriptor)

    def _read(self, name: str) -> str:
        try:
            return (self.memory / name).read_text()
        except OSError:
            return ""

    def peak_memory(self) -> int | None:
        value = self._read("memory.max_usage_in_bytes" if self.version == 1 else "memory.peak")
        return int(value) if value.strip().isdigit() else None

    def reset_peak(self) -> None:
        """Count the peak from now on (a warm sandbox's job: what its runtime holds stays
        counted, its loading does not). cgroup v1 resets on a write; v2 keeps its peak."""
        if self.version == 1:
            with contextlib.suppress(OSError):
                (self.memory / "memory.max_usage_in_bytes").write_text("0")

    def oom_killed(self) -> bool:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in self._read(name).splitlines():
            key, _sep, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        return False

    def folders(self) -> list[Path]:
        return list(dict.fromkeys([self.memory, self.pids]))

    def processes(self) -> set[int]:
        return _processes(self.folders())

    def kill(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process in the group until none is left; whether it emptied."""
        return _kill_all(self.folders(), timeout)

    def remove(self) -> None:
        """Once its processes are gone (``kill``; the namespace's death kills them all)."""
        for folder in self.folders():
            _remove(folder, attempts=50)


def _processes(folders: list[Path]) -> set[int]:
    found: set[int] = set()
    for folder in folders:
        try:
            found |= {int(pid) for pid in (folder / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            continue
    return found


def _kill_all(folders: list[Path], timeout: float) -> bool:
    """SIGKILL the groups' processes, again and again (a forking process adds more), until
    the groups are empty or ``timeout`` has passed. The caller is never in them."""
    for folder in folders:
        kill = folder / "cgroup.kill"  # cgroup v2, Linux 5.14+: the whole group at once
        if kill.exists():
            with contextlib.suppress(OSError):
                kill.write_text("1")
    deadline = time.monotonic() + timeout
    while found := _processes(folders):
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _remove(folder: Path, *, attempts: int) -> bool:
    for attempt in range(attempts):
        try:
            folder.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if attempt + 1 < attempts:
                time.sleep(0.02)
    return False


def _mounts() -> list[tuple[str, str, set[str]]]:
    found = []
    for line in PROC_MOUNTS.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
            found.append((parts[1], parts[2], set(parts[3].split(","))))
    return found


def _own_v1(controller: str) -> Path | None:
    """Where this process sits in the v1 hierarchy of ``controller``."""
    path = None
    for line in PROC_CGROUP.read_text().splitlines():
        _number, names, where = line.split(":", 2)
        if controller in names.split(","):
            path = where
    if path is None:
        return None
    for mount, kind, options in _mounts():
        if kind == "cgroup" and controller in options:
            folder = Path(mount) / path.lstrip("/")
            return folder if folder.is_dir() else None
    return None


def create(name: str, *, memory_bytes: int, processes: int, root: str = "") -> JobCgroup | None:
    """A new group for one job, or None where the worker cannot make one."""
    if os.geteuid() != 0 and not root:
        return None
    group = None
    try:
        if root:
            parent = Path(root)
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            if not {"memory", "pids"} <= set(enabled):
                return None
            folder = parent / name
            folder.mkdir()
            group = JobCgroup(2, folder, folder)
            (folder / "memory.max").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
        else:
            memory, pids = _own_v1("memory"), _own_v1("pids")
            if memory is None or pids is None:
                return None
            (memory / name).mkdir()
            try:
                (pids / name).mkdir()
            except OSError:
                (memory / name).rmdir()
                raise
            group = JobCgroup(1, memory / name, pids / name)
            (group.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (group.memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        (group.pids / "pids.max").write_text(str(processes))
        return group
    except OSError:
        if group is not None:
            group.remove()
        return None


def available(root: str = "") -> bool:
    """Whether this worker can give jobs their own control group."""
    group = create(group_name(), memory_bytes=1 << 30, processes=8, root=root)
    if group is None:
        return False
    group.remove()
    return True


def _parents(root: str) -> list[Path]:
    """Where this worker makes its jobs' groups (as ``create`` does)."""
    if root:
        return [Path(root)]
    if os.geteuid() != 0:
        return []
    try:
        found = [_own_v1("memory"), _own_v1("pids")]
    except (OSError, ValueError):
        return []
    return list(dict.fromkeys(folder for folder in found if folder is not None))


LEGACY_GRACE_SECONDS = 60


def _age(folder: Path) -> float:
    try:
        info = folder.stat()
    except OSError:
        return 0.0
    return time.time() - max(info.st_mtime, info.st_ctime)


def sweep_stale(root: str = "") -> int:
    """Remove the job groups left by worker processes that are no longer running (a worker
    killed mid-job leaves its group behind), killing any process still in them; returns
    how many groups it removed. Run at a sandbox worker's start, with the root its jobs'
    groups are made under (SANDBOX_CGROUP_ROOT; "" for cgroup v1, found as ``create``
    does). A group whose owner runs is left alone; so is a group of an earlier version's
    naming that is not empty, or younger than a minute.

    Owners are looked up in this process's pid namespace: workers that share a group
    root must share it too."""
    groups: dict[str, list[Path]] = {}
    for parent in _parents(root):
        try:
            children = [entry for entry in parent.iterdir() if entry.is_dir()]
        except OSError:
            continue
        for folder in children:
            groups.setdefault(folder.name, []).append(folder)
    removed = 0
    for name, folders in sorted(groups.items()):
        alive = owner_alive(name)
        if alive is None:
            # An earlier version's group: removed once empty and a minute old (a job enters
            # its group within moments of its making; the kernel refuses a non-empty one).
            if LEGACY.fullmatch(name) and all(
                _age(folder) > LEGACY_GRACE_SECONDS and _remove(folder, attempts=1)
                for folder in folders
            ):
                removed += 1
            continue
        if alive:
            continue
        if not _kill_all(folders, timeout=5.0):
            logger.warning("sandbox group %s: processes left after SIGKILL", name)
        if all(_remove(folder, attempts=50) for folder in folders):
            removed += 1
            logger.info("removed the stale sandbox group %s (its worker is gone)", name)
        else:
            logger.warning("sandbox group %s could not be removed", name)
    return removed
