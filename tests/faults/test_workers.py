"""Worker faults: a sandbox worker killed mid-job, every worker stopped (SIGSTOP)."""

import signal
import time

import pytest

from core.storage import data_path
from scenarios.models import JobStatus
from tests.faults.conftest import INTERVALS, job_describe, job_processes, job_wait

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SLEEP_20 = "import time\ntime.sleep(20)\nprint('slept')\n"


def test_a_sandbox_worker_killed_mid_job_leaves_no_sandbox_and_the_job_reruns_once(
    cluster, developer
):
    job_id = developer.job_id(SLEEP_20)
    job = job_wait(job_id, until=lambda j: j.status == JobStatus.RUNNING, timeout=60)
    assert job.status == JobStatus.RUNNING, job_describe(job) + cluster.tails("sandbox")
    first = job_processes(job_id)
    assert first.processes, f"no sandbox process of job {job_id} found"
    time.sleep(3)  # well inside the job's 20 s

    restarts_before = len(cluster.restarts)
    cluster.signal("sandbox", signal.SIGKILL)  # main process and pool: the whole worker
    killed_at = time.monotonic()
    first.end()

    # The sandbox dies with the process that supervised it.
    deadline = time.monotonic() + 10
    while (left := first.alive()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"the first attempt's sandbox outlived its worker: {left}"

    # The supervisor (this harness) starts the worker again; the reaper requeues the job
    # once its heartbeat is stale, and it runs again to its end.
    reap = INTERVALS["SANDBOX_REAP_AFTER_SECONDS"] + 2 * INTERVALS["JOBS_REAP_INTERVAL_SECONDS"]
    job = job_wait(job_id, until=lambda j: j.finished, timeout=reap + 90)
    took = time.monotonic() - killed_at
    assert "sandbox" in [r.name for r in cluster.restarts[restarts_before:]]
    assert job.status == JobStatus.SUCCEEDED, (
        job_describe(job) + "\n" + cluster.tails("sandbox", "general", "beat")
    )
    assert job.attempts == 2, job_describe(job)
    assert job.started_at is not None
    print(f"job {job_id} ran again and succeeded {took:.1f} s after the kill")

    # Nothing of either attempt is left: processes, the first attempt's folder.
    assert not first.alive()
    assert not job_processes(job_id, timeout=0.5).alive()
    assert not data_path(f"jobs/{job_id}/a1").exists()


def test_stopped_workers_show_as_down_and_jobs_run_once_they_continue(cluster, developer):
    deadline = time.monotonic() + 20
    while (health := cluster.healthz())[1].get("workers") != "ok" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert health[0] == 200 and health[1].get("workers") == "ok", health
    assert cluster.healthz("?require=workers")[0] == 200

    for name in ("general", "sandbox"):
        cluster.signal(name, signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        while time.monotonic() - stopped_at < 45:
            status, body = cluster.healthz()
            if body.get("workers") == "down":
                break
            time.sleep(1)
        took = time.monotonic() - stopped_at
        assert body.get("workers") == "down", f"/healthz after {took:.0f} s: {status} {body}"
        assert status == 200, (status, body)  # database and broker still answer
        required, required_body = cluster.healthz("?require=workers")
        assert required == 503, (required, required_body)
        print(f"/healthz said the workers were down {took:.1f} s after SIGSTOP")
    finally:
        for name in ("general", "sandbox"):
            cluster.signal(name, signal.SIGCONT)

    job_id = developer.job_id("SELECT count(*) AS n FROM hy_0001", language="sql")
    job = job_wait(job_id, until=lambda j: j.finished, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job_describe(job) + cluster.tails("sandbox")
    deadline = time.monotonic() + 20
    while cluster.healthz("?require=workers")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    status, body = cluster.healthz("?require=workers")
    assert status == 200 and body.get("workers") == "ok", (status, body)
