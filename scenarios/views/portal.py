"""Portal pages for scenario types ("one type, one approval") and scenarios: thin views
over the selectors (reads, 404 for anything not visible) and the services (every change).
InvalidInput is shown on the form or as a message; Conflict and PermissionRefused become
error pages in core.errors.ApplicationErrorMiddleware."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import Conflict, InvalidInput
from core.portal import act, form_error, paged
from core.selectors import audit_events_for_target
from operation.models import CatalogStatus, MaskingRule, SensitivityLevel
from operation.selectors import catalogs_visible_to
from scenarios.agreement import AGREEMENT_TEXT
from scenarios.forms import (
    ReasonForm,
    ReviewForm,
    ScenarioApplyForm,
    ScenarioTypeForm,
    posted_scope,
    scenario_filter_form,
    type_filter_form,
)
from scenarios.models import (
    AmendmentReview,
    OutputKind,
    ScenarioStatus,
    ScenarioTypeStatus,
    TypeReview,
    WorkspaceStatus,
)
from scenarios.reviews import awaits_decision
from scenarios.selectors import (
    jobs_visible_to,
    scenario_get,
    scenario_type_get,
    scenario_types_visible_to,
    scenarios_visible_to,
)
from scenarios.services import scenarios as scenario_svc
from scenarios.services import types as type_svc
from scenarios.services.scenarios import AMENDMENT_REVIEW
from scenarios.services.types import TYPE_REVIEW
from tenants.permissions import (
    is_admitted_member,
    is_member,
    is_operator_staff,
    is_org_admin,
    may_propose_type,
    sees_reviewers,
)

TRANSITION_LABELS = {
    "suspend": gettext_lazy("Suspend"),
    "reinstate": gettext_lazy("Reinstate"),
    "revoke": gettext_lazy("Revoke"),
    "close": gettext_lazy("Close the scenario"),
}
CLOSABLE = (ScenarioStatus.AUTHORIZED, ScenarioStatus.SUSPENDED, ScenarioStatus.PENDING_REVIEW)


def _selectable(field) -> bool:
    """L4 and dropped fields never enter a workspace: shown, never offered."""
    return field.level != SensitivityLevel.L4 and field.masking != MaskingRule.DROP


# Scenario types -----------------------------------------------------------------------


@login_required
def type_list(request):
    form = type_filter_form(request.GET or None)
    types = scenario_types_visible_to(request.user)
    wanted = form.wanted()
    if wanted:
        types = types.filter(status=wanted)
    page, query = paged(request, types)
    return render(
        request,
        "scenarios/type_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_propose": may_propose_type(request.user),
        },
    )


def _scope_choices(user, posted: dict[str, list[str]]) -> list[dict]:
    """Each published catalog with its fields: level, masking, selectable, ticked."""
    catalogs = (
        catalogs_visible_to(user)
        .filter(status=CatalogStatus.PUBLISHED)
        .prefetch_related("fields")
        .order_by("code")
    )
    choices = []
    for catalog in catalogs:
        ticked = set(posted.get(catalog.code, []))
        fields = [
            {"field": f, "selectable": _selectable(f), "checked": f.column in ticked}
            for f in catalog.fields.all()
        ]
        choices.append({"catalog": catalog, "fields": fields, "open": bool(ticked)})
    return choices


def _prefilled(request) -> dict[str, list[str]]:
    """A form opened with ``?catalog=CODE`` (from a demand matched to that catalog): the
    catalog's selectable fields ticked."""
    code = request.GET.get("catalog", "")
    catalog = (
        catalogs_visible_to(request.user)
        .filter(code=code, status=CatalogStatus.PUBLISHED)
        .prefetch_related("fields")
        .first()
    )
    if catalog is None:
        return {}
    return {catalog.code: [f.column for f in catalog.fields.all() if _selectable(f)]}


def _missing_scope(request, scope: dict) -> list[str]:
    """A form posted without any field ticked: said at the scope's section, together with
    the form's own errors."""
    if request.method == "POST" and not scope:
        return [_("Name at least one catalog and its fields.")]
    return []


def _refused(form, scope_errors: list[str], error: InvalidInput) -> None:
    """A service's refusal: at the scope's section when it is about the scope, otherwise
    on the form."""
    if error.field == "scope":
        scope_errors.append(error.message)
    else:
        form_error(form, error)


@login_required
def type_new(request):
    # Who sees the proposal form (the service decides again on submission).
    if not may_propose_type(request.user):
        raise Http404
    form = ScenarioTypeForm(request.POST or None)
    codes = list(
        catalogs_visible_to(request.user)
        .filter(status=CatalogStatus.PUBLISHED)
        .values_list("code", flat=True)
    )
    scope = posted_scope(request.POST, codes) if request.method == "POST" else _prefilled(request)
    scope_errors = _missing_scope(request, scope)
    if request.method == "POST" and form.is_valid() and not scope_errors:
        try:
            scenario_type = type_svc.scenario_type_propose(
                by=request.user, scope=scope, **form.cleaned_data
            )
        except InvalidInput as error:
            _refused(form, scope_errors, error)
        else:
            messages.success(
                request,
                _("The scenario type is saved as a draft. Check it, then submit it for review."),
            )
            return redirect("scenario-type-detail", pk=scenario_type.pk)
    return render(
        request,
        "scenarios/type_new.html",
        {
            "form": form,
            "catalogs": _scope_choices(request.user, scope),
            "scope_errors": scope_errors,
        },
    )


