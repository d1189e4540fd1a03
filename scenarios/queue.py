"""Handing the scenarios' tasks to the broker, by name: services and the worker send work
without importing scenarios.tasks (whose tasks call them).

A task is looked up in the Celery app when it is sent and sent as itself
(core.queueing.enqueue): its route applies (a job's run goes to the sandbox queue) and so
does eager mode. The database is the truth: a dispatch marks what it sent, and whatever a
lost message should have done is found again by beat's reconcilers
(scenarios.worker.reconcile).

A job goes to the sandbox queue, which every sandbox worker consumes, unless an idle
worker has a warm sandbox waiting for the job's scenario and offered it (``warm_offer``):
then the job goes to that worker's own queue (Celery's worker-direct queue), so that it
finds its warm sandbox. A sandbox worker runs one job at a time (--concurrency=1; a
machine runs several), so the worker that offered is the process that holds the sandbox.
An offer is taken by one job; a worker withdraws its offers when it starts any job.
Should a routed message find its worker gone, the job waits queued until beat's reaper
sends it again to the sandbox queue (``jobs_redispatch`` counts that queue only)."""

import logging

import redis
from celery import current_app
from celery.utils.nodenames import worker_direct
from django.utils import timezone

from core.kv import kv_client, kv_name
from core.queueing import enqueue
from scenarios.models import Job, JobStatus, Workspace, WorkspaceStatus

JOB_RUN = "scenarios.tasks.job_run"
WORKSPACE_BUILD = "scenarios.tasks.workspace_build"
OUTPUTS_CHECK = "scenarios.tasks.outputs_check_run"


logger = logging.getLogger(__name__)

# Deletes each offer (KEYS) that is still the worker's own (ARGV[1]).
_WITHDRAW = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
"""


def _task(name: str):
    tasks = current_app.tasks
    if name not in tasks:  # a web process imports the tasks' modules when it first sends
        current_app.loader.import_default_modules()
    return tasks[name]


def send(name: str, *args, **options) -> bool:
    """Send the task named ``name``; False (logged) when the broker cannot be reached."""
    return enqueue(_task(name), *args, **options)


def _offer_name(scenario_id: int) -> str:
    return kv_name(f"warm:{scenario_id}")


def warm_offer(*, worker: str, offers: dict[int, int]) -> None:
    """This idle sandbox worker (its Celery hostname) has a warm sandbox waiting for each
    scenario of ``offers``, for the seconds given at most."""
    if not offers:
        return
    try:
        pipe = kv_client().pipeline(transaction=False)
        for scenario_id, seconds in offers.items():
            pipe.set(_offer_name(scenario_id), worker, ex=max(1, seconds))
        pipe.execute()
    except redis.RedisError:  # the next job starts cold, nothing else
        logger.warning("warm sandboxes could not be offered", exc_info=True)


def warm_withdraw(*, worker: str, scenario_ids: list[int]) -> None:
    """This worker takes back its offers for these scenarios (it is starting a job)."""
    if not scenario_ids:
        return
    try:
        kv_client().eval(_WITHDRAW, len(scenario_ids), *map(_offer_name, scenario_ids), worker)
    except redis.RedisError:  # an offer left behind costs one job a wait for its worker
        logger.warning("warm sandbox offers could not be withdrawn", exc_info=True)


def _warm_worker(scenario_id: int) -> str | None:
    """The worker that offered a warm sandbox for this scenario, taking its offer."""
    try:
        worker = kv_client().getdel(_offer_name(scenario_id))
    except redis.RedisError:
        logger.warning("warm sandbox offers could not be read", exc_info=True)
        return None
    return worker.decode() if worker else None


def job_dispatch(job_id: int, *, scenario_id: int | None = None) -> bool:
    """Hand a queued job's message to the broker (after its row is committed): to the
    worker that offered a warm sandbox for ``scenario_id``, else to the sandbox queue. A
    broker that does not answer leaves the job queued: beat's reconciler sends it again
    (to the sandbox queue: no scenario is given)."""
    worker = _warm_worker(scenario_id) if scenario_id is not None else None
    options = {"queue": worker_direct(worker)} if worker else {}
    sent = send(JOB_RUN, job_id, **options)
    if sent:
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(dispatched_at=timezone.now())
    return sent


def workspace_dispatch(workspace_id: int) -> bool:
    """Hand a workspace's build to the broker; one that does not answer leaves it to
    beat's reaper (``workspaces_redispatch``)."""
    sent = send(WORKSPACE_BUILD, workspace_id)
    if sent:
        Workspace.objects.filter(pk=workspace_id, status=WorkspaceStatus.BUILDING).update(
            dispatched_at=timezone.now()
        )
    return sent


def outputs_check_dispatch(job_id: int) -> bool:
    """Hand a finished real job's output checks to the broker; unsent, beat's reaper
    checks them later."""
    return send(OUTPUTS_CHECK, job_id)
