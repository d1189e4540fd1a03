"""Broker faults: a queued job's message lost, the broker cut for a minute while a job
runs, a job submitted while the broker cannot be reached."""

import time

import pytest

from scenarios.models import JobStatus
from tests.faults.conftest import INTERVALS, job_describe, job_wait

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

QUICK_SQL = "SELECT count(*) AS n FROM hy_0001"
SLEEP_20 = "import time\ntime.sleep(20)\nprint('slept')\n"
# The reconciler sends a queued job's message again once the last one is this old, at its
# next run.
RECONCILED_WITHIN = (
    INTERVALS["JOBS_REDISPATCH_AFTER_SECONDS"] + 2 * INTERVALS["JOBS_REAP_INTERVAL_SECONDS"]
)


def _is_job_run(headers: dict) -> bool:
    return headers.get("task") == "scenarios.tasks.job_run"


def test_a_queued_job_whose_message_was_deleted_still_runs(cluster, developer):
    cluster.stop("sandbox")  # nobody consumes the sandbox queue
    job_id = developer.job_id(QUICK_SQL, language="sql")

    deadline = time.monotonic() + 15
    while not (messages := cluster.queued_messages("sandbox")) and time.monotonic() < deadline:
        time.sleep(0.2)
    ours = [
        m
        for m in messages
        if _is_job_run(m[2])
        and str(job_id) in m[2].get("argsrepr", "") + m[2].get("kwargsrepr", "")
    ]
    assert ours, f"no job_run message of job {job_id} in the sandbox queue: {messages}"
    # Every job_run message goes (any one may run the fairest queued job).
    for key, raw, headers in messages:
        if _is_job_run(headers):
            cluster.redis_upstream.lrem(key, 0, raw)
    assert not [m for m in cluster.queued_messages("sandbox") if _is_job_run(m[2])]
    deleted_at = time.monotonic()

    cluster.start("sandbox")
    job = job_wait(job_id, until=lambda j: j.finished, timeout=RECONCILED_WITHIN + 60)
    took = time.monotonic() - deleted_at
    assert job.status == JobStatus.SUCCEEDED, (
        job_describe(job) + "\n" + cluster.tails("sandbox", "general", "beat")
    )
    # Within the reconciler's period, with the worker's start and the run itself.
    assert took < RECONCILED_WITHIN + 40, f"the job ran {took:.0f} s after its message went"
    print(f"job {job_id} ran {took:.1f} s after its message was deleted")


def test_a_broker_cut_for_a_minute_while_a_job_runs(cluster, developer):
    job_id = developer.job_id(SLEEP_20)
    job = job_wait(job_id, until=lambda j: j.status == JobStatus.RUNNING, timeout=60)
    assert job.status == JobStatus.RUNNING, job_describe(job) + cluster.tails("sandbox")
    pids = {name: cluster.processes[name].pid for name in ("general", "sandbox", "beat")}
    restarts_before = len(cluster.restarts)

    cluster.proxy.stop()
    try:
        time.sleep(60)
    finally:
        cluster.proxy.start()
    restored_at = time.monotonic()

    # The running job needed only the database: it ended while the broker was away.
    job = job_wait(job_id, until=lambda j: j.finished, timeout=30)
    assert job.status == JobStatus.SUCCEEDED, (
        job_describe(job) + "\n" + cluster.tails("sandbox", "general")
    )
    restarted = [r.name for r in cluster.restarts[restarts_before:]]
    survived = [name for name, pid in pids.items() if cluster.processes[name].pid == pid]
    print(
        f"through the outage: survived {survived}, restarted {restarted}; "
        f"the running job ended {job.status} on attempt {job.attempts}"
    )
    # Every worker either lived through it or was started again by the supervisor.
    for name in ("general", "sandbox"):
        assert cluster.processes[name].alive, cluster.tails(name)

    next_id = developer.job_id(QUICK_SQL, language="sql")
    following = job_wait(next_id, until=lambda j: j.finished, timeout=120)
    assert following.status == JobStatus.SUCCEEDED, (
        job_describe(following) + "\n" + cluster.tails("sandbox", "general", "beat")
    )
    print(f"the next job ran {time.monotonic() - restored_at:.1f} s after the broker was back")


def test_a_job_submitted_while_the_broker_is_unreachable_is_accepted_and_runs(cluster, developer):
    cluster.proxy.stop()
    try:
        started = time.monotonic()
        status, body = developer.submit(QUICK_SQL, language="sql")
        answered = time.monotonic() - started
        assert status == 201, (status, body, cluster.tails("web"))
        assert body["status"] == JobStatus.QUEUED
        assert answered < 15, f"the submission took {answered:.1f} s"
        job_id = body["id"]
        time.sleep(3)
    finally:
        cluster.proxy.start()
    restored_at = time.monotonic()

    job = job_wait(job_id, until=lambda j: j.finished, timeout=RECONCILED_WITHIN + 90)
    assert job.status == JobStatus.SUCCEEDED, (
        job_describe(job) + "\n" + cluster.tails("sandbox", "general", "beat")
    )
    print(f"job {job_id} ran {time.monotonic() - restored_at:.1f} s after the broker was back")