def _scope_side_by_side(items) -> list[dict]:
    """Per catalog in scope: every field of the catalog, its level and masking rule, and
    whether the scope includes it, so reviewers judge the scope against the catalog."""
    rows = []
    for item in items:
        columns = set(item.columns)
        rows.append(
            {
                "catalog": item.catalog,
                "fields": [(f, f.column in columns) for f in item.catalog.fields.all()],
            }
        )
    return rows


@login_required
def type_detail(request, pk: int):
    scenario_type = scenario_type_get(request.user, pk)
    user = request.user
    is_proposer = is_member(user, scenario_type.proposer_id)
    # Reviews and the history name the reviewers: shown to oversight only, as in the API.
    oversees = sees_reviewers(user)
    reviews = list(scenario_type.reviews.select_related("reviewer")) if oversees else []
    can_review = awaits_decision(TYPE_REVIEW, user, scenario_type)
    items = scenario_type.scope.select_related("catalog").prefetch_related("catalog__fields")
    return render(
        request,
        "scenarios/type_detail.html",
        {
            "scenario_type": scenario_type,
            "scope": _scope_side_by_side(items),
            "output_kinds": _output_kind_labels(scenario_type.output_kinds),
            "reviews": reviews,
            "show_reviews": oversees,
            "can_submit": is_proposer
            and scenario_type.status in (ScenarioTypeStatus.DRAFT, ScenarioTypeStatus.RETURNED),
            "can_review": can_review,
            "decisions": TypeReview.Decision.choices,
            "can_revoke": is_operator_staff(user)
            and scenario_type.status == ScenarioTypeStatus.APPROVED,
            "can_apply": scenario_type.status == ScenarioTypeStatus.APPROVED
            and is_admitted_member(user),
            "history": audit_events_for_target(scenario_type) if oversees else [],
        },
    )


def _output_kind_labels(kinds) -> list[str]:
    labels = dict(OutputKind.choices)
    return [labels.get(kind, kind) for kind in kinds]


@login_required
@require_POST
def type_submit(request, pk: int):
    scenario_type = scenario_type_get(request.user, pk)
    type_svc.scenario_type_submit(by=request.user, scenario_type=scenario_type)
    messages.success(request, _("Submitted for review."))
    return redirect("scenario-type-detail", pk=pk)


@login_required
@require_POST
def type_review(request, pk: int):
    scenario_type = scenario_type_get(request.user, pk)
    form = ReviewForm(request.POST)
    form.is_valid()
    act(
        request,
        lambda: type_svc.scenario_type_review(
            by=request.user,
            scenario_type=scenario_type,
            decision=form.cleaned_data.get("decision", ""),
            comment=form.cleaned_data.get("comment", ""),
        ),
        done=_("Decision recorded."),
    )
    return redirect("scenario-type-detail", pk=pk)


