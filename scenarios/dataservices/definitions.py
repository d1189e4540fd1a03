"""Service definitions: proposed for a scenario type by its proposing organization (or
operator staff), reviewed with the type while it is a draft, or on their own as an
amendment of an approved type (its scope version then moves on)."""

import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.text import LONG_TEXT_MAX, NAME_MAX, clean_text
from operation.models import CatalogField, MaskingRule
from scenarios.dataservices import engine
from scenarios.models import (
    DataService,
    DefinitionStatus,
    OutputKind,
    ScenarioType,
    ScenarioTypeStatus,
    ServiceDefinition,
    ServiceReview,
)
from scenarios.reviews import Decided, ReviewKind, review_round
from tenants.permissions import is_admitted_member, is_member, is_operator_staff

D = DefinitionStatus
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
PENDING = (D.DRAFT, D.SUBMITTED)
RESERVED_CODES = {"usage", "quotas"}  # the portal's and the API's own pages
PROPOSABLE = (ScenarioTypeStatus.DRAFT, ScenarioTypeStatus.RETURNED, ScenarioTypeStatus.APPROVED)


def may_propose_for(user, scenario_type: ScenarioType) -> bool:
    """The type's proposing organization, while it is admitted (as for proposing a type),
    and operator staff propose its services."""
    return is_operator_staff(user) or (
        is_member(user, scenario_type.proposer_id) and is_admitted_member(user)
    )


def may_propose(user, scenario_type: ScenarioType) -> bool:
    """Whether ``user`` is offered the proposal form: the type carries data services, is
    in a state that takes them and ``user`` may propose for it (``service_propose``
    decides again on submission)."""
    return (
        OutputKind.SERVICE in (scenario_type.output_kinds or [])
        and scenario_type.status in PROPOSABLE
        and may_propose_for(user, scenario_type)
    )


def type_scope(scenario_type: ScenarioType) -> dict[str, list[str]]:
    """Catalog code -> its fields in the type's scope."""
    return {
        item.catalog.code: item.columns for item in scenario_type.scope.select_related("catalog")
    }


def _identifiers(scenario_type: ScenarioType) -> dict[str, set[str]]:
    """Per catalog of the type's scope, its identifier and pseudonymized fields."""
    found: dict[str, set[str]] = {}
    fields = CatalogField.objects.filter(catalog__in=scenario_type.scope.values("catalog")).filter(
        Q(is_identifier=True) | Q(masking=MaskingRule.PSEUDONYM)
    )
    for code, column in fields.values_list("catalog__code", "column"):
        found.setdefault(code, set()).add(column)
    return found


def _field_types(scenario_type: ScenarioType) -> dict[str, dict[str, str]]:
    """Per catalog of the type's scope, its fields' types."""
    found: dict[str, dict[str, str]] = {}
    fields = CatalogField.objects.filter(catalog__in=scenario_type.scope.values("catalog"))
    for code, column, kind in fields.values_list("catalog__code", "column", "data_type"):
        found.setdefault(code, {})[column] = kind
    return found


def service_propose(
    *,
    by,
    scenario_type: ScenarioType,
    code: str,
    name: str,
    sql: str,
    parameters,
    columns,
    name_en: str = "",
    description: str = "",
    unit: str = "",
    cached: bool = False,
) -> ServiceDefinition:
    """A new service, or a new version of one, for a type. With a draft (or returned) type
    it is reviewed with the type; with an approved type it is an amendment of the type,
    reviewed on its own."""
    if not may_propose_for(by, scenario_type):
        member = is_member(by, scenario_type.proposer_id)
        admission = getattr(by.membership.organization, "admission", None) if member else None
        if admission is not None:
            raise PermissionRefused(
                _(
                    "Your organization's admission is %(status)s: it cannot propose data "
                    "services now."
                )
                % {"status": admission.get_status_display()}
            )
        raise PermissionRefused(_("Only the type's proposing organization or operator staff do."))
    code = (code or "").strip()
    if not CODE.match(code) or code in RESERVED_CODES:
        raise InvalidInput(
            _("The code is 2 to 60 lower-case letters, digits and hyphens (not usage or quotas)."),
            field="code",
        )
    name = clean_text(name, field="name", max_length=NAME_MAX)
    name_en = clean_text(name_en, field="name_en", max_length=NAME_MAX)
    description = clean_text(description, field="description", max_length=LONG_TEXT_MAX)
    unit = clean_text(unit, field="unit", max_length=100)
    if not name:
        raise InvalidInput(_("Name the service."), field="name")
    try:
        parameters = engine.parameters_clean(parameters)
        engine.template_check(
            sql,
            parameters=parameters,
            columns=columns,
            unit=unit or "",
            scope=type_scope(scenario_type),
            identifiers=_identifiers(scenario_type),
            field_types=_field_types(scenario_type),
        )
    except engine.TemplateError as error:
        raise InvalidInput(str(error), field=error.field) from None
    with transaction.atomic():
        scenario_type = ScenarioType.objects.select_for_update().get(pk=scenario_type.pk)
        if OutputKind.SERVICE not in scenario_type.output_kinds:
            raise Conflict(_("This type's output kinds do not include data services."))
        if scenario_type.status in (ScenarioTypeStatus.DRAFT, ScenarioTypeStatus.RETURNED):
            status = D.DRAFT
        elif scenario_type.status == ScenarioTypeStatus.APPROVED:
            status = D.SUBMITTED
        else:
            raise Conflict(
                _("Services cannot be proposed for a type that is %(status)s.")
                % {"status": scenario_type.get_status_display()}
            )
        service, _created = DataService.objects.get_or_create(
            code=code, defaults={"scenario_type": scenario_type}
        )
        if service.scenario_type_id != scenario_type.pk:
            raise Conflict(_("Another type already has a service with this code."), field="code")
        service = DataService.objects.select_for_update().get(pk=service.pk)
        pending = service.definitions.filter(status__in=PENDING)
        if pending.filter(status=D.SUBMITTED).exists():
            raise Conflict(_("A change of this service is already under review."))
        pending.update(status=D.SUPERSEDED)  # an earlier draft, never reviewed
        latest = service.definitions.order_by("-version").first()
        definition = ServiceDefinition.objects.create(
            service=service,
            version=(latest.version + 1) if latest else 1,
            name=name.strip(),
            name_en=(name_en or "").strip(),
            description=(description or "").strip(),
            sql=sql.strip(),
            parameters=parameters,
            columns=list(columns),
            unit=unit or "",
            cached=bool(cached),
            status=status,
            proposed_by=by,
        )
        audit_record(
            by=by,
            action="data_service.propose",
            target=definition,
            organization=scenario_type.proposer,
            details={
                "code": code,
                "version": definition.version,
                "scenario_type": scenario_type.pk,
                "amendment": status == D.SUBMITTED,
            },
        )
    return definition


