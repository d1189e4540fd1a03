"""A control group per job, where the worker may make one: memory and processes limited
for the job as a whole (rlimits are per process), its peak memory, and whether the
kernel's out-of-memory killer ended it.

cgroup v1 (memory and pids hierarchies, the worker's own groups as parents) is found on
its own; on cgroup v2, SANDBOX_CGROUP_ROOT names a group delegated to the worker with the
memory and pids controllers enabled for its children."""

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC_CGROUP = Path("/proc/self/cgroup")
PROC_MOUNTS = Path("/proc/self/mounts")


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

    def oom_killed(self) -> bool:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in self._read(name).splitlines():
            key, _sep, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        return False

    def remove(self) -> None:
        """Once its processes are gone (the namespace's death kills them all)."""
        for folder in dict.fromkeys([self.memory, self.pids]):
            for _attempt in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


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
    group = create(f"sandbox-probe-{os.getpid()}", memory_bytes=1 << 30, processes=8, root=root)
    if group is None:
        return False
    group.remove()
    return True
