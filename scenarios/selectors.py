"""Reads of scenario types and scenarios, scoped to the caller (missing = forbidden = 404)."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.db.models import Avg, Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.params import parse_query_int, parse_query_period
from core.storage import data_path
from core.workers import SANDBOX_QUEUE, sandbox_workers_ok, workers_alive
from operation.models import Catalog
from scenarios.models import (
    ApiKey,
    DataService,
    DefinitionStatus,
    Job,
    JobOutput,
    JobStatus,
    ReleaseRequest,
    Scenario,
    ScenarioStatus,
    ScenarioType,
    ScenarioTypeStatus,
    ServiceCall,
    ServiceDefinition,
)
from scenarios.reviews import release_requests_for_review
from scenarios.services.compute import compute_balance_seconds
from tenants import permissions


def scenario_types_visible_to(user) -> QuerySet[ScenarioType]:
    """Approved types are public to everyone logged in (so others can reuse them); a
    proposing organization sees its own in any state; reviewers and staff see all."""
    base = ScenarioType.objects.select_related("proposer").prefetch_related("scope__catalog")
    if permissions.is_overseer(user):
        return base
    visible = Q(status=ScenarioTypeStatus.APPROVED)
    own = permissions.organization_of(user)
    if own is not None:
        visible |= Q(proposer=own)
    return base.filter(visible)


def scenario_type_get(user, pk) -> ScenarioType:
    found = scenario_types_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def scenarios_visible_to(user) -> QuerySet[Scenario]:
    base = Scenario.objects.select_related("scenario_type", "organization").prefetch_related(
        "scope__catalog", "workspaces"
    )
    if permissions.is_overseer(user):
        return base
    own = permissions.organization_of(user)
    if own is None:
        return base.none()
    return base.filter(organization=own)


def scenario_get(user, pk) -> Scenario:
    found = scenarios_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def jobs_visible_to(user) -> QuerySet[Job]:
    """Jobs of the user's organization; all for operator staff and auditors. A reviewer
    sees another organization's jobs (their code) only when an output of theirs is in a
    release request the reviewer may decide or has decided (scenarios.reviews)."""
    base = Job.objects.select_related("scenario", "workspace", "submitted_by")
    if permissions.sees_everything(user):
        return base
    visible = Q(pk__in=[])
    own = permissions.organization_of(user)
    if own is not None:
        visible |= Q(scenario__organization=own)
    if permissions.is_reviewer(user):
        reviewed = JobOutput.objects.filter(
            release_items__request__in=release_requests_for_review(user)
        )
        visible |= Q(pk__in=reviewed.values("job"))
    return base.filter(visible)


def job_get(user, pk) -> Job:
    found = jobs_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def dry_run_output_get(user, job_pk, output_pk) -> JobOutput:
    """A dry run's output (made from synthetic data) may be read by those who see the job;
    a real job's output is quarantined until released and is not found here."""
    job = job_get(user, job_pk)
    found = job.outputs.filter(pk=output_pk).first() if job.dry_run else None
    if found is None:
        raise NotFound()
    return found


def outputs_visible_to(user) -> QuerySet[JobOutput]:
    """Outputs of the jobs the user sees (their check records); never their content."""
    return JobOutput.objects.filter(job__in=jobs_visible_to(user)).select_related("job")


def output_get(user, pk) -> JobOutput:
    found = outputs_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def release_requests_visible_to(user) -> QuerySet[ReleaseRequest]:
    """The organization's own requests; all for operator staff and auditors; for a
    reviewer, also those they may decide or have decided (never one they are in conflict
    with: scenarios.reviews)."""
    if permissions.sees_everything(user):
        visible = Q()
    else:
        own = permissions.organization_of(user)
        visible = Q(pk__in=[])
        if own is not None:
            visible |= Q(scenario__organization=own)
        if permissions.is_reviewer(user):
            visible |= Q(pk__in=release_requests_for_review(user).values("pk"))
    return (
        ReleaseRequest.objects.filter(visible)
        .select_related("scenario", "scenario__organization", "requested_by")
        .prefetch_related("items__output__job", "reviews__reviewer")
    )


