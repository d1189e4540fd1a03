"""Warm sandboxes: started ahead for a scenario's next job, each serving one job, counting
that job's own work only, discarded when they wait too long or their scenario or workspace
changes, and gone with their worker process. Their isolation is tests/security's, run on
warm sandboxes too."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.signals import worker_process_shutdown
from django.conf import settings

from core.storage import data_path
from scenarios.models import ComputeDraw, JobOutputKind, JobStatus
from scenarios.services import jobs as svc
from scenarios.services.scenarios import scenario_transition, workspace_request
from scenarios.tasks import job_run
from scenarios.worker.warm import warm_pool_close, warm_pool_open, warm_prune, warm_waiting
from tests.factories import authorized_scenario, ran_warm, staff_user, warm_ahead

pytestmark = pytest.mark.django_db


@pytest.fixture
def authorized(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


@pytest.fixture
def pool(settings):
    settings.SANDBOX_WARM_CHECK_SECONDS = 3600  # its thread is outside the test's transaction
    warm_pool_open("tests@localhost")
    yield
    warm_pool_close()


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    def submit(developer, scenario, code, *, language="sql"):
        with django_capture_on_commit_callbacks(execute=True):
            job = svc.job_submit(
                by=developer, scenario=scenario, language=language, code=code, dry_run=False
            )
        job.refresh_from_db()
        return job

    return submit


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _started(pid: int) -> int | None:
    """A process's start time (clock ticks since boot), None once it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError):
        return None


