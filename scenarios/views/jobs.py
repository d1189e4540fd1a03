"""Portal pages for sandbox jobs and compute vouchers: thin views over the selectors
(reads, 404 for anything not visible) and the services (every change). A dry run's logs
and outputs (synthetic data) are shown and served; a real job's outputs stay in
quarantine and no page serves them."""

import csv
import io
import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import Conflict, InvalidInput, NotFound, PermissionRefused
from core.portal import form_error
from core.storage import attachment
from scenarios.forms import JobForm, VoucherForm
from scenarios.models import (
    CheckStatus,
    JobOutputKind,
    JobStatus,
    ScenarioStatus,
    WorkspaceStatus,
)
from scenarios.selectors import (
    compute_balances,
    dry_run_output_get,
    job_get,
    job_queue_for,
    job_waiting,
    output_shown,
    scenario_get,
)
from scenarios.services import compute as compute_svc
from scenarios.services import jobs as job_svc
from tenants import permissions
from tenants.models import OrganizationKind
from tenants.permissions import is_member, is_operator_staff, organization_of
from tenants.selectors import organizations_visible_to

DRY_RUN_LOG_BYTES = 64 * 1024
PREVIEW_ROWS = 20
LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


# Jobs ---------------------------------------------------------------------------------


@login_required
def job_new(request, pk: int):
    """The job form (also inlined on the scenario page, which posts here); shown again
    with its errors and the code kept when the input is refused."""
    scenario = scenario_get(request.user, pk)
    if not is_member(request.user, scenario.organization_id):
        raise Http404
    form = JobForm(request.POST or None, initial={"language": "sql"})
    if request.method == "POST" and form.is_valid():
        try:
            job = job_svc.job_submit(by=request.user, scenario=scenario, **form.cleaned_data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(request, _("The job is submitted."))
            return redirect("job-detail", pk=job.pk)
    return render(request, "scenarios/job_new.html", {"scenario": scenario, "job_form": form})


def _dry_run_logs(job, outputs: list[dict]) -> list[dict]:
    """A dry run's stdout and stderr (synthetic data only), the first 64 KiB of each."""
    if not job.dry_run:
        return []
    logs = []
    for entry in outputs:
        output, shown = entry["output"], entry["shown"]
        if output.kind not in (JobOutputKind.STDOUT, JobOutputKind.STDERR) or not shown.path:
            continue
        try:
            with open(shown.path, "rb") as handle:
                text = handle.read(DRY_RUN_LOG_BYTES).decode(errors="replace")
        except OSError:
            text = ""
        logs.append(
            {
                "kind": output.kind,
                "label": output.get_kind_display(),
                "text": text,
                "truncated": shown.size > DRY_RUN_LOG_BYTES,
            }
        )
    return logs


def _dry_run_tables(job, outputs: list[dict]) -> dict[int, dict]:
    """A dry run's CSV outputs (synthetic data), the first rows of each as a table, read
    from at most 64 KiB; keyed by output id. Autoescaping makes every value text."""
    if not job.dry_run:
        return {}
    tables = {}
    for entry in outputs:
        output, shown = entry["output"], entry["shown"]
        if output.kind != JobOutputKind.FILE or not output.name.lower().endswith(".csv"):
            continue
        if not shown.path:
            continue
        try:
            with open(shown.path, "rb") as handle:
                text = handle.read(DRY_RUN_LOG_BYTES).decode(errors="replace")
            records = list(itertools.islice(csv.reader(io.StringIO(text)), PREVIEW_ROWS + 2))
        except (OSError, csv.Error):
            continue
        if not records:
            continue
        tables[output.pk] = {
            "header": records[0],
            "rows": records[1 : PREVIEW_ROWS + 1],
            "more": len(records) > PREVIEW_ROWS + 1,
        }
    return tables


def _job_context(request, job) -> dict:
    """What the job page and its live part show. Cancel is offered to those the service
    lets cancel (it decides again on the POST)."""
    may_cancel = is_member(request.user, job.scenario.organization_id) or is_operator_staff(
        request.user
    )
    # What the viewer may see of each output (a bound of its size, no SHA-256 until
    # release): selectors.output_shown, the only source of either.
    outputs = [
        {"output": output, "shown": output_shown(request.user, output)}
        for output in job.outputs.all()
    ]
    member = is_member(request.user, job.scenario.organization_id)
    tables = _dry_run_tables(job, outputs)
    for entry in outputs:
        entry["table"] = tables.get(entry["output"].pk)
    live = job.status in LIVE_STATUSES
    return {
        "job": job,
        "outputs": outputs,
        "logs": _dry_run_logs(job, outputs),
        "live": live,
        # The page updates itself until the job has finished and its outputs are checked.
        # (A dry run's outputs are never checked.)
        "settled": not live
        and (
            job.dry_run
            or all(
                entry["output"].check_status != CheckStatus.PENDING
                or entry["output"].discarded_at is not None
                for entry in outputs
            )
        ),
        "is_member": member,
        "can_run_real": member
        and job.dry_run
        and job.scenario.status == ScenarioStatus.AUTHORIZED
        and job.scenario.workspaces.filter(status=WorkspaceStatus.READY).exists(),
        "waiting": job_waiting(job),  # a queued job: is a worker alive to start it?
        "can_cancel": may_cancel and not job.finished and not job.cancel_requested,
    }


@login_required
def job_detail(request, pk: int):
    job = job_get(request.user, pk)
    return render(request, "scenarios/job_detail.html", _job_context(request, job))


@login_required
def job_live(request, pk: int):
    """The live part of the job page, polled every 2 s while the job is queued or running."""
    job = job_get(request.user, pk)
    response = render(request, "scenarios/job_live.html", _job_context(request, job))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def job_queue(request):
    """The job queue, for operator staff and auditors: queued jobs and the oldest one's
    wait, running and queued jobs per organization, and the workers alive."""
    overview = job_queue_for(request.user)
    oldest = divmod(int(overview["oldest_queued_seconds"] or 0), 60)  # (minutes, seconds)
    response = render(request, "scenarios/job_queue.html", {"overview": overview, "oldest": oldest})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def job_cancel(request, pk: int):
    job = job_get(request.user, pk)
    try:
        job = job_svc.job_cancel(by=request.user, job=job)
    except (InvalidInput, Conflict) as error:
        messages.error(request, error.message)
    else:
        if job.status == JobStatus.CANCELLED:
            messages.success(request, _("The job is cancelled."))
        else:
            messages.success(request, _("The job is being stopped."))
    return redirect("job-detail", pk=pk)


@login_required
def job_output_download(request, pk: int, output: int):
    """A dry run's output, made from synthetic data; a real job's is not found here."""
    found = dry_run_output_get(request.user, pk, output)
    return attachment(found.path, found.name, sha256=output_shown(request.user, found).sha256)


# Compute ------------------------------------------------------------------------------


def _oversees_compute(user) -> bool:
    return permissions.sees_everything(user)


@login_required
def compute_index(request):
    """Operator staff and auditors choose an organization; a member goes to their own."""
    if not _oversees_compute(request.user):
        own = organization_of(request.user)
        if own is None:
            raise Http404
        return redirect("compute-detail", pk=own)
    organizations = (
        organizations_visible_to(request.user)
        .filter(kind=OrganizationKind.DEVELOPER)
        .order_by("name")
    )
    return render(
        request, "scenarios/compute_index.html", {"rows": compute_balances(organizations)}
    )


@login_required
def compute_detail(request, pk: int):
    organization = organizations_visible_to(request.user).filter(pk=pk).first()
    if organization is None:
        raise NotFound()
    can_grant = is_operator_staff(request.user)
    form = VoucherForm(request.POST or None) if can_grant else None
    if request.method == "POST":
        if form is None:
            raise PermissionRefused(_("Only operator staff grant compute vouchers."))
        if form.is_valid():
            try:
                compute_svc.voucher_grant(
                    by=request.user, organization=organization, **form.cleaned_data
                )
            except InvalidInput as error:
                form_error(form, error)
            else:
                messages.success(request, _("The compute voucher is granted."))
                return redirect("compute-detail", pk=pk)
    return render(
        request,
        "scenarios/compute_detail.html",
        {
            "organization": organization,
            "summary": compute_svc.compute_summary(organization),
            "form": form,
        },
    )