def release_request_get(user, pk) -> ReleaseRequest:
    found = release_requests_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _output_names(request: ReleaseRequest, reviews) -> dict[int, str]:
    """The names of the outputs decided one by one: the request's items, and the outputs
    of an earlier round that a resubmission took out."""
    names = {item.output_id: item.output.name for item in request.items.all()}
    decided = {int(output) for review in reviews for output in review.item_decisions}
    if decided - names.keys():
        names.update(
            JobOutput.objects.filter(
                pk__in=decided - names.keys(), job__scenario_id=request.scenario_id
            ).values_list("pk", "name")
        )
    return names


def release_reviews_shown(user, request: ReleaseRequest) -> list[dict]:
    """Reviews are blind: in the round under review a reviewer sees only their own
    decision; once a round is decided, reviewers and staff see every decision with its
    private comment, and the developer sees the decisions' public comments only. A review
    decided output by output lists each output's decision with its reason (public: the
    reasons reach the developer)."""
    oversees = permissions.is_overseer(user)
    shown = []
    reviews = [
        review
        for review in request.reviews.all()
        if review.reviewer_id == user.pk
        or not (review.round == request.round and request.status == "submitted")
    ]
    names = _output_names(request, reviews)
    for review in reviews:
        entry = {
            "round": review.round,
            "decision": review.decision,
            "comment_public": review.comment_public,
            "items": [
                {
                    "output": int(output),
                    "name": names.get(int(output), ""),
                    "decision": decided["decision"],
                    "reason": decided["reason"],
                }
                for output, decided in sorted(
                    review.item_decisions.items(), key=lambda pair: int(pair[0])
                )
            ],
        }
        if oversees:
            entry["reviewer"] = review.reviewer.username
            entry["comment_private"] = review.comment_private
        shown.append(entry)
    return shown


@dataclass(frozen=True)
class OutputShown:
    """What one user may see of one output: the only source of an output's size, SHA-256,
    check record and content for every serializer, page, export and notification (an
    unreleased output's SHA-256 or exact size would give a low-entropy content away)."""

    full: bool  # exact size and SHA-256: released, a dry run's, or oversight from outside
    size: int  # exact when full, else an upper bound (_size_bound)
    sha256: str | None
    check_record: dict
    path: Path | None  # the file, for those who may read its content inline; else None


def output_shown(user, output: JobOutput) -> OutputShown:
    """What the user may see of an output. Until it is released, its organization sees
    the check's verdicts with counts only — the record's cells, reasons and details come
    from real data —, an upper bound of its size and no SHA-256, and never its content;
    reviewers, staff and auditors from outside the organization see everything, and read
    the content inline. A dry run's outputs are synthetic and shown in full."""
    job = output.job
    oversees = permissions.is_overseer(user)
    if oversees:
        oversees = not permissions.is_member(user, job.scenario.organization_id)
    full = job.dry_run or output.released_at is not None or oversees
    record = output.check_record or {}
    if not oversees:
        record = {
            "status": record.get("status", output.check_status),
            "parameters": record.get("parameters", {}),
            "checks": {
                name: {"status": entry.get("status"), "cells": len(entry.get("cells") or [])}
                for name, entry in (record.get("checks") or {}).items()
            },
        }
    return OutputShown(
        full=full,
        size=output.size if full else _size_bound(output.size),
        sha256=output.sha256 if full else None,
        check_record=record,
        path=data_path(output.path) if job.dry_run or oversees else None,
    )


