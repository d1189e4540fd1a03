"""Scenario applications: authorized on filing inside an approved scope, reviewed as an
amendment of the type beyond it; lifecycle; workspaces."""

import secrets
import shutil

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.services.notifications import notification_send
from core.storage import data_path
from core.text import LONG_TEXT_MAX, NAME_MAX, REASON_MAX, clean_text
from operation.models import Catalog, CatalogStatus
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.jobreasons import say
from scenarios.models import (
    AmendmentReview,
    JobOutput,
    ReleaseStatus,
    Scenario,
    ScenarioScopeItem,
    ScenarioStatus,
    ScenarioType,
    ScenarioTypeStatus,
    TypeScopeItem,
    Workspace,
    WorkspaceStatus,
)
from scenarios.queue import workspace_dispatch
from scenarios.reviews import Decided, ReviewKind, audited, review_round
from scenarios.services.jobs import jobs_cancel_for_scenario
from scenarios.services.scope import scope_clean, scope_within
from tenants.models import AdmissionApplication, AdmissionStatus
from tenants.permissions import (
    check_operator_staff,
    is_operator_staff,
    is_org_admin,
    membership_of,
)

S = ScenarioStatus


def _applicant_organization(by):
    membership = membership_of(by)
    admission = getattr(membership.organization, "admission", None) if membership else None
    if admission is None or admission.status != AdmissionStatus.ADMITTED:
        raise PermissionRefused(_("Only members of an admitted organization apply."))
    return membership.organization


def _admission_locked(organization_id: int) -> AdmissionApplication | None:
    """The organization's admission, locked as admission_suspend locks it (and before the
    scenario, in the order a suspension's cascade takes them): it is not suspended or
    revoked while one of its scenarios is being authorized."""
    return (
        AdmissionApplication.objects.select_for_update(no_key=True)
        .filter(organization_id=organization_id)
        .first()
    )


def _check_admitted(organization_id: int) -> None:
    """Refuse to authorize a scenario of an organization that is not admitted (its
    suspension or revocation only reaches the scenarios already authorized)."""
    admission = _admission_locked(organization_id)
    if admission is None or admission.status != AdmissionStatus.ADMITTED:
        raise Conflict(
            _(
                "The organization's admission is %(status)s: its scenario cannot be "
                "authorized now (it can be once the organization is reinstated)."
            )
            % {"status": admission.get_status_display() if admission else "—"}
        )


def _approved_scope(scenario_type: ScenarioType) -> dict[int, list[str]]:
    return {item.catalog_id: item.columns for item in scenario_type.scope.all()}


def workspace_request(*, by, scenario: Scenario) -> Workspace:
    """Queue a new workspace version (built by a worker after commit)."""
    number = (scenario.workspaces.aggregate(m=Max("version"))["m"] or 0) + 1
    workspace = Workspace.objects.create(
        scenario=scenario,
        version=number,
        path=f"workspaces/{scenario.pk}/v{number}",
    )
    audit_record(
        by=by,
        action="workspace.request",
        target=workspace,
        organization=scenario.organization,
        details={"scenario": scenario.pk, "version": number},
    )
    transaction.on_commit(lambda: workspace_dispatch(workspace.pk))
    return workspace


def _authorize(by, scenario: Scenario, *, filed: bool) -> None:
    scenario.status = S.AUTHORIZED
    scenario.scope_version = scenario.scenario_type.scope_version
    scenario.authorized_at = timezone.now()
    scenario.save(update_fields=["status", "scope_version", "authorized_at"])
    audit_record(
        by=by,
        action="scenario.file" if filed else "scenario.authorize",
        target=scenario,
        organization=scenario.organization,
        details={
            "scenario_type": scenario.scenario_type_id,
            "scope_version": scenario.scope_version,
            "on_filing": filed,
        },
    )
    workspace_request(by=by, scenario=scenario)