@login_required
@require_POST
def type_revoke(request, pk: int):
    scenario_type = scenario_type_get(request.user, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    act(
        request,
        lambda: type_svc.scenario_type_revoke(
            by=request.user,
            scenario_type=scenario_type,
            reason=form.cleaned_data.get("reason", ""),
        ),
        done=_("The scenario type is revoked, with its scenarios."),
    )
    return redirect("scenario-type-detail", pk=pk)


# Scenarios ----------------------------------------------------------------------------


def _type_scope_choices(scenario_type, posted: dict[str, list[str]]) -> list[dict]:
    """The type's approved scope, field by field, for the application form."""
    choices = []
    items = scenario_type.scope.select_related("catalog").prefetch_related("catalog__fields")
    for item in items:
        approved, ticked = set(item.columns), set(posted.get(item.catalog.code, []))
        fields = [
            {"field": f, "checked": f.column in ticked}
            for f in item.catalog.fields.all()
            if f.column in approved
        ]
        choices.append({"catalog": item.catalog, "fields": fields})
    return choices


@login_required
def scenario_apply(request, type_id: int):
    scenario_type = scenario_type_get(request.user, type_id)
    if scenario_type.status != ScenarioTypeStatus.APPROVED:
        raise Conflict(_("Scenarios can only be filed under an approved type."))
    form = ScenarioApplyForm(request.POST or None, scenario_type=scenario_type)
    codes = [item.catalog.code for item in scenario_type.scope.all()]
    scope = posted_scope(request.POST, codes) if request.method == "POST" else _prefilled(request)
    scope_errors = _missing_scope(request, scope)
    if request.method == "POST" and form.is_valid() and not scope_errors:
        try:
            scenario = scenario_svc.scenario_apply(
                by=request.user,
                scenario_type=scenario_type,
                scope=scope,
                **form.service_fields(),
            )
        except InvalidInput as error:
            _refused(form, scope_errors, error)
        else:
            if scenario.status == ScenarioStatus.AUTHORIZED:
                messages.success(
                    request,
                    _(
                        "Authorized on filing: the scenario stays inside the type's approved "
                        "scope. Its workspace is being prepared."
                    ),
                )
            else:
                messages.info(
                    request,
                    _("The scenario asks beyond the type's approved scope: it is sent to review."),
                )
            return redirect("scenario-detail", pk=scenario.pk)
    return render(
        request,
        "scenarios/scenario_apply.html",
        {
            "form": form,
            "scenario_type": scenario_type,
            "catalogs": _type_scope_choices(scenario_type, scope),
            "scope_errors": scope_errors,
            "agreement_text": AGREEMENT_TEXT,
        },
    )


@login_required
def scenario_list(request):
    form = scenario_filter_form(request.GET or None)
    scenarios = scenarios_visible_to(request.user)
    wanted = form.wanted()
    if wanted:
        scenarios = scenarios.filter(status=wanted)
    page, query = paged(request, scenarios)
    return render(
        request, "scenarios/scenario_list.html", {"form": form, "page": page, "query": query}
    )


def _latest_workspace(scenario):
    workspace = max(scenario.workspaces.all(), key=lambda w: w.version, default=None)
    if workspace is None:
        return None, []
    tables = [
        {"code": code, "rows": table.get("rows"), "columns": table.get("columns", [])}
        for code, table in sorted(workspace.manifest.get("tables", {}).items())
    ]
    return workspace, tables


@login_required
def scenario_detail(request, pk: int):
    scenario = scenario_get(request.user, pk)
    user = request.user
    oversees = sees_reviewers(user)
    reviews = list(scenario.reviews.select_related("reviewer")) if oversees else []
    approved = {item.catalog_id: set(item.columns) for item in scenario.scenario_type.scope.all()}
    scope = [
        {
            "catalog": item.catalog,
            "columns": [
                (column, column not in approved.get(item.catalog_id, set()))
                for column in item.columns
            ],
        }
        for item in scenario.scope.all()
    ]
    can_review = awaits_decision(AMENDMENT_REVIEW, user, scenario)
    transitions = []
    if is_operator_staff(user):
        transitions = [
            (action, TRANSITION_LABELS[action], needs_reason)
            for action, (sources, _target, needs_reason) in scenario_svc.TRANSITIONS.items()
            if scenario.status in sources
        ]
    can_close = scenario.status in CLOSABLE and (
        is_operator_staff(user) or is_org_admin(user, scenario.organization_id)
    )
    if can_close:
        transitions.append(("close", TRANSITION_LABELS["close"], False))
    workspace, tables = _latest_workspace(scenario)
    return render(
        request,
        "scenarios/scenario_detail.html",
        {
            "scenario": scenario,
            "scope": scope,
            "workspace": workspace,
            "tables": tables,
            "reviews": reviews,
            "show_reviews": oversees,
            "can_review": can_review,
            "decisions": AmendmentReview.Decision.choices,
            "transitions": transitions,
            "history": audit_events_for_target(scenario) if oversees else [],
            "jobs": jobs_visible_to(user).filter(scenario=scenario)[:50],
            "is_member": is_member(user, scenario.organization_id),
            "can_submit_job": scenario.status == ScenarioStatus.AUTHORIZED
            and scenario.workspaces.filter(status=WorkspaceStatus.READY).exists(),
        },
    )


@login_required
@require_POST
def scenario_review(request, pk: int):
    scenario = scenario_get(request.user, pk)
    form = ReviewForm(request.POST)
    form.is_valid()
    act(
        request,
        lambda: scenario_svc.scenario_amendment_review(
            by=request.user,
            scenario=scenario,
            decision=form.cleaned_data.get("decision", ""),
            comment=form.cleaned_data.get("comment", ""),
        ),
        done=_("Decision recorded."),
    )
    return redirect("scenario-detail", pk=pk)


@login_required
@require_POST
def scenario_transition(request, pk: int, action: str):
    if action not in TRANSITION_LABELS:
        raise Http404
    scenario = scenario_get(request.user, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    if action == "close":
        act(
            request,
            lambda: scenario_svc.scenario_close(by=request.user, scenario=scenario, reason=reason),
            done=_("Decision recorded."),
        )
    else:
        act(
            request,
            lambda: scenario_svc.scenario_transition(
                by=request.user, scenario=scenario, action=action, reason=reason
            ),
            done=_("Decision recorded."),
        )
    return redirect("scenario-detail", pk=pk)
