"""Sandboxes whose supervising worker process died while bubblewrap was still setting them
up. bubblewrap's --die-with-parent cannot cover that moment (bubblewrap issue #633: the
child it forks arms its parent-death signal only once set up, so a parent killed before
leaves that child waiting forever), and without control groups (cgroup.sweep_stale)
nothing else would end it. So a worker starts bubblewrap with its own identity in
bubblewrap's environment (the sandboxed command gets none of it: --clearenv), and each
job's start sweeps away the bubblewrap processes of workers that are gone."""

import contextlib
import os
import signal
from pathlib import Path

from scenarios.sandbox.cgroup import start_time

VARIABLE = "SANDBOX_SUPERVISOR"


def supervisor_mark() -> dict[str, str]:
    """The environment entry naming this process (pid and start time) as a sandbox's
    supervisor, for bubblewrap's own environment."""
    pid = os.getpid()
    return {VARIABLE: f"{pid}-{start_time(pid)}"}


def _supervisor(environ: bytes) -> tuple[int, int] | None:
    prefix = f"{VARIABLE}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            pid, _, start = entry[len(prefix) :].partition(b"-")
            if pid.isdigit() and start.isdigit():
                return int(pid), int(start)
    return None


def orphans_sweep() -> int:
    """Kill the bubblewrap processes whose supervisor no longer runs (the same process:
    pid and start time, looked up in this pid namespace); how many."""
    killed = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if Path(entry.path, "comm").read_bytes() != b"bwrap\n":
                continue
            supervisor = _supervisor(Path(entry.path, "environ").read_bytes())
        except OSError:  # gone, or not ours to read
            continue
        if supervisor is None or start_time(supervisor[0]) == supervisor[1]:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(int(entry.name), signal.SIGKILL)
            killed += 1
    return killed