def scenario_apply(
    *,
    by,
    scenario_type: ScenarioType,
    name: str,
    purpose: str,
    responsible_person: str,
    period_start,
    period_end,
    scope: dict[str, list[str]],
    agreement_sha256: str,
) -> Scenario:
    """Apply under an approved type. Inside its scope: authorized on filing, at once.
    Beyond it: routed to review as an amendment of the type."""
    organization = _applicant_organization(by)
    if agreement_sha256 != AGREEMENT_SHA256:
        raise InvalidInput(
            _("Accept the current scenario agreement (the text may have changed)."),
            field="agreement",
        )
    name = clean_text(name, field="name", max_length=NAME_MAX)
    purpose = clean_text(purpose, field="purpose", max_length=LONG_TEXT_MAX)
    responsible_person = clean_text(responsible_person, field="responsible_person", max_length=100)
    if not name or not purpose:
        raise InvalidInput(_("Name the scenario and state its purpose."), field="name")
    if not (responsible_person or "").strip():
        raise InvalidInput(_("Name the responsible person."), field="responsible_person")
    requested = scope_clean(scope)
    today = timezone.localdate()
    with transaction.atomic():
        _check_admitted(organization.pk)  # locked: not suspended since it was read above
        scenario_type = ScenarioType.objects.select_for_update().get(pk=scenario_type.pk)
        if scenario_type.status != ScenarioTypeStatus.APPROVED:
            raise Conflict(_("Scenarios can only be filed under an approved type."))
        if not scenario_type.valid_from <= today <= scenario_type.valid_until:
            raise Conflict(_("This scenario type is not valid today."))
        if period_end < period_start or period_end < today:
            raise InvalidInput(_("The period must end after it starts."), field="period_end")
        if period_end > scenario_type.valid_until:
            raise InvalidInput(
                _("The period must end by the type's validity (%(date)s).")
                % {"date": scenario_type.valid_until},
                field="period_end",
            )
        within = scope_within(requested, _approved_scope(scenario_type))
        scenario = Scenario.objects.create(
            scenario_type=scenario_type,
            organization=organization,
            name=name.strip(),
            purpose=purpose.strip(),
            responsible_person=responsible_person.strip(),
            period_start=period_start,
            period_end=period_end,
            status=S.PENDING_REVIEW,
            agreement_sha256=agreement_sha256,
            agreement_accepted_at=timezone.now(),
            applied_by=by,
            pseudonym_key=secrets.token_hex(32),
        )
        ScenarioScopeItem.objects.bulk_create(
            ScenarioScopeItem(scenario=scenario, catalog=catalog, columns=columns)
            for catalog, columns in requested.items()
        )
        audit_record(
            by=by,
            action="scenario.apply",
            target=scenario,
            organization=organization,
            details={
                "scenario_type": scenario_type.pk,
                "scope": {c.code: cols for c, cols in requested.items()},
                "within_scope": within,
                "agreement_sha256": agreement_sha256,
            },
        )
        if within:
            _authorize(by, scenario, filed=True)
    return scenario


def _locked_under_review(_by, scenario: Scenario) -> Scenario:
    _admission_locked(scenario.organization_id)  # before the scenario (see _check_admitted)
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    if scenario.status != S.PENDING_REVIEW:
        raise Conflict(_("This scenario is not waiting for review."))
    return scenario


def _settle_amendment(decided: Decided) -> None:
    scenario = decided.target
    if decided.outcome == AmendmentReview.Decision.REJECT:
        scenario.status, scenario.reason = S.REJECTED, decided.comment
        scenario.save(update_fields=["status", "reason"])
    else:
        # Refused while the organization is suspended: the reviewer's approval is not
        # recorded, and may be given again once it is reinstated (or the scenario rejected).
        _check_admitted(scenario.organization_id)
        _extend_type_scope(decided.by, scenario)
        _authorize(decided.by, scenario, filed=False)


AMENDMENT_REVIEW = ReviewKind(
    under_review=lambda scenario: scenario.status == S.PENDING_REVIEW,
    decisions=AmendmentReview.Decision,
    decision_message=gettext_lazy("Decide approve or reject."),
    already_message=gettext_lazy("You have already decided on this scenario."),
    lock=_locked_under_review,
    audit=audited(
        "scenario.amendment.{decision}",
        organization=lambda scenario: scenario.organization,
        details=lambda decided: {"comment": decided.comment},
    ),
    settle=_settle_amendment,
)


def scenario_amendment_review(
    *, by, scenario: Scenario, decision: str, comment: str = ""
) -> Scenario:
    """Review a scenario beyond its type's scope: N distinct approvals extend the type's
    scope (a new scope version) and authorize the scenario; one rejection rejects it."""
    return review_round(
        AMENDMENT_REVIEW, by=by, target=scenario, decision=decision, comment=comment
    ).target


