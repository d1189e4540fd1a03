"""Who each review concerns: the organizations and people a reviewer must not belong to or
be. The rule itself is decided in tenants.permissions; every review service, every page
that offers a decision and every read of what reviewers see asks here.

- a scenario type: the proposing organization and the proposer;
- an amendment (a scenario beyond its type's scope): the filing organization and the
  applicant, the type's proposing organization;
- a data service's definition: the type's proposing organization, the organization of
  whoever proposed the definition, and that person;
- a release request: the scenario's organization, the type's proposing organization, the
  organizations whose jobs made the outputs, the requester and every job's author."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from scenarios.models import (
    ReleaseRequest,
    ReleaseStatus,
    Scenario,
    ScenarioType,
    ServiceDefinition,
)
from tenants import permissions
from tenants.roles import PlatformRole, role_group
from tenants.selectors import membership_of

# A release request's parties as lookups from ReleaseRequest, for the queryset form.
RELEASE_ORGANIZATIONS = (
    "scenario__organization",
    "scenario__scenario_type__proposer",
    "items__output__job__scenario__organization",
)
RELEASE_AUTHORS = ("requested_by", "items__output__job__submitted_by")


def _organization_of(user) -> int | None:
    membership = membership_of(user) if user is not None else None
    return membership.organization_id if membership is not None else None


def review_parties(target) -> dict[str, set[int]]:
    """{"organizations": ids, "authors": ids} that ``target`` concerns."""
    if isinstance(target, ScenarioType):
        return {"organizations": {target.proposer_id}, "authors": {target.proposed_by_id}}
    if isinstance(target, Scenario):
        return {
            "organizations": {target.organization_id, target.scenario_type.proposer_id},
            "authors": {target.applied_by_id},
        }
    if isinstance(target, ServiceDefinition):
        return {
            "organizations": {
                target.service.scenario_type.proposer_id,
                _organization_of(target.proposed_by),
            },
            "authors": {target.proposed_by_id},
        }
    if isinstance(target, ReleaseRequest):
        jobs = target.items.values_list(
            "output__job__scenario__organization_id", "output__job__submitted_by_id"
        )
        return {
            "organizations": {
                target.scenario.organization_id,
                target.scenario.scenario_type.proposer_id,
                *(organization for organization, _author in jobs),
            },
            "authors": {target.requested_by_id, *(author for _organization, author in jobs)},
        }
    raise TypeError(f"nothing to review in {type(target).__name__}")


def may_review(user, target) -> bool:
    return permissions.may_review(user, **review_parties(target))


def check_reviewer(user, target) -> None:
    """Raise PermissionRefused unless ``user`` may review ``target``."""
    permissions.check_reviewer(user, **review_parties(target))


def reviewers_for(target) -> list:
    """The active reviewers who may review ``target`` (those told of it)."""
    parties = review_parties(target)
    found = (
        get_user_model()
        .objects.filter(groups=role_group(PlatformRole.REVIEWER), is_active=True)
        .select_related("membership__organization")
    )
    return [user for user in found if permissions.may_review(user, **parties)]


def release_requests_for_review(user) -> QuerySet[ReleaseRequest]:
    """The release requests a reviewer may decide now (submitted, no conflict), and those
    they have decided in any round: all that a reviewer outside the developer's
    organization sees of release requests, their outputs and their jobs."""
    if not user.is_authenticated:
        return ReleaseRequest.objects.none()
    reviewable = Q(status=ReleaseStatus.SUBMITTED) & permissions.reviewable_by(
        user, organizations=RELEASE_ORGANIZATIONS, authors=RELEASE_AUTHORS
    )
    reviewed = Q(pk__in=ReleaseRequest.objects.filter(reviews__reviewer=user).values("pk"))
    return ReleaseRequest.objects.filter(reviewable | reviewed)