def _size_bound(size: int | None) -> int:
    """An upper bound of an unreleased output's size: whole KiB rounded up to two
    significant digits, never below 1 KiB, so that no count of bytes comes out (a 6-byte
    stdout and an empty one both show at most 1 KB)."""
    kib = max(1, math.ceil((size or 0) / 1024))
    step = 10 ** max(0, len(str(kib)) - 2)
    return math.ceil(kib / step) * step * 1024


# --- Data services ---------------------------------------------------------------------------

USAGE_MAX_DAYS = 366


def definitions_visible_to(user) -> QuerySet[ServiceDefinition]:
    """Approved services are public to everyone logged in, as their types are; versions
    in any other state to the type's proposing organization and to oversight."""
    base = ServiceDefinition.objects.select_related(
        "service__scenario_type__proposer", "proposed_by"
    )
    if permissions.is_overseer(user):
        return base
    visible = Q(status=DefinitionStatus.APPROVED)
    own = permissions.organization_of(user)
    if own is not None:
        visible |= Q(service__scenario_type__proposer=own)
    return base.filter(visible)


def service_get(user, code: str) -> DataService:
    found = DataService.objects.filter(
        pk__in=definitions_visible_to(user).filter(service__code=code).values("service")
    ).first()
    if found is None:
        raise NotFound()
    return found


def definition_get(user, pk) -> ServiceDefinition:
    found = definitions_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def api_keys_visible_to(user) -> QuerySet[ApiKey]:
    """Operator staff and auditors see every key (never a secret: none is stored); an
    organization's members see its own."""
    base = ApiKey.objects.select_related("scenario", "organization", "created_by")
    if permissions.sees_everything(user):
        return base
    own = permissions.organization_of(user)
    if own is None:
        return base.none()
    return base.filter(organization=own)


def api_key_get(user, pk) -> ApiKey:
    found = api_keys_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def service_calls_visible_to(user) -> QuerySet[ServiceCall]:
    """Operator staff and auditors see every call; an organization's members its own."""
    if permissions.sees_everything(user):
        return ServiceCall.objects.all()
    own = permissions.organization_of(user)
    if own is None:
        return ServiceCall.objects.none()
    return ServiceCall.objects.filter(organization=own)


def usage_filter(calls: QuerySet[ServiceCall], params) -> tuple[QuerySet, date, date]:
    """Calls between ``from`` and ``to`` (local days, inclusive; the last 30 days by
    default), of one ``service`` (code) and one ``organization`` (id) when given."""
    start, end = parse_query_period(
        params, "from", "to", today=timezone.localdate(), default_days=30, max_days=USAGE_MAX_DAYS
    )
    calls = calls.filter(at__date__gte=start, at__date__lte=end)
    if params.get("service"):
        calls = calls.filter(service_code=params["service"])
    organization = parse_query_int(params, "organization")
    if organization is not None:
        calls = calls.filter(organization_id=organization)
    return calls, start, end


def _by_service(calls: QuerySet[ServiceCall]) -> QuerySet[ServiceCall]:
    """Calls with ``service_label``: the code they called, or "" for every call naming no
    approved service (a code the caller made up, or another type's service still under
    review, is not shown as one: the page does not tell which codes exist)."""
    known = Exists(
        DataService.objects.filter(
            code=OuterRef("service_code"), definitions__status=DefinitionStatus.APPROVED
        )
    )
    return calls.annotate(
        service_label=Case(When(known, then=F("service_code")), default=Value(""))
    )