def _extend_type_scope(by, scenario: Scenario) -> None:
    scenario_type = ScenarioType.objects.select_for_update().get(pk=scenario.scenario_type_id)
    if scenario_type.status != ScenarioTypeStatus.APPROVED:
        raise Conflict(_("The scenario's type is no longer approved."))
    approved = {item.catalog_id: item for item in scenario_type.scope.all()}
    for requested in scenario.scope.all():
        item = approved.get(requested.catalog_id)
        if item is None:
            TypeScopeItem.objects.create(
                scenario_type=scenario_type,
                catalog_id=requested.catalog_id,
                columns=requested.columns,
            )
        else:
            item.columns = sorted(set(item.columns) | set(requested.columns))
            item.save(update_fields=["columns"])
    scenario_type.scope_version += 1
    scenario_type.save(update_fields=["scope_version"])
    scenario.scenario_type = scenario_type
    audit_record(
        by=by,
        action="scenario_type.amend",
        target=scenario_type,
        organization=scenario_type.proposer,
        details={"scope_version": scenario_type.scope_version, "scenario": scenario.pk},
    )


# action -> (states it may start from, state it leads to, reason required); operator staff
TRANSITIONS = {
    "suspend": ({S.AUTHORIZED}, S.SUSPENDED, True),
    "reinstate": ({S.SUSPENDED}, S.AUTHORIZED, False),
    "revoke": ({S.AUTHORIZED, S.SUSPENDED, S.PENDING_REVIEW}, S.REVOKED, True),
}
_TRANSITION_REFUSED = {
    "suspend": gettext_lazy(
        "Only an authorized scenario can be suspended; this one is: %(status)s."
    ),
    "reinstate": gettext_lazy(
        "Only a suspended scenario can be reinstated; this one is: %(status)s."
    ),
    "revoke": gettext_lazy("This scenario can no longer be revoked; it is: %(status)s."),
}


def _destroy_workspaces(scenario: Scenario) -> None:
    """Mark the scenario's workspaces destroyed, discard its jobs' unreleased outputs and
    withdraw its open release requests (inside the caller's transaction); the files go
    once this commits. Released outputs stay with the organization."""
    folders = [data_path(f"synthetic/{scenario.pk}")]
    for workspace in scenario.workspaces.exclude(status=WorkspaceStatus.DESTROYED):
        folders.append(data_path(workspace.path))
        workspace.status = WorkspaceStatus.DESTROYED
        workspace.save(update_fields=["status"])
    now = timezone.now()
    unreleased = JobOutput.objects.filter(
        job__scenario=scenario, released_at__isnull=True, discarded_at__isnull=True
    )
    files = [data_path(path) for path in unreleased.values_list("path", flat=True)]
    unreleased.update(discarded_at=now)
    for request in scenario.release_requests.select_for_update().filter(
        status__in=[ReleaseStatus.SUBMITTED, ReleaseStatus.RETURNED]
    ):
        request.status, request.decided_at = ReleaseStatus.WITHDRAWN, now
        request.save(update_fields=["status", "decided_at"])
        audit_record(
            by=None,
            action="release.withdraw",
            target=request,
            organization=scenario.organization,
            details={"reason": "scenario ended"},
        )

    def remove() -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        for path in files:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove)


def scenario_transition(*, by, scenario: Scenario, action: str, reason: str = "") -> Scenario:
    """Operator staff suspend, reinstate or revoke a scenario."""
    check_operator_staff(by, _("Only operator staff change a scenario's authorization."))
    if action not in TRANSITIONS:
        raise InvalidInput(_("Unknown action."), field="action")
    sources, target, needs_reason = TRANSITIONS[action]
    reason = clean_text(reason, field="reason", max_length=REASON_MAX)
    if needs_reason and not reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    with transaction.atomic():
        # Reinstating: the admission locked first (see _admission_locked), so a suspension
        # of the organization at the same moment is seen, not raced.
        admission = _admission_locked(scenario.organization_id) if action == "reinstate" else None
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if scenario.status not in sources:
            raise Conflict(_TRANSITION_REFUSED[action] % {"status": scenario.get_status_display()})
        if action == "reinstate" and (
            admission is None or admission.status != AdmissionStatus.ADMITTED
        ):
            raise Conflict(
                _(
                    "The organization's admission is %(status)s: reinstate the organization "
                    "first (the scenarios suspended with it return with it)."
                )
                % {"status": admission.get_status_display() if admission else "—"}
            )
        previous = scenario.status
        scenario.status, scenario.reason = target, reason
        scenario.suspended_with_organization = False  # cascade_organization sets it
        scenario.save(update_fields=["status", "reason", "suspended_with_organization"])
        if target in (S.SUSPENDED, S.REVOKED):
            # Suspension cancels queued jobs (running ones finish on their workspace);
            # revocation stops running ones too, since the workspace is destroyed.
            jobs_cancel_for_scenario(
                by=by,
                scenario=scenario,
                reason=say(
                    "scenario_revoked" if target == S.REVOKED else "scenario_suspended",
                    comment=reason,
                ),
                running=target == S.REVOKED,
            )
        if target == S.REVOKED:
            _destroy_workspaces(scenario)
        if target in (S.SUSPENDED, S.REVOKED):
            hooks.announce(
                hooks.SCENARIO_ENDED, by=by, scenario=scenario, status=target, reason=reason
            )
        elif action == "reinstate":
            hooks.announce(hooks.SCENARIO_REINSTATED, by=by, scenario=scenario)
        audit_record(
            by=by,
            action=f"scenario.{action}",
            target=scenario,
            organization=scenario.organization,
            details={"from": previous, "to": target, "reason": reason},
        )
        _notify(scenario)
    return scenario


