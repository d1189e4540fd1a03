"""Reviews: who each review concerns, and the one review round that every kind of review
(a scenario type, an amendment of a type, a data service's definition, a release request)
goes through.

Who a review concerns: the organizations and people a reviewer must not belong to or be.
The rule itself is decided in tenants.permissions; every review service, every page that
offers a decision and every read of what reviewers see asks here.

- a scenario type: the proposing organization and the proposer;
- an amendment (a scenario beyond its type's scope): the filing organization and the
  applicant, the type's proposing organization;
- a data service's definition: the type's proposing organization, the organization of
  whoever proposed the definition, and that person;
- a release request: the scenario's organization, the type's proposing organization, the
  organizations whose jobs made the outputs, the requester and every job's author.

A round (``review_round``): a reviewer free of conflict decides once per round; the
decision is recorded in the target's ``reviews`` and audited; the round's outcome is
decided by the kind's rule (``ReviewKind.blind``) once enough reviewers have decided, and
the kind's ``settle`` applies it. What differs between kinds (messages, locks, audit
events, what an approval does) is the kind's to say."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from core.errors import Conflict, InvalidInput
from core.services.audit import audit_record
from core.text import COMMENT_MAX, clean_text
from scenarios.models import (
    ReleaseRequest,
    ReleaseStatus,
    Scenario,
    ScenarioType,
    ServiceDefinition,
)
from tenants import permissions
from tenants.roles import PlatformRole, role_group

APPROVE = "approve"

# A release request's parties as lookups from ReleaseRequest, for the queryset form.
RELEASE_ORGANIZATIONS = (
    "scenario__organization",
    "scenario__scenario_type__proposer",
    "items__output__job__scenario__organization",
)
RELEASE_AUTHORS = ("requested_by", "items__output__job__submitted_by")


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
                permissions.organization_of(target.proposed_by),
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


# --- The round -------------------------------------------------------------------------------


@dataclass
class Decided:
    """One reviewer's decision as recorded, and the round's outcome (None: still open)."""

    by: Any
    target: Any
    decision: str
    comments: dict[str, str]
    decisions: list[str]  # the round's decisions so far, this one included
    outcome: str | None

    @property
    def comment(self) -> str:
        return self.comments.get("comment", "")


@dataclass(frozen=True)
class ReviewKind:
    """What one kind of review says of its round.

    ``decisions``: the review model's choices (APPROVE is "approve" in all).
    ``lock(by, target)``: in the round's transaction, lock the target (and what its
    outcome changes) and refuse with Conflict when it is not under review; returns the
    locked target. ``audit(decided)``: record the reviewer's decision (``audited`` makes
    one), after the outcome is settled when ``audit_after_outcome``.
    ``settle(decided)``: apply a decided outcome (reject, return or approve).
    ``under_review(target)``: whether the target awaits decisions (what pages offer; the
    lock decides again). ``round``:
    the target's attribute numbering its rounds (None: one round only). ``blind``: the
    round is decided once SCENARIO_APPROVALS_REQUIRED reviewers have decided (any
    rejection rejects, else any return returns, else it is approved); otherwise a
    rejection or a return decides at once, and that many approvals approve. ``comments``:
    the review's comment fields; ``reason_field`` must be given unless the decision
    approves."""

    decisions: Any
    decision_message: str
    already_message: str
    lock: Callable[[Any, Any], Any]
    audit: Callable[[Decided], None]
    settle: Callable[[Decided], None]
    under_review: Callable[[Any], bool]
    round: str | None = None
    blind: bool = False
    audit_after_outcome: bool = False
    comments: tuple[str, ...] = ("comment",)
    reason_field: str = "comment"
    reason_message: str = gettext_lazy("Give a reason.")


def _this_round(kind: ReviewKind, target) -> dict:
    return {"round": getattr(target, kind.round)} if kind.round else {}


def awaits_decision(kind: ReviewKind, user, target) -> bool:
    """Whether ``user`` is offered the decision on ``target``: it is under review, they may
    review it, and they have not decided in this round (review_round decides again)."""
    return (
        kind.under_review(target)
        and may_review(user, target)
        and not target.reviews.filter(reviewer=user, **_this_round(kind, target)).exists()
    )


def audited(action: str, organization: Callable, details: Callable) -> Callable[[Decided], None]:
    """A kind's ``audit``: the event ``action`` (``{decision}`` is filled in) on the target,
    for ``organization(target)``, with ``details(decided)``."""

    def audit(decided: Decided) -> None:
        audit_record(
            by=decided.by,
            action=action.format(decision=decided.decision),
            target=decided.target,
            organization=organization(decided.target),
            details=details(decided),
        )

    return audit


def _outcome(kind: ReviewKind, decision: str, decisions: list[str]) -> str | None:
    required = settings.SCENARIO_APPROVALS_REQUIRED
    if kind.blind:
        if len(decisions) < required:
            return None
        for outcome in ("reject", "return"):
            if outcome in decisions:
                return outcome
        return APPROVE
    if decision != APPROVE:
        return decision
    return APPROVE if decisions.count(APPROVE) >= required else None


def review_round(
    kind: ReviewKind, *, by, target, decision: str, record: dict | None = None, **comments
) -> Decided:
    """Record ``by``'s decision on ``target`` in its current round, audit it and, when it
    decides the round, settle the outcome; all in one transaction. ``record``: more of the
    review's fields, already validated by the kind's service."""
    check_reviewer(by, target)
    if decision not in kind.decisions.values:
        raise InvalidInput(kind.decision_message, field="decision")
    cleaned = {
        name: clean_text(comments.get(name, ""), field=name, max_length=COMMENT_MAX)
        for name in kind.comments
    }
    if decision != APPROVE and not cleaned[kind.reason_field]:
        raise InvalidInput(kind.reason_message, field=kind.reason_field)
    with transaction.atomic():
        target = kind.lock(by, target)
        this_round = _this_round(kind, target)
        reviews = target.reviews.filter(**this_round)
        if reviews.filter(reviewer=by).exists():
            raise Conflict(kind.already_message)
        target.reviews.create(
            reviewer=by, decision=decision, **this_round, **cleaned, **(record or {})
        )
        decisions = list(reviews.values_list("decision", flat=True))
        decided = Decided(
            by=by,
            target=target,
            decision=decision,
            comments=cleaned,
            decisions=decisions,
            outcome=_outcome(kind, decision, decisions),
        )
        if not kind.audit_after_outcome:
            kind.audit(decided)
        if decided.outcome is not None:
            kind.settle(decided)
        if kind.audit_after_outcome:
            kind.audit(decided)
    return decided
