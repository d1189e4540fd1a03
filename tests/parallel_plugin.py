"""pytest plugin: the suite runs on WORKERS processes (pytest-xdist's ``-n auto``, in
addopts) when pytest is given the whole suite or folders of it, and in pytest's own process
when given files or single tests (no workers to start for them). ``-n N`` (``-n 0``: no
workers) or PYTEST_XDIST_AUTO_NUM_WORKERS choose otherwise.

Every xdist worker has its own test database (pytest-django's suffix), its own Redis
database number (tests/localredis_plugin.py), its own temporary folders (pytest's basetemp)
and its own ports for the fault tests (tests/faults/conftest.py). The tests under a folder
of SERIAL_GROUPS run on one worker, one after another (the largest groups start first);
every other test goes to whichever worker is free.
"""

import os
from pathlib import Path

import pytest

WORKERS = 3

# Tests under these folders (or files) run on one worker, one after another, by group.
SERIAL_GROUPS = {
    "tests/faults/": "faults",  # one set of processes for the folder
    "tests/e2e/": "browser",  # one browser
    # warm sandboxes readied within a time and their CPU time measured: not two at once
    "tests/scenarios/worker/test_warm.py": "warm",
}


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of it
    if all(Path(arg.partition("::")[0]).is_dir() for arg in config.args):
        return WORKERS
    return 0


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's --dist loadscope with SERIAL_GROUPS as the scopes and each other test its
    own (xdist's loadgroup and its xdist_group marks do not reach pytest 9's node ids)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SerialGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for folder, group in SERIAL_GROUPS.items():
                if nodeid.startswith(folder):
                    return group
            return nodeid

    return SerialGroups(config, log)
