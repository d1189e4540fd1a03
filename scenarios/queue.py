"""Handing the scenarios' tasks to the broker, by name: services and the worker send work
without importing scenarios.tasks (whose tasks call them).

A task is looked up in the Celery app when it is sent and sent as itself
(core.queueing.enqueue): its route applies (a job's run goes to the sandbox queue) and so
does eager mode. The database is the truth: a dispatch marks what it sent, and whatever a
lost message should have done is found again by beat's reconcilers
(scenarios.worker.reconcile)."""

from celery import current_app
from django.utils import timezone

from core.queueing import enqueue
from scenarios.models import Job, JobStatus, Workspace, WorkspaceStatus

JOB_RUN = "scenarios.tasks.job_run"
WORKSPACE_BUILD = "scenarios.tasks.workspace_build"
OUTPUTS_CHECK = "scenarios.tasks.outputs_check_run"


def _task(name: str):
    tasks = current_app.tasks
    if name not in tasks:  # a web process imports the tasks' modules when it first sends
        current_app.loader.import_default_modules()
    return tasks[name]


def send(name: str, *args) -> bool:
    """Send the task named ``name``; False (logged) when the broker cannot be reached."""
    return enqueue(_task(name), *args)


def job_dispatch(job_id: int) -> bool:
    """Hand a queued job's message to the broker (after its row is committed). A broker
    that does not answer leaves the job queued: beat's reconciler sends it again."""
    sent = send(JOB_RUN, job_id)
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
