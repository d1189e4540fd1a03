"""Warm sandboxes across sandbox workers, as deployed (one job at a time each): a
scenario's next job is sent to the worker whose warm sandbox waits for it, whichever
worker ran the previous one; an offer left by a worker that died costs its job only the
wait for beat's reaper."""

import signal
import time

import pytest

from config.celery import WORKER_WITHOUT
from scenarios.models import JobStatus
from tests.factories import ran_warm
from tests.faults.conftest import INTERVALS, VENV_BIN, job_describe, job_wait

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SQL = "SELECT 42 AS answer"
WORKERS = ("jobs1", "jobs2")


@pytest.fixture
def two_workers(cluster):
    """The cluster's sandbox worker stopped and two of one job each in its place."""
    cluster.stop("sandbox")
    for name in WORKERS:
        cluster.add(
            name,
            [
                str(VENV_BIN / "celery"),
                "--app=config",
                "worker",
                "--queues=sandbox",
                "--concurrency=1",
                f"--hostname={name}@faults",
                *WORKER_WITHOUT,
                "--loglevel=INFO",
            ],
            " ready.",
        )
        cluster.start(name)
    yield
    for name in WORKERS:
        cluster.remove(name)
    cluster.start("sandbox")


def offer(cluster, scenario_id: int, timeout: float = 30) -> str | None:
    """The worker offering a warm sandbox for the scenario, once one does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = cluster.redis_upstream.get(f"svc:warm:{scenario_id}")
        if found:
            return found.decode()
        time.sleep(0.1)
    return None


def test_a_scenarios_next_job_finds_its_warm_sandbox_whichever_worker_ran_the_last(
    cluster, developer, two_workers
):
    job = job_wait(developer.job_id(SQL, language="sql"), until=lambda j: j.finished, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job_describe(job) + cluster.tails(*WORKERS)
    for _ in range(6):
        offered = offer(cluster, developer.scenario_id)
        assert offered == job.worker, (offered, job.worker, cluster.tails(*WORKERS))
        following = job_wait(
            developer.job_id(SQL, language="sql"), until=lambda j: j.finished, timeout=60
        )
        assert following.status == JobStatus.SUCCEEDED, job_describe(following)
        assert following.worker == offered, job_describe(following)
        assert ran_warm(following), job_describe(following) + cluster.tails(*WORKERS)
        assert not cluster.queued_messages(f"{offered}.dq2")  # nothing left in its queue
        job = following


def test_a_job_sent_to_a_worker_that_died_runs_on_another(cluster, developer, two_workers):
    job = job_wait(developer.job_id(SQL, language="sql"), until=lambda j: j.finished, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job_describe(job) + cluster.tails(*WORKERS)
    offered = offer(cluster, developer.scenario_id)
    assert offered == job.worker
    gone = offered.split("@")[0]
    cluster.processes[gone].held = True  # not restarted: its queue has no consumer
    cluster.signal(gone, signal.SIGKILL)

    started = time.monotonic()
    following = job_wait(
        developer.job_id(SQL, language="sql"),
        until=lambda j: j.finished,
        timeout=INTERVALS["JOBS_REDISPATCH_AFTER_SECONDS"] + 60,
    )
    assert following.status == JobStatus.SUCCEEDED, job_describe(following) + cluster.tails(
        *WORKERS, "beat"
    )
    assert following.worker != offered
    took = time.monotonic() - started
    print(f"the job sent to a dead worker ran on {following.worker} {took:.1f} s later")
