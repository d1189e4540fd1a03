"""Job control groups are named after the worker process that supervises them, and a
sweeper removes those whose worker is gone (killing what was left in them)."""

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from scenarios.sandbox import cgroup


def dead_process() -> tuple[int, int]:
    """(pid, start time) of a process that ran and is gone."""
    process = subprocess.Popen(["sleep", "30"])
    start = cgroup.start_time(process.pid)
    process.kill()
    process.wait()
    assert start is not None and cgroup.start_time(process.pid) != start
    return process.pid, start


def dead_name() -> str:
    pid, start = dead_process()
    return f"sandbox-{pid}-{start}-{uuid.uuid4().hex}"


def test_a_group_name_tells_its_owner():
    name = cgroup.group_name()
    assert cgroup.NAME.fullmatch(name)
    pid, start = cgroup.owner(name)
    assert pid == os.getpid() and start == cgroup.start_time(os.getpid())
    assert cgroup.owner_alive(name) is True
    assert cgroup.group_name() != name  # each job its own
    for other in ("sandbox-probe-12", f"sandbox-{uuid.uuid4().hex}", "system.slice", "x"):
        assert cgroup.owner(other) is None
        assert cgroup.owner_alive(other) is None


def test_an_owner_is_alive_only_as_the_same_process():
    assert cgroup.owner_alive(dead_name()) is False
    # The same pid started at another time (a reused pid) is not the owner.
    start = cgroup.start_time(os.getpid())
    assert cgroup.owner_alive(f"sandbox-{os.getpid()}-{start + 1}-ab12") is False
    with pytest.raises(ValueError):
        cgroup.group_name(dead_process()[0])


def test_the_sweeper_removes_the_groups_of_workers_that_are_gone(tmp_path, monkeypatch):
    """On a folder laid out as a delegated cgroup v2 root (plain folders: no process)."""
    root = tmp_path / "root"
    live = cgroup.group_name()
    stale = [dead_name(), dead_name()]
    reused = f"sandbox-{os.getpid()}-{cgroup.start_time(os.getpid()) + 1}-cd34"
    legacy = f"sandbox-{uuid.uuid4().hex}"
    others = ["system.slice", "sandbox-something", "sandbox-12-x"]
    for name in [live, *stale, reused, legacy, *others]:
        (root / name).mkdir(parents=True)
    (root / "cgroup.procs").write_text("")  # a file of the root itself: left alone
    assert cgroup.sweep_stale(str(root)) == 3
    left = sorted(p.name for p in root.iterdir())
    assert left == sorted([live, legacy, *others, "cgroup.procs"])
    # An earlier version's group goes once a minute old (it is empty here).
    monkeypatch.setattr(cgroup, "LEGACY_GRACE_SECONDS", -1)
    assert cgroup.sweep_stale(str(root)) == 1
    assert sorted(p.name for p in root.iterdir()) == sorted([live, *others, "cgroup.procs"])
    assert cgroup.sweep_stale(str(root)) == 0
    assert cgroup.sweep_stale(str(tmp_path / "missing")) == 0


REAL = pytest.mark.skipif(
    not cgroup.available(),
    reason="this machine cannot make control groups (root on cgroup v1, or a v2 root)",
)


@REAL
@pytest.mark.slow
def test_the_sweeper_kills_what_a_gone_worker_left_in_real_groups():
    """On this machine's own hierarchy (cgroup v1 as root, as create finds it): a group
    whose worker is gone is emptied and removed; a live worker's group is left alone."""
    kwargs = {"memory_bytes": 256 * 1024**2, "processes": 8}
    stale = cgroup.create(dead_name(), **kwargs)
    live = cgroup.create(cgroup.group_name(), **kwargs)
    assert stale is not None and live is not None
    orphan = subprocess.Popen(["sleep", "300"], preexec_fn=stale.enter, start_new_session=True)
    keeper = subprocess.Popen(["sleep", "300"], preexec_fn=live.enter, start_new_session=True)
    try:
        deadline = time.monotonic() + 5
        while not (stale.processes() and live.processes()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert cgroup.sweep_stale() >= 1  # other gone workers' groups may go too
        assert orphan.wait(timeout=5) == -9
        assert not any(folder.exists() for folder in stale.folders())
        assert keeper.poll() is None
        assert all(folder.exists() for folder in live.folders())
        assert live.processes() == {keeper.pid}
    finally:
        for process in (orphan, keeper):
            process.kill()
            process.wait()
        live.kill()
        live.remove()
        stale.remove()
    assert not any(Path(folder).exists() for folder in live.folders())
