"""`manage.py rundemo` supervises the embedded default: it restarts what exits, with a line
saying why, and SIGTERM leaves no process of the demo behind. Real processes throughout."""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from celery import Celery

from core.localredis import broker_url
from core.supervisor import describe, group_members

ROOT = Path(__file__).resolve().parents[4]
PORT = 8812
pytestmark = pytest.mark.slow


def test_describe_names_the_exit_code_or_the_signal():
    assert describe(3) == "exit code 3"
    assert describe(-signal.SIGKILL) == "signal SIGKILL"


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def started(log: Path) -> dict[str, list[int]]:
    """Every pid the supervisor has started, by program, in order."""
    pids: dict[str, list[int]] = {}
    for name, pid in re.findall(r"\[supervisor\] started (\w+) \(pid (\d+)\)", log.read_text()):
        pids.setdefault(name, []).append(int(pid))
    return pids


def processes_with(variable: str) -> list[int]:
    """Live processes whose environment holds ``variable`` (e.g. ``VAR_DIR=...``)."""
    needle = variable.encode() + b"\0"
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as handle:
                    if needle in handle.read():
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def kill_everything(supervisor: subprocess.Popen, log: Path) -> None:
    """Clean up after a failed test: the supervisor's group and every group it started."""
    for pgid in [supervisor.pid, *(pid for pids in started(log).values() for pid in pids)]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    supervisor.wait()


# The supervisor alone, with small programs standing in for the demo's.
SUPERVISE = """
import json, sys
from core.supervisor import Program, Supervisor
programs = [Program(p.pop("name"), p.pop("argv"), **p) for p in json.loads(sys.argv[1])]
sys.exit(Supervisor(programs, grace=float(sys.argv[2]), backoff_min=0.2).run())
"""


def supervise(programs: list[dict], log: Path, *, grace: float = 2) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-c", SUPERVISE, json.dumps(programs), str(grace)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def test_the_supervisor_restarts_what_exits_and_its_sigterm_kills_every_group(tmp_path):
    log = tmp_path / "log"
    programs = [
        # a program that starts a child of its own and ignores TERM: KILL after the grace
        {"name": "stubborn", "argv": ["sh", "-c", "trap '' TERM; sleep 600 & wait"]},
        {"name": "flaky", "argv": ["sh", "-c", "sleep 0.5; exit 7"]},
        {"name": "web", "argv": ["sleep", "600"], "restart": False},
    ]
    supervisor = supervise(programs, log)
    try:
        wait_for(lambda: len(started(log).get("flaky", [])) >= 3, timeout=30, what="restarts")
        assert "[supervisor] flaky exited (exit code 7); restarting" in log.read_text()
        pids = started(log)
        stubborn = pids["stubborn"][0]
        wait_for(lambda: len(group_members(stubborn)) == 2, timeout=10, what="its child")
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
        for pid in [*pids["stubborn"], *pids["web"], *pids["flaky"]]:
            assert not group_members(pid), log.read_text()
    finally:
        kill_everything(supervisor, log)


def test_the_web_server_exiting_stops_everything_with_a_non_zero_exit(tmp_path):
    log = tmp_path / "log"
    programs = [
        {"name": "worker", "argv": ["sleep", "600"]},
        {"name": "web", "argv": ["sh", "-c", "sleep 1; exit 1"], "restart": False},
    ]
    supervisor = supervise(programs, log)
    try:
        assert supervisor.wait(timeout=30) == 1
        assert "[supervisor] web exited (exit code 1); stopping everything" in log.read_text()
        assert not group_members(started(log)["worker"][0])
    finally:
        kill_everything(supervisor, log)


def worker_pids(url: str) -> list[int]:
    """The pids of the Celery workers that answer on the demo's broker. An app of its own
    (control commands publish through the app's producer pool, whatever the connection),
    with read and write URLs (the broker URL yields to a CELERY_BROKER_URL variable)."""
    app = Celery(set_as_current=False)
    app.conf.broker_read_url = app.conf.broker_write_url = url
    try:
        return [reply["pid"] for reply in (app.control.inspect(timeout=2).stats() or {}).values()]
    finally:
        app.close()


def test_rundemo_restarts_a_killed_worker_and_sigterm_leaves_no_process(tmp_path):
    var_dir = Path(tempfile.mkdtemp(prefix="hb-rundemo-", dir="/tmp"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SERVICES_REDIS_URL"}
    }
    env["VAR_DIR"] = str(var_dir)
    url = broker_url(var_dir / "redis" / "redis.sock")
    log = tmp_path / "rundemo.log"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    with log.open("w") as out:
        demo = subprocess.Popen(
            [*manage, "rundemo", f"127.0.0.1:{PORT}", "--grace=5"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: {"redis", "web", "worker", "jobs1", "jobs2", "beat"} <= started(log).keys(),
            timeout=60,
            what=f"the demo's programs\n{log.read_text()}",
        )
        general, other = started(log)["worker"][0], started(log)["jobs2"][0]
        first = started(log)["jobs1"][0]
        wait_for(
            lambda: sorted(worker_pids(url)) == sorted([general, first, other]),
            timeout=60,
            what="the workers' answers",
        )
        # the pool's processes are in the worker's process group
        wait_for(lambda: len(group_members(first)) >= 2, timeout=30, what="the pool")
        pool = set(group_members(first)) - {first}
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=10) as answer:
            assert json.load(answer)["broker"] == "ok"

        os.kill(first, signal.SIGKILL)
        wait_for(
            lambda: "[supervisor] jobs1 exited (signal SIGKILL); restarting" in log.read_text(),
            timeout=30,
            what="the restart line",
        )
        second = wait_for(lambda: started(log)["jobs1"][1:], timeout=60, what="a new worker")[0]
        wait_for(
            lambda: sorted(worker_pids(url)) == sorted([general, second, other]),
            timeout=60,
            what="the new worker",
        )
        assert not group_members(first)  # the killed worker's pool went with it
        assert not [pid for pid in pool if alive(pid)]

        wait_for(lambda: len(group_members(second)) >= 2, timeout=30, what="the new pool")
        groups = [pid for pids in started(log).values() for pid in pids]
        everything = {member for pgid in groups for member in group_members(pgid)}
        assert len(everything) >= 9  # redis, web, beat, three workers and their pools
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0, log.read_text()
        assert not [pgid for pgid in groups if group_members(pgid)], log.read_text()
        assert not [pid for pid in everything if alive(pid)]
        assert not processes_with(f"VAR_DIR={var_dir}")
        assert not (var_dir / "redis" / "redis.sock").exists()
    finally:
        kill_everything(demo, log)
        shutil.rmtree(var_dir, ignore_errors=True)
