"""Reads of scenario types and scenarios, scoped to the caller (missing = forbidden = 404)."""

from django.db.models import Q, QuerySet

from operation.errors import NotFound
from scenarios.models import (
    Job,
    JobOutput,
    ReleaseRequest,
    Scenario,
    ScenarioType,
    ScenarioTypeStatus,
)
from tenants.roles import PlatformRole, has_role
from tenants.selectors import membership_of

OVERSIGHT = (PlatformRole.OPERATOR_STAFF, PlatformRole.REVIEWER, PlatformRole.AUDITOR)


def scenario_types_visible_to(user) -> QuerySet[ScenarioType]:
    """Approved types are public to everyone logged in (so others can reuse them); a
    proposing organization sees its own in any state; reviewers and staff see all."""
    base = ScenarioType.objects.select_related("proposer").prefetch_related("scope__catalog")
    if has_role(user, *OVERSIGHT):
        return base
    visible = Q(status=ScenarioTypeStatus.APPROVED)
    membership = membership_of(user)
    if membership is not None:
        visible |= Q(proposer=membership.organization)
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
    if has_role(user, *OVERSIGHT):
        return base
    membership = membership_of(user)
    if membership is None:
        return base.none()
    return base.filter(organization=membership.organization)


def scenario_get(user, pk) -> Scenario:
    found = scenarios_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def jobs_visible_to(user) -> QuerySet[Job]:
    """Jobs of the scenarios the user sees (their organization's; all for oversight)."""
    return Job.objects.filter(scenario__in=scenarios_visible_to(user)).select_related(
        "scenario", "workspace", "submitted_by"
    )


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
    return (
        ReleaseRequest.objects.filter(scenario__in=scenarios_visible_to(user))
        .select_related("scenario", "scenario__organization", "requested_by")
        .prefetch_related("items__output__job", "reviews__reviewer")
    )


def release_request_get(user, pk) -> ReleaseRequest:
    found = release_requests_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def release_reviews_shown(user, request: ReleaseRequest) -> list[dict]:
    """Reviews are blind: in the round under review a reviewer sees only their own
    decision; once a round is decided, reviewers and staff see every decision with its
    private comment, and the developer sees the decisions' public comments only."""
    oversees = has_role(user, *OVERSIGHT)
    shown = []
    for review in request.reviews.all():
        open_round = review.round == request.round and request.status == "submitted"
        if open_round and review.reviewer_id != user.pk:
            continue
        entry = {
            "round": review.round,
            "decision": review.decision,
            "comment_public": review.comment_public,
        }
        if oversees:
            entry["reviewer"] = review.reviewer.username
            entry["comment_private"] = review.comment_private
        shown.append(entry)
    return shown


def _coarse(number: int | None) -> int | None:
    """Two significant digits: what a developer sees of a size before release."""
    if not number:
        return number
    return int(float(f"{number:.2g}"))


def output_shown(user, output: JobOutput) -> dict:
    """What the user may see of an output. Until it is released, a developer sees the
    check's verdicts with counts only — the record's cells, reasons and details come from
    real data — and its size rounded, without its SHA-256; reviewers, staff and auditors
    see everything. A dry run's outputs are synthetic and shown in full."""
    full = output.job.dry_run or output.released_at is not None or has_role(user, *OVERSIGHT)
    record = output.check_record or {}
    if not has_role(user, *OVERSIGHT):
        record = {
            "status": record.get("status", output.check_status),
            "parameters": record.get("parameters", {}),
            "checks": {
                name: {"status": entry.get("status"), "cells": len(entry.get("cells") or [])}
                for name, entry in (record.get("checks") or {}).items()
            },
        }
    return {
        "size": output.size if full else _coarse(output.size),
        "sha256": output.sha256 if full else None,
        "check_record": record,
    }
