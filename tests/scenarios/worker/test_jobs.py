"""The database is the truth of the job queue: jobs are accepted whatever the broker does,
lost messages are sent again, silent workers' jobs are requeued once, and every free slot
goes to the organization with the fewest running jobs."""

import datetime
import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.models import AuditEvent, WorkerHeartbeat
from core.storage import data_path
from core.workers import WorkerBeating, sandbox_workers_ok
from scenarios.models import Job, JobOutput, JobOutputKind, JobStatus
from scenarios.sandbox import collect, engine
from scenarios.services import jobs as svc
from scenarios.services.outputs import _store
from scenarios.worker import jobs as worker_jobs
from tests.factories import authorized_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_organizations(tmp_path, django_capture_on_commit_callbacks):
    """(lab scenario, lab developer, insurer scenario, insurer developer)."""
    with django_capture_on_commit_callbacks(execute=True):
        lab = authorized_scenario(tmp_path)
        insurer = authorized_scenario(tmp_path, username="ins", organization="保险公司")
    return (*lab, *insurer)


def queued(by, scenario, code="SELECT 1") -> Job:
    """A job left queued: its message is not sent (its on-commit hook never runs)."""
    return svc.job_submit(by=by, scenario=scenario, language="sql", code=code, dry_run=False)


def _connect_to(url: str) -> None:
    celery_app.conf.broker_write_url = url
    celery_app._after_fork()  # forget pooled connections to the previous broker


@pytest.fixture
def broker_unreachable():
    """The Celery app talks to a closed port (a real connection refused, not a mock)."""
    celery_app.conf.task_always_eager = False
    before = celery_app.conf.broker_write_url
    _connect_to("redis://127.0.0.1:1/0")
    yield
    _connect_to(before)


def test_a_job_is_accepted_while_the_broker_is_down_and_sent_again_once_it_is_back(
    two_organizations, broker_unreachable, django_capture_on_commit_callbacks
):
    scenario, developer, *_ = two_organizations
    client = APIClient()
    client.force_authenticate(developer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/scenarios/{scenario.pk}/jobs/",
            {"language": "sql", "code": "SELECT 42 AS answer"},
            format="json",
        )
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.QUEUED and job.dispatched_at is None
    assert worker_jobs.jobs_redispatch() == 0  # still down: nothing sent, nothing lost
    job.refresh_from_db()
    assert job.dispatched_at is None
    celery_app.conf.task_always_eager = True  # the broker is back (tasks run inline)
    assert worker_jobs.jobs_redispatch() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.reason


def test_the_reconciler_sends_only_what_the_broker_queue_lacks(two_organizations):
    scenario, developer, *_ = two_organizations
    jobs = [queued(developer, scenario) for _ in range(3)]
    now = timezone.now() + datetime.timedelta(minutes=5)
    Job.objects.filter(pk=jobs[0].pk).update(dispatched_at=timezone.now())
    # Three queued jobs and three messages waiting: nothing to send.
    assert worker_jobs.jobs_redispatch(now=now, queued_messages=3) == 0
    # One message lost: one job runs (inline here), whichever is fairest.
    assert worker_jobs.jobs_redispatch(now=now, queued_messages=2) == 1
    assert Job.objects.filter(status=JobStatus.SUCCEEDED).count() == 1
    # A message sent a moment ago is not sent again.
    fresh = queued(developer, scenario)
    Job.objects.filter(pk=fresh.pk).update(dispatched_at=timezone.now())
    Job.objects.exclude(pk=fresh.pk).filter(status=JobStatus.QUEUED).delete()
    assert worker_jobs.jobs_redispatch(queued_messages=0) == 0


def test_a_free_slot_goes_to_the_organization_with_fewest_running_jobs(two_organizations):
    lab, lab_dev, insurer, insurer_dev = two_organizations
    burst = [queued(lab_dev, lab) for _ in range(4)]
    single = queued(insurer_dev, insurer)
    first = worker_jobs.job_start(job_id=burst[0].pk, worker="w1")
    assert first.pk == burst[0].pk  # nobody runs: the message's own job
    # The lab now runs one job, the insurer none: the insurer's job goes next, whichever
    # message comes, though four of the lab's were submitted before it.
    second = worker_jobs.job_start(job_id=burst[1].pk, worker="w2")
    assert second.pk == single.pk
    third = worker_jobs.job_start(job_id=single.pk, worker="w3")
    assert third.pk == burst[1].pk  # the lab's oldest still queued
    assert worker_jobs.job_start(job_id=single.pk, worker="w4").pk == burst[2].pk
    assert worker_jobs.job_start(job_id=single.pk, worker="w5").pk == burst[3].pk
    assert worker_jobs.job_start(job_id=single.pk, worker="w6") is None  # nothing left: a no-op


