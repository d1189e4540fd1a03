"""Database faults: every connection of the web server and the workers terminated, three
times, while requests come in and jobs run."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from scenarios.models import JobStatus
from tests.faults.conftest import job_describe, job_wait

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

ROUNDS = 3
WEB_WORKERS = 2  # gunicorn's sync workers: at most this many requests in flight
# A request fails only when it is in flight as its connection goes: at most one per web
# worker and kill, and one more started as a terminated backend was still going away.
FAILURES_PER_KILL = WEB_WORKERS + 1
# A failed request's answer comes at most this long after the kill that caused it.
FAILURE_WINDOW_SECONDS = 5


def _terminate_other_backends() -> int:
    """pg_terminate_backend for every other connection to the test database; returns once
    they are gone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
            if not cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    return len(pids)


def test_terminated_database_connections_cost_only_requests_in_flight(cluster, developer):
    if connection.vendor != "postgresql":
        pytest.skip("terminating other connections needs PostgreSQL (pg_terminate_backend)")
    jobs = [developer.job_id(f"import time\ntime.sleep({6 + n})\n") for n in range(3)]
    job_wait(jobs[0], until=lambda j: j.status == JobStatus.RUNNING, timeout=60)

    outcomes: list[tuple[float, int | str]] = []
    stop = threading.Event()

    def traffic(paths):
        while not stop.is_set():
            for path in paths:
                try:
                    status, _body = cluster.http("GET", path, token=developer.token, timeout=20)
                except OSError as exc:
                    status = type(exc).__name__
                outcomes.append((time.monotonic(), status))

    threads = [
        threading.Thread(target=traffic, args=(paths,), daemon=True)
        for paths in (
            [f"/api/v1/jobs/{jobs[0]}/", "/api/v1/me/"],
            [f"/api/v1/scenarios/{developer.scenario_id}/jobs/", "/healthz"],
            [f"/api/v1/jobs/{jobs[1]}/", f"/api/v1/scenarios/{developer.scenario_id}/"],
        )
    ]
    for thread in threads:
        thread.start()
    submitted = []
    try:
        time.sleep(2)
        terminated, kills = [], []
        for _round in range(ROUNDS):
            kills.append(time.monotonic())
            terminated.append(_terminate_other_backends())
            status, body = developer.submit("SELECT 1 AS one", language="sql")
            outcomes.append((time.monotonic(), status))
            if status == 201:
                submitted.append(body["id"])
            time.sleep(2.5)
        time.sleep(5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    failures = [
        (at, status) for at, status in outcomes if not (isinstance(status, int) and status < 500)
    ]
    counts = Counter(status for _at, status in outcomes)
    print(f"terminated {terminated} connections; {len(outcomes)} requests: {dict(counts)}")
    assert sum(terminated) >= ROUNDS, "no connection of the web server or workers was found"
    assert len(outcomes) >= 30, dict(counts)
    assert len(failures) <= ROUNDS * FAILURES_PER_KILL, (failures, cluster.tails("web"))
    # No burst: every failure answers a request in flight at a kill, none comes later.
    late = [
        (round(at - kills[0], 1), status)
        for at, status in failures
        if not any(0 <= at - kill <= FAILURE_WINDOW_SECONDS for kill in kills)
    ]
    assert not late, (late, cluster.tails("web"))
    assert len(submitted) >= ROUNDS - 1, (submitted, dict(counts))

    # Every job ends and succeeds on its first attempt: one running or ending as the
    # connections are cut records its end on a new connection, never left to the reaper
    # to run again; its outputs and its charge on the voucher are recorded once.
    for job_id in jobs + submitted:
        job = job_wait(job_id, until=lambda j: j.finished, timeout=120)
        described = job_describe(job) + "\n" + cluster.tails("sandbox", "general")
        assert job.status == JobStatus.SUCCEEDED, described
        assert job.attempts == 1, described
        names = list(job.outputs.values_list("name", flat=True))
        assert len(names) == len(set(names)), (names, described)
        draws = list(job.draws.values_list("cpu_seconds", flat=True))
        assert len(draws) <= 1, (draws, described)
        assert sum(draws) == pytest.approx(job.cpu_seconds or 0.0), (draws, described)