def _notify(scenario: Scenario) -> None:
    notification_send(
        recipients=scenario.organization.admins_group.user_set.filter(is_active=True),
        subject_template="scenarios/email/scenario_subject.txt",
        body_template="scenarios/email/scenario_body.txt",
        context={"scenario": scenario},
        target_url=reverse("scenario-detail", args=[scenario.pk]),
    )


def _cascade(by, scenarios, *, action: str, reason: str) -> list[Scenario]:
    """``action`` on each of ``scenarios`` that its source states allow, in the order of
    their ids (every cascade locks them in that order); returns those changed. One that
    left those states after the list was read (closed or expired meanwhile) is passed
    over: it is no reason to undo the suspension, withdrawal or revocation that cascades."""
    sources = TRANSITIONS[action][0]
    changed = []
    for pk in sorted(set(scenarios.filter(status__in=sources).values_list("pk", flat=True))):
        scenario = Scenario.objects.select_for_update().get(pk=pk)
        if scenario.status in sources:
            changed.append(
                scenario_transition(by=by, scenario=scenario, action=action, reason=reason)
            )
    return changed


def cascade_organization(*, by, organization, action: str, reason: str) -> None:
    """An organization suspended or revoked: its scenarios follow, each audited. Those its
    suspension suspends are marked so, and return with it (cascade_organization_reinstated);
    one suspended before stays suspended until staff reinstate it."""
    for changed in _cascade(by, organization.scenarios.all(), action=action, reason=reason):
        if action == "suspend":
            changed.suspended_with_organization = True
            changed.save(update_fields=["suspended_with_organization"])


def cascade_organization_reinstated(*, by, organization) -> None:
    """An organization admitted again: the scenarios its suspension suspended are
    authorized again, each audited, notified and announced (the rights registered on them
    return), unless a catalog of their scope was withdrawn meanwhile (they stay suspended,
    with that reason, until staff decide) or their period is over (they expire)."""
    today = timezone.localdate()
    returning = organization.scenarios.select_for_update().filter(
        status=S.SUSPENDED, suspended_with_organization=True, period_end__gte=today
    )  # one whose period is over is left to scenarios_expire
    for scenario in returning.order_by("pk"):
        withdrawn = (
            Catalog.objects.filter(
                pk__in=scenario.scope.values("catalog"), status=CatalogStatus.WITHDRAWN
            )
            .order_by("code")
            .first()
        )
        if withdrawn is None:
            scenario_transition(
                by=by,
                scenario=scenario,
                action="reinstate",
                reason=_("Its organization was reinstated."),
            )
            continue
        reason = _withdrawn(withdrawn.code, withdrawn.withdrawn_reason)
        scenario.suspended_with_organization, scenario.reason = False, reason
        scenario.save(update_fields=["suspended_with_organization", "reason"])
        audit_record(
            by=by,
            action="scenario.suspend",
            target=scenario,
            organization=organization,
            details={
                "from": S.SUSPENDED,
                "to": S.SUSPENDED,
                "reason": reason,
                "organization_reinstated": organization.pk,
            },
        )
        _notify(scenario)


def _withdrawn(code: str, reason: str) -> str:
    return _("Catalog %(code)s was withdrawn: %(reason)s") % {"code": code, "reason": reason}


def cascade_catalog_withdrawn(*, by, catalog, reason: str) -> None:
    """A withdrawn catalog: every authorized scenario using it is suspended (flagged)."""
    using = Scenario.objects.filter(scope__catalog=catalog)
    _cascade(by, using, action="suspend", reason=_withdrawn(catalog.code, reason))