def usage_summary(calls: QuerySet[ServiceCall], start: date, end: date) -> dict:
    """Calls per day (every day of the period, zeros included), per service and per
    organization, with refusals, rows, suppressed cells and mean latency."""
    measures = {
        "calls": Count("pk"),
        "refused": Count("pk", filter=Q(status__gte=400)),
        "rows": Sum("rows"),
        "suppressed": Sum("suppressed"),
        "latency_ms": Avg("latency_ms"),
    }
    by_day = {
        row["day"]: row
        for row in calls.annotate(day=TruncDate("at")).values("day").annotate(**measures)
    }
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        row = by_day.get(day, {})
        days.append({"day": day, "calls": row.get("calls", 0), "refused": row.get("refused", 0)})
    services = [
        {"service_code": row.pop("service_label"), **row}  # "": calls naming no service
        for row in _by_service(calls)
        .values("service_label")
        .annotate(**measures)
        .order_by("-calls", "service_label")
    ]
    organizations = list(
        calls.values("organization_id", "organization__name")
        .annotate(**measures)
        .order_by("-calls", "organization__name")
    )
    peak = max((d["calls"] for d in days), default=0)
    return {
        "start": start,
        "end": end,
        "total": sum(d["calls"] for d in days),
        "refused": sum(d["refused"] for d in days),
        "peak": peak,
        "days": days,
        "services": services,
        "organizations": organizations,
    }


USAGE_EXPORT_HEADER = ["day", "service", "organization", "calls", "refused", "rows", "suppressed"]


def usage_export_rows(calls: QuerySet[ServiceCall]):
    """Per day, service and organization: the CSV export's rows."""
    grouped = (
        _by_service(calls)
        .annotate(day=TruncDate("at"))
        .values("day", "service_label", "organization__name")
        .annotate(
            calls=Count("pk"),
            refused=Count("pk", filter=Q(status__gte=400)),
            rows=Sum("rows"),
            suppressed=Sum("suppressed"),
        )
        .order_by("day", "service_label", "organization__name")
    )
    for row in grouped:
        yield [
            row["day"].isoformat(),
            row["service_label"] or _("(unknown service)"),
            row["organization__name"],
            row["calls"],
            row["refused"],
            row["rows"] or 0,
            row["suppressed"] or 0,
        ]


def job_queue_overview() -> dict:
    """What operator staff watch: queued jobs and the oldest one's wait, running and queued
    jobs per organization, and the workers alive."""
    now = timezone.now()
    active = Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    per_organization = (
        active.values("scenario__organization_id", "scenario__organization__name")
        .annotate(
            running=Count("pk", filter=Q(status=JobStatus.RUNNING)),
            queued=Count("pk", filter=Q(status=JobStatus.QUEUED)),
        )
        .order_by("-running", "-queued", "scenario__organization__name")
    )
    oldest = (
        Job.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    workers = workers_alive()
    return {
        "queued": sum(row["queued"] for row in per_organization),
        "running": sum(row["running"] for row in per_organization),
        "oldest_queued_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        "running_by_organization": [
            {
                "organization_id": row["scenario__organization_id"],
                "organization": row["scenario__organization__name"],
                "running": row["running"],
                "queued": row["queued"],
            }
            for row in per_organization
        ],
        "workers": [
            {
                "hostname": worker.hostname,
                "queues": worker.queue_names,
                "seen_seconds_ago": round((now - worker.seen_at).total_seconds(), 1),
            }
            for worker in workers
        ],
        "sandbox_workers_ok": any(SANDBOX_QUEUE in worker.queue_names for worker in workers),
    }


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
    if not permissions.sees_everything(user):
        raise NotFound()
    return job_queue_overview()


def catalog_users(user, catalog: Catalog) -> list | None:
    """Who is authorized to use a catalog: for operator staff, auditors and the catalog's
    own provider; None for anyone else."""
    own = permissions.is_member(user, catalog.provider_id)
    if not (own or permissions.sees_everything(user)):
        return None
    return list(
        Scenario.objects.filter(scope__catalog=catalog, status=ScenarioStatus.AUTHORIZED)
        .select_related("organization")
        .order_by("organization__name", "name")
        .distinct()
    )


def compute_balances(organizations) -> list[dict]:
    """Each organization with the CPU-hours left on its vouchers valid today (the compute
    page's list, for operator staff and auditors)."""
    return [
        {
            "organization": organization,
            "balance_hours": round(compute_balance_seconds(organization) / 3600, 2),
        }
        for organization in organizations
    ]