def test_the_reaper_requeues_a_silent_workers_job_and_removes_its_folder(
    two_organizations, django_capture_on_commit_callbacks
):
    scenario, developer, *_ = two_organizations
    job = queued(developer, scenario)
    job = worker_jobs.job_start(job_id=job.pk, worker="lost")
    folder = data_path(job.folder)
    (folder / "output").mkdir(parents=True)
    (folder / "output" / "partial.csv").write_text("a\n")
    # Heartbeats within SANDBOX_REAP_AFTER_SECONDS (30 s) keep it running.
    assert worker_jobs.jobs_reap(now=job.heartbeat_at + datetime.timedelta(seconds=20)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert worker_jobs.jobs_reap(now=job.heartbeat_at + datetime.timedelta(seconds=40)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2  # requeued, run again
    assert not folder.exists()
    actions = AuditEvent.objects.filter(target_id=str(job.pk), action__startswith="job.")
    assert "job.requeue" in set(actions.values_list("action", flat=True))


def test_an_end_recorded_again_keeps_its_outputs_and_charges_once(two_organizations):
    """The worker records a job's end again when its connection was cut as it committed;
    the commit may have gone through. A late end of an attempt requeued meanwhile is
    dropped with its files."""
    scenario, developer, *_ = two_organizations
    job = worker_jobs.job_start(job_id=queued(developer, scenario).pk, worker="w")

    def kept(attempt: int) -> list:
        quarantine = data_path(f"quarantine/{job.pk}/a{attempt}")
        quarantine.mkdir(parents=True)
        (quarantine / "result.csv").write_text("n\n1\n")
        item = collect.Collected("result.csv", 4, "0" * 64, quarantine / "result.csv")
        return [(JobOutputKind.FILE, item)]

    outputs = kept(1)
    result = engine.RunResult(outcome="succeeded", cpu_seconds=2.0)
    for _try in range(2):
        worker_jobs.job_finish(job_id=job.pk, attempt=1, result=result, outputs=outputs)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1
    assert list(job.outputs.values_list("name", flat=True)) == ["result.csv"]
    assert outputs[0][1].path.exists()
    assert list(job.draws.values_list("cpu_seconds", flat=True)) == [2.0]

    late = kept(2)
    worker_jobs.job_finish(job_id=job.pk, attempt=2, result=result, outputs=late)
    assert not late[0][1].path.exists()
    assert job.outputs.count() == 1 and job.draws.count() == 1


def test_an_attempt_the_reaper_gave_up_on_stops_its_sandbox(two_organizations, settings):
    settings.SANDBOX_HEARTBEAT_SECONDS = 1
    scenario, developer, *_ = two_organizations
    job = worker_jobs.job_start(job_id=queued(developer, scenario).pk, worker="slow")
    should_stop = worker_jobs._heartbeat(job)
    assert should_stop() is False
    # The reaper requeued it meanwhile (the worker looked dead): this attempt stops.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    import time

    time.sleep(1.1)
    assert should_stop() is True


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_beats_is_alive_and_one_that_stops_cleanly_is_gone_at_once(client, settings):
    assert not sandbox_workers_ok()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["workers"] == "down"
    assert client.get("/healthz?require=workers").status_code == 503
    beating = WorkerBeating("sandbox1@host", ["sandbox"])
    beating.start()
    try:
        for _ in range(50):
            if WorkerHeartbeat.objects.filter(hostname="sandbox1@host").exists():
                break
            threading.Event().wait(0.1)
        assert sandbox_workers_ok()
        assert client.get("/healthz").json()["workers"] == "ok"
        assert client.get("/healthz?require=workers").status_code == 200
    finally:
        beating.stop()
    assert not WorkerHeartbeat.objects.filter(hostname="sandbox1@host").exists()
    # A worker that only consumes the general queue does not run jobs.
    WorkerHeartbeat.objects.create(
        hostname="general@host",
        queues="celery",
        pid=1,
        started_at=timezone.now(),
        seen_at=timezone.now(),
    )
    assert not sandbox_workers_ok()
    # A sandbox worker last seen longer ago than WORKER_DOWN_AFTER_SECONDS is down.
    WorkerHeartbeat.objects.create(
        hostname="stopped@host",
        queues="celery,sandbox",
        pid=2,
        started_at=timezone.now(),
        seen_at=timezone.now() - datetime.timedelta(seconds=settings.WORKER_DOWN_AFTER_SECONDS + 1),
    )
    assert not sandbox_workers_ok()


@pytest.mark.django_db(transaction=True)
def test_jobs_finishing_and_outputs_checked_at_once_never_deadlock(tmp_path):
    """One lock order: a job's own row (or an output's), then the audit chain head. Job
    starts and finishes, and output checks, of one organization in threads at once."""
    scenario, developer = authorized_scenario(tmp_path)
    jobs = [queued(developer, scenario) for _ in range(8)]  # run at once (eager tasks)
    Job.objects.update(status=JobStatus.QUEUED, attempts=0, finished_at=None)
    done = worker_jobs.job_start(job_id=jobs[0].pk, worker="w0")
    worker_jobs.job_finish(
        job_id=done.pk, attempt=1, result=engine.RunResult(outcome="succeeded"), outputs=[]
    )
    outputs = [
        JobOutput.objects.create(
            job=done, name=f"o{i}.csv", kind="file", size=1, sha256="0", path="x"
        )
        for i in range(8)
    ]
    errors: list[BaseException] = []

    def run_job(job: Job) -> None:
        try:
            started = worker_jobs.job_start(job_id=job.pk, worker=f"w{job.pk}")
            if started is not None:
                worker_jobs.job_finish(
                    job_id=started.pk,
                    attempt=started.attempts,
                    result=engine.RunResult(outcome="succeeded", cpu_seconds=0.1),
                    outputs=[],
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def check(output: JobOutput) -> None:
        try:
            _store(output, {"checks": {}, "status": "review", "summary": "s"})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_job, args=(job,)) for job in jobs[1:]]
    threads += [threading.Thread(target=check, args=(output,)) for output in outputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Job.objects.filter(status=JobStatus.SUCCEEDED).count() == 8
    checked = JobOutput.objects.filter(pk__in=[o.pk for o in outputs], check_status="review")
    assert checked.count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_claim_whose_commit_lost_its_answer_runs_its_job_at_once_and_once(tmp_path, monkeypatch):
    """The database connection is cut as the claim's transaction commits: the claim
    landed, the worker is told it failed. Trying again on a new connection, the worker
    finds its claim and runs the job on its first attempt; the reaper has nothing to run
    again."""
    scenario, developer = authorized_scenario(tmp_path)
    database = connections[DEFAULT_DB_ALIAS]
    commit, claims, cuts = database.commit, [], []

    def watched(execute, sql, params, many, context):
        if sql.startswith('UPDATE "scenarios_job"') and '"started_at"' in sql:
            claims.append(sql)
        return execute(sql, params, many, context)

    def commit_answer_lost():
        commit()
        if claims and not cuts:  # the first claim's commit, gone through
            cuts.append(True)
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(vars(database), "commit", commit_answer_lost)
    with database.execute_wrapper(watched):
        job = svc.job_submit(  # run at once (its task, eager, sent after commit)
            by=developer, scenario=scenario, language="sql", code="SELECT 1", dry_run=False
        )
    assert cuts, "no claim's commit was cut"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1, (job.status, job.reason)
    assert worker_jobs.jobs_reap(now=timezone.now() + datetime.timedelta(seconds=40)) == 0
    actions = list(
        AuditEvent.objects.filter(target_id=str(job.pk)).values_list("action", flat=True)
    )
    assert actions.count("job.start") == actions.count("job.succeeded") == 1, actions


def test_a_job_being_cancelled_when_its_worker_was_lost_ends_cancelled(
    two_organizations, django_capture_on_commit_callbacks
):
    scenario, developer, *_ = two_organizations
    job = worker_jobs.job_start(job_id=queued(developer, scenario).pk, worker="lost")
    svc.job_cancel(by=developer, job=job)  # asked while it ran; then its worker died
    with django_capture_on_commit_callbacks(execute=True):
        assert worker_jobs.jobs_reap(now=job.heartbeat_at + datetime.timedelta(seconds=40)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.attempts == 1
    assert "worker running the job was lost" in job.reason


def test_a_workspace_requested_while_the_broker_is_down_is_built_once_it_is_back(
    two_organizations, broker_unreachable, django_capture_on_commit_callbacks
):
    from scenarios.models import WorkspaceStatus
    from scenarios.services.scenarios import workspace_request
    from scenarios.worker.workspaces import workspaces_redispatch

    scenario, *_ = two_organizations
    with django_capture_on_commit_callbacks(execute=True):
        workspace = workspace_request(by=None, scenario=scenario)  # a new catalog version
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.BUILDING and workspace.dispatched_at is None
    later = timezone.now() + datetime.timedelta(minutes=2)
    assert workspaces_redispatch(now=later) == 0  # still down
    celery_app.conf.task_always_eager = True  # the broker is back (tasks run inline)
    # Just requested: its own dispatch may still be on its way (a second build at once
    # could fail the first), so it is not sent again yet.
    assert workspaces_redispatch() == 0
    assert workspaces_redispatch(now=later) == 1
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.READY
    assert workspaces_redispatch(now=later) == 0  # nothing left to send


def test_a_workspace_build_whose_message_was_lost_long_ago_is_sent_again(two_organizations):
    from scenarios.models import Workspace, WorkspaceStatus
    from scenarios.worker.workspaces import workspaces_redispatch

    scenario, *_ = two_organizations
    building = Workspace.objects.create(
        scenario=scenario, version=9, path=f"workspaces/{scenario.pk}/v9"
    )
    Workspace.objects.filter(pk=building.pk).update(dispatched_at=timezone.now())
    assert workspaces_redispatch() == 0  # sent a moment ago: still on its way
    assert workspaces_redispatch(now=timezone.now() + datetime.timedelta(hours=3)) == 1
    building.refresh_from_db()
    assert building.status == WorkspaceStatus.READY
