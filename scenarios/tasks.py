"""Celery tasks of scenarios. Tasks take primary keys, re-fetch and re-check state."""

import logging
from datetime import timedelta

from celery import current_app, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import ChannelError

from core.queueing import enqueue
from core.services.audit import audit_record
from core.storage import data_path
from operation.models import CatalogStatus, CatalogVersion
from scenarios.models import ScenarioStatus, Workspace, WorkspaceStatus
from scenarios.workspace import materialize

logger = logging.getLogger(__name__)


def _tables(workspace: Workspace) -> list[dict]:
    tables = []
    for item in workspace.scenario.scope.select_related("catalog"):
        catalog = item.catalog
        if catalog.status != CatalogStatus.PUBLISHED:
            raise ValueError(f"catalog {catalog.code} is not published")
        version = (
            CatalogVersion.objects.select_related("resource_version")
            .filter(catalog=catalog)
            .order_by("-number")
            .first()
        )
        by_column = {f.column: f for f in catalog.fields.all()}
        fields = [by_column[column] for column in item.columns]
        tables.append(
            {
                "code": catalog.code,
                "source": data_path(version.resource_version.path),
                "fields": fields,
                "catalog_version": version.number,
                "resource_version": version.resource_version.number,
                "source_sha256": version.resource_version.sha256,
            }
        )
    return tables


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def workspace_build(workspace_id: int) -> None:
    """Materialize a workspace; idempotent (only a workspace still building is built)."""
    workspace = (
        Workspace.objects.select_related("scenario", "scenario__organization")
        .filter(pk=workspace_id, status=WorkspaceStatus.BUILDING)
        .first()
    )
    if workspace is None or workspace.scenario.status != ScenarioStatus.AUTHORIZED:
        return
    try:
        tmp_root = data_path("tmp")
        tmp_root.mkdir(parents=True, exist_ok=True)
        manifest = materialize(
            _tables(workspace),
            key_hex=workspace.scenario.pseudonym_key,
            final_dir=data_path(workspace.path),
            tmp_root=tmp_root,
            memory_limit=settings.INGEST_MEMORY_LIMIT,
        )
    except Exception as exc:  # recorded with its reason, never left "building"
        # The full error (it may name server paths) goes to the log; the record keeps a
        # reason fit for the developer.
        logger.exception("workspace %s of scenario %s failed", workspace.pk, workspace.scenario_id)
        reason = (
            f"The workspace could not be built ({type(exc).__name__}); operator staff see the log."
        )
        _finish(workspace, WorkspaceStatus.FAILED, reason=reason)
        return
    _finish(workspace, WorkspaceStatus.READY, manifest=manifest)


def _finish(workspace: Workspace, status: str, *, reason: str = "", manifest=None) -> None:
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if locked.status != WorkspaceStatus.BUILDING:
            return
        locked.status, locked.reason = status, reason
        locked.manifest = manifest or {}
        locked.ready_at = timezone.now() if status == WorkspaceStatus.READY else None
        locked.save(update_fields=["status", "reason", "manifest", "ready_at"])
        audit_record(
            by=None,
            action=f"workspace.{status}",
            target=locked,
            organization=workspace.scenario.organization,
            details={"reason": reason, "tables": sorted((manifest or {}).get("tables", {}))},
        )


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def scenarios_expire_due() -> int:
    """Periodic (Celery beat): expire the scenarios whose period has ended."""
    from scenarios.services.scenarios import scenarios_expire

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
    """Run one job in the sandbox (queue ``sandbox``); idempotent: only a queued job runs."""
    from scenarios.services.jobs import job_execute

    job_execute(job_id=job_id, worker=self.request.hostname or "eager")


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def jobs_reap_due() -> int:
    """Periodic (Celery beat, every JOBS_REAP_INTERVAL_SECONDS): requeue once, or fail,
    jobs whose worker went silent; send again the messages of queued jobs and workspace
    builds the broker may have lost; check the outputs a dead worker left unchecked."""
    from scenarios.services.jobs import jobs_reap, jobs_redispatch
    from scenarios.services.outputs import outputs_stale
    from scenarios.services.scenarios import workspaces_redispatch

    handled = jobs_reap()
    handled += jobs_redispatch(queued_messages=_queued_messages(settings.JOBS_QUEUE))
    handled += workspaces_redispatch()
    for job_id in outputs_stale(
        older_than=timezone.now() - timedelta(seconds=OUTPUTS_RECHECK_AFTER_SECONDS)
    ):
        enqueue(outputs_check_run, job_id)
        handled += 1
    return handled


# A real job's outputs still unchecked this long after it ended lost their check's message
# (or its worker): they are checked again.
OUTPUTS_RECHECK_AFTER_SECONDS = 900


def _queued_messages(queue: str) -> int | None:
    """Messages waiting in the broker's queue (None when the broker cannot tell)."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:  # Redis keeps no empty list: no such queue means no message
        return 0
    except Exception:  # any broker failure: unknown, every due job is sent again
        logger.warning("could not count the %s queue's messages", queue, exc_info=True)
        return None


@worker_ready.connect
def _sweep_sandboxes(sender, **_kwargs) -> None:
    """A sandbox worker starting removes what its dead predecessors on this machine left
    (their jobs' processes died with them: bubblewrap's --die-with-parent)."""
    from scenarios.services.jobs import sandboxes_sweep

    if settings.JOBS_QUEUE in sender.app.amqp.queues.consume_from:
        sandboxes_sweep()


@shared_task(acks_late=True, soft_time_limit=7200, time_limit=7300)
def outputs_check_run(job_id: int) -> None:
    """The automatic disclosure checks of a finished real job's outputs (each bounded in
    memory and time); idempotent: only outputs still pending are checked."""
    from scenarios.models import Job
    from scenarios.services.outputs import outputs_check

    job = Job.objects.select_related("scenario__scenario_type", "workspace").get(pk=job_id)
    outputs_check(job)