def gone(warm, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while (running(warm.pid) or running(warm.job_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(warm.pid) and not running(warm.job_pid) and not warm.folder.exists()


def stdout(job) -> str:
    return data_path(job.outputs.get(kind=JobOutputKind.STDOUT).path).read_text()


def test_each_job_takes_its_own_sandbox_and_sees_nothing_of_the_previous_one(
    authorized, submit, pool
):
    scenario, developer = authorized
    first = warm_ahead(scenario, "python")
    leaving = (
        "import os\n"
        "for folder in ('/tmp', '/dev/shm', '.'):\n"
        "    open(os.path.join(folder, 'left-behind.txt'), 'w').write('secret')\n"
        "os.environ['LEFT_BEHIND'] = 'secret'\n"
        "import workspace\n"
        "kept = workspace.sql('SELECT count(*) AS n FROM hy_0001')\n"
    )
    job = submit(developer, scenario, leaving, language="python")
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert ran_warm(job) and gone(first)  # used once, then ended
    (second,) = warm_waiting()  # started after the job, for the scenario's next one
    assert second.pid != first.pid and second.folder != first.folder
    looking = (
        "import os\n"
        "print(sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/shm')), os.listdir('.'))\n"
        "print('LEFT_BEHIND' in os.environ, 'kept' in dir())\n"
    )
    job = submit(developer, scenario, looking, language="python")
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert ran_warm(job) and gone(second)
    assert "left-behind" not in stdout(job)
    assert stdout(job).splitlines()[1] == "False False"


def test_a_warm_jobs_cpu_time_wall_time_and_voucher_draw_are_its_own(authorized, submit, pool):
    scenario, developer = authorized
    warm = warm_ahead(scenario)
    assert warm.wait_ready(60)
    fields = Path(f"/proc/{warm.job_pid}/stat").read_text().rsplit(")", 1)[1].split()
    loading = sum(int(value) for value in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    assert loading > 0.05  # Python, DuckDB and its connection: the part a job no longer pays
    time.sleep(1.0)  # the sandbox waits; its job is not charged for the wait
    job = submit(developer, scenario, "SELECT count(*) AS n FROM hy_0001")
    assert job.status == JobStatus.SUCCEEDED and ran_warm(job)
    assert 0 < job.cpu_seconds < loading
    assert job.wall_seconds < 1.0
    draws = ComputeDraw.objects.filter(job=job)
    assert sum(draw.cpu_seconds for draw in draws) == pytest.approx(job.cpu_seconds)


def test_a_warm_jobs_cpu_limit_counts_from_its_arrival(authorized, submit, pool):
    scenario, developer = authorized
    scenario_type = scenario.scenario_type
    scenario_type.sandbox_limits = {"cpu_seconds": 1}
    scenario_type.save(update_fields=["sandbox_limits"])
    warm = warm_ahead(scenario, "python")
    assert warm.wait_ready(60)
    # 0.9 s of CPU of its own after the runtime's loading: within the job's limit of 1 s.
    spin = (
        "import time\n"
        "start = time.process_time()\n"
        "while time.process_time() - start < 0.9:\n"
        "    pass\n"
    )
    job = submit(developer, scenario, spin, language="python")
    assert ran_warm(job)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert 0.8 < job.cpu_seconds < 1.5
    endless = "while True:\n    pass\n"
    job = submit(developer, scenario, endless, language="python")
    assert ran_warm(job)
    assert job.status == JobStatus.KILLED and "CPU time" in job.reason


def test_a_warm_sandbox_that_waits_too_long_is_discarded(authorized, pool, settings):
    scenario, _developer = authorized
    warm = warm_ahead(scenario)
    settings.SANDBOX_WARM_IDLE_SECONDS = 1
    assert warm_prune() == 0
    time.sleep(1.1)
    assert warm_prune() == 1
    assert warm_waiting() == [] and gone(warm)


def test_a_warm_sandbox_of_a_suspended_scenario_is_discarded(authorized, pool):
    scenario, _developer = authorized
    warm = warm_ahead(scenario)
    scenario_transition(by=staff_user("op"), scenario=scenario, action="suspend", reason="核查")
    assert warm_prune() == 1
    assert warm_waiting() == [] and gone(warm)


def test_a_warm_sandbox_of_an_older_workspace_version_is_discarded(
    authorized, submit, pool, django_capture_on_commit_callbacks
):
    scenario, developer = authorized
    warm = warm_ahead(scenario)
    with django_capture_on_commit_callbacks(execute=True):
        workspace_request(by=None, scenario=scenario)  # version 2 is ready
    assert warm_prune() == 1
    assert warm_waiting() == [] and gone(warm)
    fresh = warm_ahead(scenario)
    job = submit(developer, scenario, "SELECT count(*) AS n FROM hy_0001")
    assert job.workspace.version == 2 and ran_warm(job) and gone(fresh)


def test_the_worker_processes_end_takes_its_warm_sandboxes(authorized, pool):
    scenario, _developer = authorized
    warm = warm_ahead(scenario)
    worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    assert warm_waiting() == [] and gone(warm)


KILLED_SUPERVISOR = """
import sys, time
from pathlib import Path
from scenarios.sandbox import engine
workspace, folder, python = map(Path, sys.argv[1:4])
limits = {"cpu_seconds": 5, "wall_seconds": 5, "memory_mb": 2048, "processes": 16,
          "file_size_mb": 5, "open_files": 64, "tmp_mb": 16}
warm = engine.warm_start(engine.RunSpec(language="sql", code="", workspace=workspace,
    tables={}, folder=folder, limits=limits, python=str(python), sandbox_uid=65534,
    cgroups="off"))
print(warm.pid, warm.job_pid, flush=True)
time.sleep(60)
"""


def test_a_killed_worker_process_leaves_no_warm_sandbox_behind(tmp_path):
    workspace, folder = tmp_path / "workspace", tmp_path / "folder"
    workspace.mkdir()
    folder.mkdir()
    command = [sys.executable, "-c", KILLED_SUPERVISOR, workspace, folder, settings.SANDBOX_PYTHON]
    with subprocess.Popen(command, cwd=settings.BASE_DIR, stdout=subprocess.PIPE) as supervisor:
        try:
            pids = [int(pid) for pid in supervisor.stdout.readline().split()]
            assert len(pids) == 2 and all(running(pid) for pid in pids)
            # (pid, start time): a busy machine may give a freed pid to another process
            started = {pid: _started(pid) for pid in pids}
        finally:
            supervisor.send_signal(signal.SIGKILL)

    def alive():
        return [pid for pid in pids if running(pid) and _started(pid) == started[pid]]

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive()  # bubblewrap's --die-with-parent


def test_a_workers_first_job_opens_its_pool_with_one_sandbox_for_the_next(
    authorized, settings, django_capture_on_commit_callbacks
):
    scenario, developer = authorized
    settings.SANDBOX_WARM_CHECK_SECONDS = 3600
    with django_capture_on_commit_callbacks(execute=False):  # not sent: run below
        job = svc.job_submit(
            by=developer, scenario=scenario, language="sql", code="SELECT 1", dry_run=False
        )
    assert warm_waiting() == []
    try:
        job_run(job.pk)  # as a worker's process runs the task (not eagerly)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and not ran_warm(job)
        (waiting,) = warm_waiting()
    finally:
        warm_pool_close()
    assert gone(waiting)
