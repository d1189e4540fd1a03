"""Reads of the job queue for the pages and the API: why a queued job has not started
yet, and the queue as operator staff and auditors see it (404 for anyone else)."""

from django.db.models import Q
from django.utils.translation import gettext as _

from operation.errors import NotFound
from operation.workers import sandbox_workers_ok
from scenarios.models import Job, JobStatus
from scenarios.selectors import job_queue_overview
from tenants.roles import PlatformRole, has_role

QUEUE_WATCHERS = (PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR)


def job_waiting(job: Job, *, workers_ok: bool | None = None) -> dict | None:
    """What a queued job waits for (None once it is not queued): whether a sandbox worker
    is alive (``workers_ok``, when the caller knows already), and how many of its
    organization's queued jobs were submitted before it (they start first; organizations
    take turns, so other organizations' jobs may start first too)."""
    if job.status != JobStatus.QUEUED:
        return None
    ahead = Job.objects.filter(
        Q(created_at__lt=job.created_at) | Q(created_at=job.created_at, pk__lt=job.pk),
        status=JobStatus.QUEUED,
        scenario__organization_id=job.scenario.organization_id,
    ).count()
    if workers_ok is None:
        workers_ok = sandbox_workers_ok()
    if workers_ok:
        workers, note = "ok", _("A worker is running: the job is waiting for a free slot.")
    else:
        workers, note = "down", _("No worker is running: the job will start when one is.")
    return {"workers": workers, "ahead": ahead, "note": note}


def job_queue_for(user) -> dict:
    """The queue overview (``scenarios.selectors.job_queue_overview``), for operator staff
    and auditors only."""
    if not has_role(user, *QUEUE_WATCHERS):
        raise NotFound()
    return job_queue_overview()
