"""Portal pages of the demand list: the public summary, filing, one's own demands, a
demand's page (its timeline; triage for operator staff; the answer for its provider) and
the operator's pipeline. Thin over demands.selectors and demands.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import InvalidInput
from core.portal import act, form_error, paged
from demands.forms import (
    AnswerForm,
    AssignForm,
    BlockForm,
    DemandFilterForm,
    DemandForm,
    MatchForm,
    MergeForm,
)
from demands.models.demand import ACTIVE
from demands.selectors import (
    catalog_suggestions,
    demand_detailed,
    demand_shown,
    demands_assigned_to,
    demands_of_organization,
    demands_public,
    pipeline,
)
from demands.services import demands as svc
from operation.models import CatalogStatus
from operation.selectors import catalog_get, catalogs_filter, catalogs_visible_to
from scenarios.models import ScenarioTypeStatus
from scenarios.selectors import scenario_types_visible_to, scenarios_visible_to
from tenants.permissions import may_file_demand, organization_of, sees_everything


def demand_list(request):
    """The public demand list: what is asked, never who asks."""
    form = DemandFilterForm(request.GET or None)
    page, query = paged(request, demands_public(request.GET))
    return render(
        request,
        "demands/demand_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_file": may_file_demand(request.user),
            "sees_pipeline": sees_everything(request.user),
        },
    )


def _own_scenarios(user):
    return scenarios_visible_to(user).filter(organization=organization_of(user))


@login_required
def demand_new(request):
    if not may_file_demand(request.user):
        raise Http404
    form = DemandForm(request.POST or None, scenarios=_own_scenarios(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            demand = svc.demand_file(by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(request, _("Your demand is on the list; operator staff triage it."))
            return redirect("demand-detail", pk=demand.pk)
    return render(request, "demands/demand_new.html", {"form": form})


@login_required
def demand_mine(request):
    return render(
        request,
        "demands/demand_mine.html",
        {
            "filed": demands_of_organization(request.user),
            "assigned": demands_assigned_to(request.user),
            "can_file": may_file_demand(request.user),
        },
    )


@login_required
def demand_pipeline(request):
    return render(
        request,
        "demands/demand_pipeline.html",
        {
            "figures": pipeline(request.user),
            "active_labels": [status.label for status in ACTIVE],
            "active": demands_public().filter(status__in=ACTIVE).order_by("created_at", "pk"),
        },
    )


def _filing_routes(user, catalogs) -> list[dict]:
    """For each matched catalog, the approved types whose scope holds it (file a scenario
    under one, prefilled with the catalog) and whether a new type may be proposed."""
    types = scenario_types_visible_to(user).filter(status=ScenarioTypeStatus.APPROVED)
    return [
        {"catalog": catalog, "types": list(types.filter(scope__catalog=catalog).distinct())}
        for catalog in catalogs
    ]


@login_required
def demand_detail(request, pk: int):
    shown = demand_shown(request.user, pk)
    demand = shown.demand
    context = {"shown": shown, "demand": demand}
    if shown.demander:
        context["routes"] = _filing_routes(request.user, demand.catalogs.all())
    if shown.triages:
        search = request.GET.get("search", "")
        found = (
            catalogs_filter(catalogs_visible_to(request.user), {"search": search})[:10]
            if search
            else catalog_suggestions(request.user, demand)
        )
        context |= {
            "search": search,
            "suggestions": found,
            "assign_form": AssignForm(initial={"provider": demand.provider_id}),
            "match_form": MatchForm(),
            "block_form": BlockForm(),
            "merge_form": MergeForm(),
        }
    if shown.answers:
        context["answer_form"] = AnswerForm(catalogs=_provider_drafts(request.user, demand))
    return render(request, "demands/demand_detail.html", context)


def _provider_drafts(user, demand):
    return catalogs_visible_to(user).filter(
        provider_id=demand.provider_id, status=CatalogStatus.DRAFT
    )


def _act(request, demand, action: str):
    """The service call one triage or answer form asks for, or None for a bad form."""
    data = request.POST
    if action == "assign":
        form = AssignForm(data)
        if form.is_valid():
            return _("The demand is assigned to the provider."), lambda: svc.demand_assign(
                by=request.user, demand=demand, **form.cleaned_data
            )
    elif action == "match":
        form = MatchForm(data)
        if form.is_valid():
            catalog = catalog_get(request.user, form.cleaned_data["catalog"].strip())
            return _("The catalog is linked to the demand."), lambda: svc.demand_match(
                by=request.user, demand=demand, catalog=catalog, note=form.cleaned_data["note"]
            )
    elif action == "block":
        form = BlockForm(data)
        if form.is_valid():
            return _("The demand is marked as a data blockage."), lambda: svc.demand_block(
                by=request.user, demand=demand, **form.cleaned_data
            )
    elif action == "merge":
        form = MergeForm(data)
        if form.is_valid():
            into = demand_detailed(request.user, form.cleaned_data["into"])
            return _("The duplicate is merged into the kept demand."), lambda: svc.demand_merge(
                by=request.user, demand=demand, into=into
            )
    elif action == "answer":
        form = AnswerForm(data, catalogs=_provider_drafts(request.user, demand))
        if form.is_valid():
            values = form.cleaned_data
            return _("Your answer is recorded; the demander is told."), lambda: svc.demand_answer(
                by=request.user,
                demand=demand,
                will_publish=values["answer"] == "will",
                due_date=values["due_date"],
                reason=values["reason"],
                catalog=values["catalog"],
            )
    else:
        raise Http404
    messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
    return None


@login_required
@require_POST
def demand_act(request, pk: int, action: str):
    demand = demand_detailed(request.user, pk)
    found = _act(request, demand, action)
    if found is not None:
        done, call = found
        act(request, call, done=done)
    return redirect("demand-detail", pk=demand.pk)
