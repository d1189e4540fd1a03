"""Jobs, the developer's and operator staff's side: a member of an organization with an
authorized scenario submits a job (queued, sent to the sandbox worker after commit); the
organization's members or operator staff cancel it; a scenario that stops cancels its
jobs. The worker's side (start, run, finish, reap) is scenarios.worker.jobs."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.text import clean_text
from scenarios.jobreasons import Reason, say
from scenarios.limits import effective_limits
from scenarios.models import (
    Job,
    JobLanguage,
    JobStatus,
    Scenario,
    ScenarioStatus,
    WorkspaceStatus,
)
from scenarios.queue import job_dispatch
from scenarios.services.compute import compute_balance_seconds
from tenants.models import AdmissionStatus
from tenants.permissions import check_member, is_member, is_operator_staff

JOB_NAME_MAX = 100
COMMENT_MARKERS = {JobLanguage.SQL: "--", JobLanguage.PYTHON: "#"}


def job_name_of(language: str, code: str) -> str:
    """The code's first line, when it is a comment (and no ``output:`` directive): the
    job's name if none is given."""
    first = code.lstrip("\n").split("\n", 1)[0].strip()
    marker = COMMENT_MARKERS.get(language, "")
    if not marker or not first.startswith(marker):
        return ""
    comment = first.removeprefix(marker).strip()
    return "" if comment.startswith("output:") else comment[:JOB_NAME_MAX]


def job_submit(
    *, by, scenario: Scenario, language: str, code: str, dry_run: bool, name: str = ""
) -> Job:
    """A member of the scenario's organization submits a job, named by ``name`` or else by
    its code's first comment line; it is queued after commit."""
    check_member(
        by, scenario.organization_id, _("Only members of the scenario's organization submit jobs.")
    )
    if language not in JobLanguage.values:
        raise InvalidInput(_("The language must be sql or python."), field="language")
    # One line ending (browsers send CRLF): the checks read the code as the runner does.
    code = code.replace("\r\n", "\n").replace("\r", "\n") if isinstance(code, str) else ""
    if not code.strip():
        raise InvalidInput(_("Give the job's code."), field="code")
    if len(code.encode()) > settings.SANDBOX_MAX_CODE_BYTES:
        raise InvalidInput(
            _("The code is longer than %(max)s bytes.") % {"max": settings.SANDBOX_MAX_CODE_BYTES},
            field="code",
        )
    name = clean_text(name, field="name", max_length=JOB_NAME_MAX) or job_name_of(language, code)
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        admission = getattr(scenario.organization, "admission", None)
        if admission is None or admission.status != AdmissionStatus.ADMITTED:
            raise PermissionRefused(
                _("The organization's admission is %(status)s: it cannot run jobs.")
                % {"status": admission.get_status_display() if admission else "—"}
            )
        if scenario.status == ScenarioStatus.AUTHORIZED and (
            scenario.period_end < timezone.localdate()
        ):
            raise Conflict(_("The scenario's period has ended."))
        if scenario.status != ScenarioStatus.AUTHORIZED:
            raise Conflict(
                _("The scenario is %(status)s: it runs no job.")
                % {"status": scenario.get_status_display()}
            )
        workspace = (
            scenario.workspaces.filter(status=WorkspaceStatus.READY).order_by("-version").first()
        )
        if workspace is None:
            raise Conflict(_("The scenario's workspace is not ready yet."))
        active = Job.objects.filter(
            scenario__organization=scenario.organization,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        ).count()
        if active >= settings.SANDBOX_MAX_ACTIVE_JOBS:
            raise Conflict(
                _("The organization has %(n)s jobs queued or running; wait for some to end.")
                % {"n": active}
            )
        if not dry_run and compute_balance_seconds(scenario.organization) <= 0:
            raise Conflict(
                _(
                    "The organization's compute balance is exhausted; "
                    "ask operator staff for a voucher."
                )
            )
        limits = effective_limits(scenario.scenario_type, dry_run=dry_run)
        job = Job.objects.create(
            scenario=scenario,
            workspace=workspace,
            submitted_by=by,
            name=name,
            language=language,
            code=code,
            dry_run=bool(dry_run),
            limits=limits,
        )
        audit_record(
            by=by,
            action="job.submit",
            target=job,
            organization=scenario.organization,
            details={
                "scenario": scenario.pk,
                "name": name,
                "language": language,
                "dry_run": job.dry_run,
                "workspace_version": workspace.version,
                "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
            },
        )
        transaction.on_commit(lambda: job_dispatch(job.pk, scenario_id=job.scenario_id))
    return job


def job_cancel(*, by, job: Job) -> Job:
    """A queued job is cancelled at once; a running one is stopped by its worker."""
    if not (is_member(by, job.scenario.organization_id) or is_operator_staff(by)):
        raise PermissionRefused(_("Only the organization's members or operator staff cancel."))
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.finished:
            raise Conflict(
                _("The job is already %(status)s.") % {"status": job.get_status_display()}
            )
        cancel_locked(job, by=by, reason=say("cancelled_by", user=by.username))
    return job


def cancel_locked(job: Job, *, by, reason: Reason) -> None:
    """Cancel a job locked in the caller's transaction, audited: a queued job at once, a
    running one asked to stop (its worker stops it)."""
    if job.status == JobStatus.QUEUED:
        job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
        job.save(update_fields=["status", "finished_at", *job.reason_set(reason)])
    else:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
    audit_record(
        by=by,
        action="job.cancel",
        target=job,
        organization=job.scenario.organization,
        details={"status": job.status, "reason": reason.english},
    )


def jobs_cancel_for_scenario(*, by, scenario: Scenario, reason: Reason, running: bool) -> None:
    """Inside the caller's transaction: queued jobs cancelled (and running ones stopped
    when ``running``), each audited."""
    statuses = [JobStatus.QUEUED, JobStatus.RUNNING] if running else [JobStatus.QUEUED]
    for job in Job.objects.select_for_update().filter(scenario=scenario, status__in=statuses):
        cancel_locked(job, by=by, reason=reason)