def definitions_approve_with_type(*, by, scenario_type: ScenarioType) -> None:
    """The type's approval approves the services proposed with it (in its transaction)."""
    drafts = ServiceDefinition.objects.filter(
        service__scenario_type=scenario_type, status=D.DRAFT
    ).select_related("service")
    for definition in drafts:
        _approve(by, definition)


def _approve(by, definition: ServiceDefinition) -> None:
    ServiceDefinition.objects.filter(service=definition.service, status=D.APPROVED).update(
        status=D.SUPERSEDED
    )
    definition.status = D.APPROVED
    definition.approved_at = timezone.now()
    definition.save(update_fields=["status", "approved_at"])
    audit_record(
        by=by,
        action="data_service.approve",
        target=definition,
        organization=definition.service.scenario_type.proposer,
        details={"code": definition.service.code, "version": definition.version},
    )


def _locked_under_review(_by, definition: ServiceDefinition) -> ServiceDefinition:
    """The definition and its type, locked (the type first), both still as reviewed."""
    scenario_type = ScenarioType.objects.select_for_update().get(
        pk=definition.service.scenario_type_id
    )
    definition = ServiceDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.status != D.SUBMITTED:
        raise Conflict(_("This service is not waiting for review."))
    if scenario_type.status != ScenarioTypeStatus.APPROVED:
        raise Conflict(_("The service's type is no longer approved."))
    definition.service.scenario_type = scenario_type  # the locked type, for the outcome
    return definition


def _audit_service_review(decided: Decided) -> None:
    definition = decided.target
    audit_record(
        by=decided.by,
        action=f"data_service.review.{decided.decision}",
        target=definition,
        organization=definition.service.scenario_type.proposer,
        details={"code": definition.service.code, "comment": decided.comment},
    )


def _settle_service_review(decided: Decided) -> None:
    """A rejection rejects the amendment; approved, it is the service's version and the
    type's scope version moves on."""
    by, definition = decided.by, decided.target
    if decided.outcome == ServiceReview.Decision.REJECT:
        definition.status, definition.reason = D.REJECTED, decided.comment
        definition.save(update_fields=["status", "reason"])
        return
    _approve(by, definition)
    scenario_type = definition.service.scenario_type
    scenario_type.scope_version += 1
    scenario_type.save(update_fields=["scope_version"])
    audit_record(
        by=by,
        action="scenario_type.amend",
        target=scenario_type,
        organization=scenario_type.proposer,
        details={
            "scope_version": scenario_type.scope_version,
            "service": definition.service.code,
            "version": definition.version,
        },
    )


SERVICE_REVIEW = ReviewKind(
    under_review=lambda definition: definition.status == D.SUBMITTED,
    decisions=ServiceReview.Decision,
    decision_message=gettext_lazy("Decide approve or reject."),
    already_message=gettext_lazy("You have already decided on this service."),
    lock=_locked_under_review,
    audit=_audit_service_review,
    settle=_settle_service_review,
)


def service_review(
    *, by, definition: ServiceDefinition, decision: str, comment: str = ""
) -> ServiceDefinition:
    """A reviewer's decision on a service amendment: N distinct approvals approve it (the
    type's scope version moves on); one rejection rejects it."""
    return review_round(
        SERVICE_REVIEW, by=by, target=definition, decision=decision, comment=comment
    ).target