def scenario_close(*, by, scenario: Scenario, reason: str = "") -> Scenario:
    """The organization (its admins) or operator staff end a scenario early: its
    workspaces are destroyed."""
    if not (is_operator_staff(by) or is_org_admin(by, scenario.organization_id)):
        raise PermissionRefused(_("Only the organization's administrators close a scenario."))
    reason = clean_text(reason, field="reason", max_length=REASON_MAX)
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if scenario.status not in (S.AUTHORIZED, S.SUSPENDED, S.PENDING_REVIEW):
            raise Conflict(
                _("Cannot close a scenario that is %(status)s.")
                % {"status": scenario.get_status_display()}
            )
        previous = scenario.status
        scenario.status, scenario.reason = S.CLOSED, reason
        scenario.suspended_with_organization = False
        scenario.save(update_fields=["status", "reason", "suspended_with_organization"])
        jobs_cancel_for_scenario(
            by=by, scenario=scenario, reason=say("scenario_closed"), running=True
        )
        _destroy_workspaces(scenario)
        hooks.announce(
            hooks.SCENARIO_ENDED, by=by, scenario=scenario, status=S.CLOSED, reason=reason
        )
        audit_record(
            by=by,
            action="scenario.close",
            target=scenario,
            organization=scenario.organization,
            details={"from": previous, "reason": scenario.reason},
        )
        _notify(scenario)
    return scenario


def cascade_revoke(*, by, scenarios, reason: str) -> None:
    """Revoke every live scenario of a revoked type (inside the caller's transaction)."""
    _cascade(by, scenarios, action="revoke", reason=reason)


def scenarios_expire(*, today=None) -> int:
    """Expire authorized or suspended scenarios whose period has ended (system action)."""
    today = today or timezone.localdate()
    expired = 0
    due = Scenario.objects.filter(
        status__in=[S.AUTHORIZED, S.SUSPENDED], period_end__lt=today
    ).order_by("pk")
    for scenario in due:
        with transaction.atomic():
            scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
            if scenario.status not in (S.AUTHORIZED, S.SUSPENDED):
                continue
            scenario.status, scenario.suspended_with_organization = S.EXPIRED, False
            scenario.save(update_fields=["status", "suspended_with_organization"])
            jobs_cancel_for_scenario(
                by=None, scenario=scenario, reason=say("scenario_expired"), running=False
            )
            hooks.announce(
                hooks.SCENARIO_ENDED,
                by=None,
                scenario=scenario,
                status=S.EXPIRED,
                reason=_("The scenario expired."),
            )
            audit_record(
                by=None,
                action="scenario.expire",
                target=scenario,
                organization=scenario.organization,
                details={"period_end": scenario.period_end},
            )
            expired += 1
    return expired


def _refuse_regrading_in_use(catalog, regraded) -> None:
    """Types and scenarios were reviewed (or filed) on their fields as graded then: a
    field of an approved or submitted type's scope, or of a live scenario's, is neither
    protected less nor dropped (the new workspace could not hold it, and jobs would go on
    reading the previous one) without a review; withdrawing the catalog stops them."""
    if not regraded:
        return
    scopes = list(
        TypeScopeItem.objects.filter(
            catalog=catalog,
            scenario_type__status__in=[ScenarioTypeStatus.APPROVED, ScenarioTypeStatus.SUBMITTED],
        ).values_list("columns", flat=True)
    )
    scopes += ScenarioScopeItem.objects.filter(
        catalog=catalog, scenario__status__in=[S.AUTHORIZED, S.SUSPENDED, S.PENDING_REVIEW]
    ).values_list("columns", flat=True)
    used = sorted({column for columns in scopes for column in columns} & set(regraded))
    if used:
        raise InvalidInput(
            _(
                "Scenario types or scenarios in use were reviewed with the grading of "
                "%(columns)s (%(code)s): it cannot be lowered, nor can the fields be dropped, "
                "without their review. Withdraw the catalog to stop their use."
            )
            % {"columns": ", ".join(used), "code": catalog.code},
            field="masking",
        )


def workspaces_refresh_for_catalog(*, by, catalog, regraded=()) -> None:
    """A catalog published as a new version: each authorized or suspended scenario using
    it gets a new workspace version (earlier versions stay for the jobs that started on
    them), so a suspended one reinstated later works on the catalog's latest version. A
    grading that takes away what types and scenarios using the fields were reviewed on is
    refused (``regraded``)."""
    _refuse_regrading_in_use(catalog, regraded)
    scenarios = Scenario.objects.filter(
        status__in=[S.AUTHORIZED, S.SUSPENDED], scope__catalog=catalog
    ).distinct()
    for scenario in scenarios.order_by("pk"):
        workspace_request(by=by, scenario=scenario)
