"""Scenario types: proposal, review by N distinct reviewers per round, revocation."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.text import LONG_TEXT_MAX, REASON_MAX, clean_text
from scenarios.limits import check_limits
from scenarios.models import (
    OutputKind,
    ScenarioType,
    ScenarioTypeStatus,
    TypeReview,
    TypeScopeItem,
)
from scenarios.reviews import Decided, ReviewKind, audited, review_round
from scenarios.services.scope import scope_clean
from tenants.models import AdmissionStatus
from tenants.permissions import check_member, check_operator_staff, is_operator_staff, membership_of

S = ScenarioTypeStatus
PARAMETERS = ("min_cell_count", "dominance_n", "dominance_k", "p_percent", "min_dof")


def _check_parameters(values: dict) -> None:
    """A type may be stricter than the platform's disclosure defaults, never looser."""
    defaults = settings.DISCLOSURE_DEFAULTS
    looser = []
    for name in ("min_cell_count", "dominance_n", "p_percent", "min_dof"):
        if name in values and values[name] < defaults[name]:
            looser.append(name)
    if "dominance_k" in values and not 0 < values["dominance_k"] <= defaults["dominance_k"]:
        looser.append("dominance_k")
    if looser:
        raise InvalidInput(
            _("Disclosure parameters may be stricter than the platform's, never looser: %(names)s.")
            % {"names": ", ".join(looser)},
            field=looser[0],
        )


def _proposer_organization(by):
    membership = membership_of(by)
    if is_operator_staff(by) and membership is not None:
        return membership.organization
    if membership is None or getattr(membership.organization, "admission", None) is None:
        raise PermissionRefused(_("Only admitted developers or operator staff propose types."))
    if membership.organization.admission.status != AdmissionStatus.ADMITTED:
        raise PermissionRefused(_("Your organization is not admitted."))
    return membership.organization


def scenario_type_propose(*, by, scope: dict[str, list[str]], **fields) -> ScenarioType:
    """A draft type with its scope; submit it for review with scenario_type_submit."""
    organization = _proposer_organization(by)
    cleaned_scope = scope_clean(scope)
    kinds = fields.get("output_kinds") or []
    if not kinds or not set(kinds) <= set(OutputKind.values):
        raise InvalidInput(_("Choose the output kinds allowed."), field="output_kinds")
    _check_parameters(fields)
    fields["purpose"] = clean_text(fields.get("purpose"), field="purpose", max_length=LONG_TEXT_MAX)
    fields["sandbox_limits"] = check_limits(fields.get("sandbox_limits"))
    start, end = fields.get("valid_from"), fields.get("valid_until")
    if start and end and end < start:
        raise InvalidInput(_("The validity ends before it starts."), field="valid_until")
    with transaction.atomic():
        scenario_type = ScenarioType(proposer=organization, proposed_by=by, **fields)
        try:
            scenario_type.full_clean(exclude=["proposer", "proposed_by"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise InvalidInput(messages[0], field=field) from None
        scenario_type.save()
        TypeScopeItem.objects.bulk_create(
            TypeScopeItem(scenario_type=scenario_type, catalog=catalog, columns=columns)
            for catalog, columns in cleaned_scope.items()
        )
        audit_record(
            by=by,
            action="scenario_type.propose",
            target=scenario_type,
            organization=organization,
            details={"scope": {c.code: cols for c, cols in cleaned_scope.items()}},
        )
    return scenario_type


def _locked(scenario_type: ScenarioType) -> ScenarioType:
    return ScenarioType.objects.select_for_update().get(pk=scenario_type.pk)


def scenario_type_submit(*, by, scenario_type: ScenarioType) -> ScenarioType:
    """Submit a draft, or resubmit a returned type: a new review round starts."""
    check_member(
        by, scenario_type.proposer_id, _("Only the proposing organization submits its type.")
    )
    with transaction.atomic():
        scenario_type = _locked(scenario_type)
        if scenario_type.status not in (S.DRAFT, S.RETURNED):
            raise Conflict(
                _("Cannot submit a type that is %(status)s.")
                % {"status": scenario_type.get_status_display()}
            )
        scenario_type.status = S.SUBMITTED
        scenario_type.review_round += 1
        scenario_type.save(update_fields=["status", "review_round"])
        audit_record(
            by=by,
            action="scenario_type.submit",
            target=scenario_type,
            organization=scenario_type.proposer,
            details={"round": scenario_type.review_round},
        )
    return scenario_type


def _locked_under_review(_by, scenario_type: ScenarioType) -> ScenarioType:
    scenario_type = _locked(scenario_type)
    if scenario_type.status != S.SUBMITTED:
        raise Conflict(
            _("This type is %(status)s, not under review.")
            % {"status": scenario_type.get_status_display()}
        )
    return scenario_type


def _settle(decided: Decided) -> None:
    from scenarios.dataservices.definitions import definitions_approve_with_type

    scenario_type = decided.target
    if decided.outcome == TypeReview.Decision.REJECT:
        scenario_type.status, scenario_type.reason = S.REJECTED, decided.comment
    elif decided.outcome == TypeReview.Decision.RETURN:
        scenario_type.status, scenario_type.reason = S.RETURNED, decided.comment
    else:
        scenario_type.status = S.APPROVED
        scenario_type.scope_version += 1
        scenario_type.approved_at = timezone.now()
        definitions_approve_with_type(by=decided.by, scenario_type=scenario_type)
    scenario_type.save()


TYPE_REVIEW = ReviewKind(
    under_review=lambda scenario_type: scenario_type.status == S.SUBMITTED,
    decisions=TypeReview.Decision,
    decision_message=gettext_lazy("Decide approve, reject or return."),
    already_message=gettext_lazy("You have already decided in this round."),
    lock=_locked_under_review,
    audit=audited(
        "scenario_type.review.{decision}",
        organization=lambda scenario_type: scenario_type.proposer,
        details=lambda decided: {
            "round": decided.target.review_round,
            "comment": decided.comment,
            "status": decided.target.status,
        },
    ),
    settle=_settle,
    round="review_round",
    audit_after_outcome=True,
)


def scenario_type_review(
    *, by, scenario_type: ScenarioType, decision: str, comment: str = ""
) -> ScenarioType:
    """One reviewer's decision in the current round. Any rejection or return decides the
    round at once; N distinct approvals approve the type and the services proposed with it."""
    return review_round(
        TYPE_REVIEW, by=by, target=scenario_type, decision=decision, comment=comment
    ).target


def scenario_type_revoke(*, by, scenario_type: ScenarioType, reason: str) -> ScenarioType:
    """Operator staff revoke an approved type; its scenarios are revoked with it."""
    from scenarios.services.scenarios import cascade_revoke

    check_operator_staff(by, _("Only operator staff revoke types."))
    reason = clean_text(reason, field="reason", max_length=REASON_MAX)
    if not reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    with transaction.atomic():
        scenario_type = _locked(scenario_type)
        if scenario_type.status != S.APPROVED:
            raise Conflict(_("Only an approved type can be revoked."))
        scenario_type.status, scenario_type.reason = S.REVOKED, reason
        scenario_type.save(update_fields=["status", "reason"])
        audit_record(
            by=by,
            action="scenario_type.revoke",
            target=scenario_type,
            organization=scenario_type.proposer,
            details={"reason": reason},
        )
        cascade_revoke(by=by, scenarios=scenario_type.scenarios.all(), reason=reason)
    return scenario_type
