"""Run a few programs as one, the way ``manage.py rundemo`` runs the embedded default.

Each program runs in a process group of its own (``start_new_session``), so stopping it
reaches everything it started (a Celery worker's pool processes included). A program
that exits is restarted after a short backoff, with a line saying why; a program that
must not exit alone (the web server) stops everything instead. SIGINT or SIGTERM stops
every program: TERM to its group, KILL after a grace period.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Program:
    name: str
    argv: list[str]
    # False: when it exits, everything stops and the supervisor exits non-zero.
    restart: bool = True
    env: dict[str, str] | None = None
    # Polled after each start, before the supervisor goes on (e.g. Redis answers PING).
    ready: Callable[[], bool] | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    backoff: float = 0.0
    restart_at: float | None = None


def describe(returncode: int) -> str:
    """``exit code 1`` or ``signal SIGKILL``."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def stop_group(process: subprocess.Popen, *, grace: float) -> None:
    """TERM the process's group, KILL what is left after ``grace`` seconds, and reap the
    process. The process must lead its group (started with ``start_new_session``)."""
    pgid = process.pid
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process.poll() is not None and not group_members(pgid):
            return
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 5
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


class Supervisor:
    def __init__(
        self,
        programs: list[Program],
        *,
        grace: float = 10.0,
        ready_timeout: float = 10.0,
        backoff_min: float = 1.0,
        backoff_max: float = 30.0,
        stable_after: float = 30.0,
        out=None,
    ):
        self.programs = programs
        self.grace = grace
        self.ready_timeout = ready_timeout
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.out = out or sys.stdout
        self.stop_requested: str | None = None

    def log(self, message: str) -> None:
        self.out.write(f"[supervisor] {message}\n")
        self.out.flush()

    def run(self) -> int:
        """Start every program in order and supervise them until a signal (exit 0) or a
        program that must not exit alone exits (exit 1)."""
        previous = {
            signum: signal.signal(signum, self._request_stop)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for program in self.programs:
                if self.stop_requested or not self._start(program):
                    return 0 if self.stop_requested else 1
            return self._supervise()
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _request_stop(self, signum, _frame) -> None:
        self.stop_requested = signal.Signals(signum).name

    def _start(self, program: Program) -> bool:
        program.process = subprocess.Popen(
            program.argv, env=program.env, start_new_session=True, stdin=subprocess.DEVNULL
        )
        program.started_at = time.monotonic()
        program.restart_at = None
        self.log(f"started {program.name} (pid {program.process.pid})")
        if program.ready is None:
            return True
        deadline = time.monotonic() + self.ready_timeout
        while not program.ready():
            if program.process.poll() is not None or time.monotonic() > deadline:
                self.log(f"{program.name} did not become ready")
                return False
            if self.stop_requested:
                return True
            time.sleep(0.05)
        return True

    def _supervise(self) -> int:
        while not self.stop_requested:
            now = time.monotonic()
            for program in self.programs:
                if program.restart_at is not None:
                    if now >= program.restart_at:
                        self._start(program)
                    continue
                returncode = program.process.poll()
                if returncode is None:
                    continue
                why = describe(returncode)
                if not program.restart:
                    self.log(f"{program.name} exited ({why}); stopping everything")
                    return 1
                self.log(f"{program.name} exited ({why}); restarting")
                stop_group(program.process, grace=self.grace)  # what it left behind
                program.backoff = (
                    min(max(program.backoff * 2, self.backoff_min), self.backoff_max)
                    if now - program.started_at < self.stable_after
                    else self.backoff_min
                )
                program.restart_at = time.monotonic() + program.backoff
            time.sleep(0.1)
        self.log(f"{self.stop_requested}: stopping everything")
        return 0

    def _stop_all(self) -> None:
        """Stop in the reverse order of starting (the broker last)."""
        for program in reversed(self.programs):
            if program.process is not None:
                stop_group(program.process, grace=self.grace)
                program.process = None
        self.log("stopped")
