"""Celery tasks of scenarios: thin wrappers that take primary keys and call the worker's
side (scenarios.worker) or the services, which re-fetch and re-check state. Services send
these tasks by name (scenarios.queue) and never import this module."""

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_ready, worker_shutdown
from django.conf import settings

from scenarios.dataservices.calllog import calls_log_drain
from scenarios.models import Job
from scenarios.services.outputs import outputs_check
from scenarios.services.scenarios import scenarios_expire
from scenarios.worker.jobs import job_execute, sandboxes_sweep
from scenarios.worker.reconcile import reconcile
from scenarios.worker.warm import warm_pool_close, warm_pool_open
from scenarios.worker.workspaces import workspace_materialize


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def workspace_build(workspace_id: int) -> None:
    """Materialize a workspace; idempotent (only a workspace still building is built)."""
    workspace_materialize(workspace_id)


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def scenarios_expire_due() -> int:
    """Periodic (Celery beat): expire the scenarios whose period has ended."""
    return scenarios_expire()


# A job's own wall clock (at most SANDBOX_MAX_LIMITS) is enforced by the engine; Celery's
# limits are only a backstop above it.
JOB_TIME_LIMIT = settings.SANDBOX_MAX_LIMITS["wall_seconds"] + 600


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=JOB_TIME_LIMIT,
    time_limit=JOB_TIME_LIMIT + 60,
)
def job_run(self, job_id: int) -> None:
    """Run one job in the sandbox (queue ``sandbox``); idempotent: only a queued job runs.
    A worker's process keeps warm sandboxes from its first job on."""
    worker = self.request.hostname or "eager"  # eager, or called directly
    if not self.request.is_eager:
        warm_pool_open(worker)
    job_execute(job_id=job_id, worker=worker)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def jobs_reap_due() -> int:
    """Periodic (Celery beat, every JOBS_REAP_INTERVAL_SECONDS): requeue once, or fail,
    jobs whose worker went silent; send again the messages of queued jobs and workspace
    builds the broker may have lost; check the outputs a dead worker left unchecked."""
    return reconcile()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def service_calls_drain() -> int:
    """Periodic (Celery beat, every SERVICES_LOG_DRAIN_SECONDS): move the data services'
    call log from its Redis stream into the database."""
    return calls_log_drain()


@worker_ready.connect
def _sweep_sandboxes(sender, **_kwargs) -> None:
    """A sandbox worker starting removes what its dead predecessors on this machine left
    (their jobs' processes died with them: bubblewrap's --die-with-parent)."""
    if settings.JOBS_QUEUE in sender.app.amqp.queues.consume_from:
        sandboxes_sweep()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _discard_warm_sandboxes(**_kwargs) -> None:
    """A worker's process ending discards its warm sandboxes (a killed one's die with it:
    bubblewrap's --die-with-parent)."""
    warm_pool_close()


@shared_task(acks_late=True, soft_time_limit=7200, time_limit=7300)
def outputs_check_run(job_id: int) -> None:
    """The automatic disclosure checks of a finished real job's outputs (each bounded in
    memory and time); idempotent: only outputs still pending are checked."""
    job = Job.objects.select_related("scenario__scenario_type", "workspace").get(pk=job_id)
    outputs_check(job)
