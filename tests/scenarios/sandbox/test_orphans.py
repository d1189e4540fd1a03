"""Sandboxes left in their setup by a supervisor that died are swept away: bubblewrap's
--die-with-parent cannot end them (bubblewrap issue #633), and without control groups
nothing else would."""

import os
import shutil
import signal
import subprocess
import time

from scenarios.sandbox.cgroup import start_time
from scenarios.sandbox.orphans import VARIABLE, orphans_sweep, supervisor_mark


def _running(process: subprocess.Popen) -> bool:
    return process.poll() is None


def test_the_sweep_kills_the_bubblewrap_processes_of_supervisors_that_are_gone(tmp_path):
    # A stand-in named bwrap (what the sweep looks at: the name and the environment)
    bwrap = tmp_path / "bwrap"
    shutil.copy("/bin/sleep", bwrap)
    gone = subprocess.Popen(["/bin/true"])
    gone.wait()
    dead_mark = f"{gone.pid}-{start_time(os.getpid())}"  # that pid is not this start's
    started = []
    try:
        for environment in (
            {VARIABLE: dead_mark},  # its supervisor is gone: killed
            supervisor_mark(),  # its supervisor is this process: left
            {},  # not a sandbox of ours: left
        ):
            started.append(subprocess.Popen([str(bwrap), "60"], env=environment))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # each has its name and environment
            names = []
            for process in started:
                with open(f"/proc/{process.pid}/comm", "rb") as comm:
                    names.append(comm.read())
            if names == [b"bwrap\n"] * 3:
                break
            time.sleep(0.05)

        # (other tests' orphans, if any, go too: the count is at least ours)
        assert orphans_sweep() >= 1
        assert started[0].wait(10) == -signal.SIGKILL
        assert _running(started[1]) and _running(started[2])
        orphans_sweep()
        time.sleep(0.2)
        assert _running(started[1]) and _running(started[2])
    finally:
        for process in started:
            process.kill()
            process.wait()
