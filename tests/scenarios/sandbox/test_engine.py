"""Jobs at the real scale: minutes, not seconds. A job runs to its end or to its wall
clock (the wait loop once overflowed at about 52 s), and however the worker's supervision
of a job ends, none of the job's processes outlives it."""

import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from core.storage import data_path
from scenarios.limits import check_limits
from scenarios.models import Job, JobOutputKind, JobStatus
from scenarios.sandbox import engine
from scenarios.services import jobs as svc
from scenarios.worker import jobs as worker_jobs
from tests.factories import authorized_scenario
from tests.security.test_sandbox import SMALL, JobProcesses, assert_no_process_left

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def watch(monkeypatch):
    """The processes of the jobs this test starts (only theirs); none left at its end."""
    processes = JobProcesses(monkeypatch)
    try:
        yield processes
        assert_no_process_left(processes)
    finally:
        processes.close()


@pytest.fixture
def authorized(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


@pytest.fixture
def submit(authorized, django_capture_on_commit_callbacks):
    """Submit a Python job under the given limits and run it to its end (tasks run inline)."""
    scenario, developer = authorized

    def submit(code: str, **limits) -> Job:
        scenario_type = scenario.scenario_type
        scenario_type.sandbox_limits = check_limits({**SMALL, **limits})
        scenario_type.save(update_fields=["sandbox_limits"])
        with django_capture_on_commit_callbacks(execute=True):
            job = svc.job_submit(
                by=developer, scenario=scenario, language="python", code=code, dry_run=False
            )
        job.refresh_from_db()
        assert job.finished, f"job {job.pk} is still {job.status}"
        return job

    return submit


def read(job: Job, name: str) -> str:
    return data_path(job.outputs.get(name=name).path).read_text(errors="replace")


def spec_for(tmp_path: Path, code: str, **limits) -> engine.RunSpec:
    """A job run by the engine itself, without Django's part (no tables)."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    return engine.RunSpec(
        language="python",
        code=code,
        workspace=workspace,
        tables={},
        folder=tmp_path / "job",
        limits={**SMALL, **limits},
        python=django_settings.SANDBOX_PYTHON,
        sandbox_uid=django_settings.SANDBOX_UID,
        cgroups=django_settings.SANDBOX_CGROUPS,
        cgroup_root=django_settings.SANDBOX_CGROUP_ROOT,
    )


SEVENTY_SECONDS = (
    "import time, workspace\n"
    "frame = workspace.table('HY-0001')\n"
    "start = time.monotonic()\n"
    "while time.monotonic() - start < 70:\n"
    "    print('working', round(time.monotonic() - start), flush=True)\n"
    "    time.sleep(5)\n"
    "frame.groupby('berth').size().to_csv('/output/by_berth.csv')\n"
    "print('done', flush=True)\n"
)


def test_a_job_of_seventy_seconds_succeeds_and_its_outputs_come_back(submit, watch):
    job = submit(SEVENTY_SECONDS, cpu_seconds=60, wall_seconds=180)
    assert job.status == JobStatus.SUCCEEDED, (job.reason, read(job, "stderr.txt"))
    assert 70 <= job.wall_seconds < 120
    assert read(job, "stdout.txt").splitlines()[-1] == "done"
    lines = read(job, "by_berth.csv").splitlines()
    assert lines[0] == "berth,0" and len(lines) == 8  # seven berths
    # The worker beat all along (the reaper would otherwise have taken the job).
    assert (job.heartbeat_at - job.started_at).total_seconds() >= 60


SPIN = (
    "import time\n"
    "start, n = time.monotonic(), 0\n"
    "while True:\n"
    "    n += 1\n"
    "    if n % 1_000_000 == 0:\n"
    "        print('spinning', round(time.monotonic() - start, 1), flush=True)\n"
)


def test_a_spinning_job_ends_timed_out_at_its_wall_clock_with_its_partial_logs(submit, watch):
    job = submit(SPIN, cpu_seconds=600, wall_seconds=60)
    assert job.status == JobStatus.TIMED_OUT, job.reason
    assert job.reason == "Stopped at the wall-clock limit of 60 s."
    assert 60 <= job.wall_seconds <= 90
    assert job.cpu_seconds > 5
    progress = read(job, "stdout.txt").splitlines()
    assert progress and all(line.startswith("spinning ") for line in progress)
    assert float(progress[-1].split()[1]) >= 50  # the log of its last seconds is kept
    assert read(job, "stderr.txt") == ""
    assert sorted(o.kind for o in job.outputs.all()) == [
        JobOutputKind.STDERR,
        JobOutputKind.STDOUT,
    ]
    assert not data_path(job.folder).exists()


# Children, a grandchild that left the session and ignores SIGTERM, and a parent that
# waits for ever: all must go.
FAMILY = (
    "import os, signal, time\n"
    "for i in range(3):\n"
    "    if os.fork() == 0:\n"
    "        time.sleep(600)\n"
    "        os._exit(0)\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "        signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
    "        time.sleep(600)\n"
    "    os._exit(0)\n"
    "print('started', flush=True)\n"
    "while True:\n"
    "    time.sleep(1)\n"
)


def test_an_exception_in_supervision_after_a_minute_leaves_no_process_of_the_job(tmp_path, watch):
    """Past the old overflow (about 52 s), the supervision itself fails (as a lost database
    connection makes the heartbeat fail): the engine raises, and by then every process of
    the job is gone, and its control group too."""
    started = time.monotonic()
    seen = []

    def should_stop() -> bool:
        if time.monotonic() - started < 60:
            return False
        seen.append(watch.live())
        raise RuntimeError("the supervision failed")

    spec = spec_for(tmp_path, FAMILY, cpu_seconds=60, wall_seconds=600)
    with pytest.raises(RuntimeError, match="the supervision failed"):
        engine.run(spec, should_stop=should_stop)
    left = watch.live()  # at once: no grace
    assert not left, f"processes of the job outlived its supervision: {sorted(left)}"
    assert not watch.groups_left()
    assert len(seen[0]) >= 6  # bubblewrap, the job, three children, the grandchild
    assert (spec.folder / "stdout.txt").read_text() == "started\n"
    assert 60 <= time.monotonic() - started < 90


def test_an_exception_in_supervision_fails_the_job_and_leaves_no_process(
    submit, watch, monkeypatch
):
    """Through the worker's own path: the heartbeat raises (the database went away)."""
    started = time.monotonic()

    def failing_heartbeat(*args, **kwargs):
        def should_stop() -> bool:
            if time.monotonic() - started > 3:
                raise RuntimeError("the database went away")
            return False

        return should_stop

    monkeypatch.setattr(worker_jobs, "_heartbeat", failing_heartbeat)
    job = submit(FAMILY, cpu_seconds=60, wall_seconds=600)
    assert not watch.live()  # at once: no grace
    assert job.status == JobStatus.FAILED
    assert job.reason == "The worker could not run the job; operator staff see the log."
    assert not watch.groups_left()
    assert not data_path(job.folder).exists()
