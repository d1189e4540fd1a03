"""Portal pages for data services ("shared interfaces"): the services and their versions,
their review, proposing one, a scenario's API keys and the usage dashboard. Thin views
over the selectors (reads, 404 for anything not visible) and the services (every change).

A key's secret is shown once, on the answer to the POST that made it (never stored, never
cached by the browser: every key page is ``Cache-Control: no-store``)."""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.csv import csv_attachment
from core.errors import Conflict, InvalidInput, NotFound
from core.portal import act, form_error
from scenarios.dataservices import definitions as definition_svc
from scenarios.dataservices import keys as key_svc
from scenarios.dataservices import quotas as quota_svc
from scenarios.dataservices.definitions import may_propose
from scenarios.forms import (
    ApiKeyForm,
    QuotaForm,
    RateForm,
    ReviewForm,
    ServiceForm,
    UsageFilterForm,
)
from scenarios.models import DefinitionStatus, ScenarioStatus, ServiceReview
from scenarios.reviews import awaits_decision
from scenarios.selectors import (
    USAGE_EXPORT_HEADER,
    api_key_get,
    api_keys_visible_to,
    definitions_visible_to,
    scenario_get,
    scenario_type_get,
    service_calls_visible_to,
    service_get,
    usage_export_rows,
    usage_filter,
    usage_summary,
)
from scenarios.views.presenters import (
    example_call,
    key_rows,
    parameter_rows,
    service_rows,
    usage_chart,
)
from scenarios.views.pricing import price_form_for, price_post
from tenants import permissions
from tenants.models import OrganizationKind
from tenants.selectors import organizations_visible_to

D = DefinitionStatus


def _messages_of(form) -> str:
    return " ".join(str(m) for errors in form.errors.values() for m in errors)


# Services -----------------------------------------------------------------------------


@login_required
def service_list(request):
    definitions = definitions_visible_to(request.user).order_by("service__code", "-version")
    return render(
        request,
        "scenarios/service_list.html",
        {"rows": service_rows(definitions)},
    )


def _reviews_by_definition(definitions) -> dict[int, list]:
    found = ServiceReview.objects.filter(definition__in=definitions).select_related("reviewer")
    grouped: dict[int, list] = {}
    for review in found:
        grouped.setdefault(review.definition_id, []).append(review)
    return grouped


@login_required
def service_detail(request, code: str):
    user = request.user
    service = service_get(user, code)
    definitions = list(definitions_visible_to(user).filter(service=service).order_by("-version"))
    (row,) = service_rows(definitions)
    scenario_type = service.scenario_type
    # Reviews name the reviewers: shown to oversight only, as on the type's page.
    oversees = permissions.sees_reviewers(user)
    reviews = _reviews_by_definition(definitions) if oversees else {}
    pending = row["pending"]
    can_review = pending is not None and awaits_decision(
        definition_svc.SERVICE_REVIEW, user, pending
    )
    quota_form = quotas = price_form = None
    if permissions.is_operator_staff(user):
        price_form = price_form_for(service)
        quota_form = QuotaForm(organizations=_developers(user))
        quotas = service.quotas.select_related("organization").order_by("organization__name")
    return render(
        request,
        "scenarios/service_detail.html",
        {
            "service": service,
            "scenario_type": scenario_type,
            "row": row,
            "current": row["current"],
            "pending": pending,
            "pending_shown": pending is not None and pending != row["current"],
            "pending_parameters": parameter_rows(pending.parameters) if pending else [],
            "versions": [{"definition": d, "reviews": reviews.get(d.pk, [])} for d in definitions],
            "show_reviews": oversees,
            "can_review": can_review,
            "decisions": ServiceReview.Decision.choices,
            "can_propose": may_propose(user, scenario_type),
            "example": example_call(request, row["current"]),
            "quota_form": quota_form,
            "quotas": quotas,
            "price_form": price_form,
            "default_quota": settings.SERVICES_DAILY_QUOTA,
        },
    )


@login_required
@require_POST
def service_price(request, code: str):
    price_post(request, service_get(request.user, code))
    return redirect("service-detail", code=code)


def _developers(user):
    return organizations_visible_to(user).filter(kind=OrganizationKind.DEVELOPER).order_by("name")


@login_required
@require_POST
def service_review(request, code: str, version: int):
    definition = (
        definitions_visible_to(request.user)
        .filter(service__code=code, version=version)
        .select_related("service__scenario_type")
        .first()
    )
    if definition is None:
        raise NotFound()
    form = ReviewForm(request.POST)
    form.is_valid()
    act(
        request,
        lambda: definition_svc.service_review(
            by=request.user,
            definition=definition,
            decision=form.cleaned_data.get("decision", ""),
            comment=form.cleaned_data.get("comment", ""),
        ),
        done=_("Decision recorded."),
    )
    return redirect("service-detail", code=code)


@login_required
@require_POST
def service_quota(request, code: str):
    service = service_get(request.user, code)
    form = QuotaForm(request.POST, organizations=_developers(request.user))
    if not form.is_valid():
        messages.error(request, _messages_of(form))
        return redirect("service-detail", code=code)
    organization, calls = form.cleaned_data["organization"], form.cleaned_data["calls_per_day"]
    act(
        request,
        lambda: quota_svc.quota_set(
            by=request.user, organization=organization, service=service, calls_per_day=calls
        ),
        done=_("The daily quota of %(organization)s is set.") % {"organization": organization},
    )
    return redirect("service-detail", code=code)


def _initial_from(scenario_type, user, code: str) -> dict:
    """A new version starts from the newest visible one of the type's service ``code``."""
    latest = (
        definitions_visible_to(user)
        .filter(service__scenario_type=scenario_type, service__code=code)
        .order_by("-version")
        .first()
    )
    if latest is None:
        return {}
    return {
        "code": latest.service.code,
        "name": latest.name,
        "name_en": latest.name_en,
        "description": latest.description,
        "sql": latest.sql,
        "parameters": json.dumps(latest.parameters, ensure_ascii=False, indent=2),
        "columns": ", ".join(latest.columns),
        "unit": latest.unit,
        "cached": latest.cached,
    }


@login_required
def service_new(request, pk: int):
    """Propose a service for a type, or a new version of one (``?code=`` starts from it);
    refused input is shown on the form, which keeps what was typed."""
    scenario_type = scenario_type_get(request.user, pk)
    if not may_propose(request.user, scenario_type):
        raise Http404
    initial = _initial_from(scenario_type, request.user, request.GET.get("code", ""))
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            definition = definition_svc.service_propose(
                by=request.user, scenario_type=scenario_type, **form.cleaned_data
            )
        except (InvalidInput, Conflict) as error:
            form_error(form, error)
        else:
            if definition.status == D.SUBMITTED:
                messages.success(
                    request, _("The service is submitted: reviewers decide on it as an amendment.")
                )
            else:
                messages.success(request, _("The service is saved: it is reviewed with the type."))
            return redirect("service-detail", code=definition.service.code)
    return render(
        request,
        "scenarios/service_new.html",
        {"form": form, "scenario_type": scenario_type, "new_version": bool(initial)},
    )


# API keys -----------------------------------------------------------------------------


@never_cache
@login_required
def scenario_api_keys(request, pk: int):
    """A scenario's keys. An administrator of its organization makes one: the answer to
    that POST is the only page that ever shows its secret."""
    user = request.user
    scenario = scenario_get(user, pk)
    member = permissions.is_member(user, scenario.organization_id)
    if not member and not permissions.sees_everything(user):
        raise Http404
    is_admin = permissions.is_org_admin(user, scenario.organization_id)
    authorized = scenario.status == ScenarioStatus.AUTHORIZED
    form = ApiKeyForm(request.POST or None) if is_admin and authorized else None
    created = secret = None
    if request.method == "POST":
        permissions.check_org_admin(
            user,
            scenario.organization_id,
            _("Only an administrator of the scenario's organization makes keys."),
        )
        if form is None:
            raise Conflict(_("Keys are made for authorized scenarios only."))
        if form.is_valid():
            try:
                created, secret = key_svc.api_key_create(
                    by=user,
                    scenario=scenario,
                    name=form.cleaned_data["name"],
                    expires_at=form.expiry(),
                )
            except InvalidInput as error:
                form_error(form, error)
            else:
                form = ApiKeyForm()
    keys = api_keys_visible_to(user).filter(scenario=scenario)
    services = definitions_visible_to(user).filter(
        status=D.APPROVED, service__scenario_type=scenario.scenario_type_id
    )
    return render(
        request,
        "scenarios/api_keys.html",
        {
            "scenario": scenario,
            "keys": key_rows(keys),
            "form": form,
            "is_admin": is_admin,
            "authorized": authorized,
            "created": created,
            "secret": secret,
            "can_revoke": key_svc.may_revoke(user, scenario.organization_id),
            "can_set_rate": permissions.is_operator_staff(user),
            "default_rate": settings.SERVICES_RATE_PER_MINUTE,
            "services": services,
        },
    )


@login_required
@require_POST
def api_key_revoke(request, pk: int):
    key = api_key_get(request.user, pk)
    key_svc.api_key_revoke(by=request.user, key=key)
    messages.success(
        request, _("The key %(name)s is revoked: calls with it are refused.") % {"name": key}
    )
    return redirect("scenario-api-keys", pk=key.scenario_id)


@login_required
@require_POST
def api_key_rate(request, pk: int):
    key = api_key_get(request.user, pk)
    form = RateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _messages_of(form))
    else:
        act(
            request,
            lambda: quota_svc.api_key_rate_set(
                by=request.user, key=key, rate_per_minute=form.cleaned_data["rate_per_minute"]
            ),
            done=_("The key's rate limit is set."),
        )
    return redirect("scenario-api-keys", pk=key.scenario_id)


# Usage --------------------------------------------------------------------------------


def _usage_filter_form(user, data) -> UsageFilterForm:
    codes = (
        definitions_visible_to(user)
        .order_by("service__code")
        .values_list("service__code", flat=True)
        .distinct()
    )
    return UsageFilterForm(
        data,
        services=[(code, code) for code in codes],
        organizations=_developers(user) if permissions.sees_everything(user) else None,
    )


@login_required
def service_usage(request):
    """Calls per day, service and organization: every organization's for operator staff
    and auditors, one's own organization's for its members, nothing for anyone else."""
    calls = service_calls_visible_to(request.user)
    data = request.GET.copy()
    status = 200
    try:
        found, start, end = usage_filter(calls, request.GET)
    except InvalidInput as error:  # the default period, the refusal beside its field: a 400
        found, start, end = usage_filter(calls, {})
        form = _usage_filter_form(request.user, data)
        if error.field not in form.errors:  # else the field's own message already says it
            form_error(form, error)
        status = 400
    else:
        data["from"], data["to"] = start.isoformat(), end.isoformat()  # the period shown
        form = _usage_filter_form(request.user, data)
    summary = usage_summary(found, start, end)
    chosen = {
        name: request.GET[name] for name in ("service", "organization") if request.GET.get(name)
    }
    return render(
        request,
        "scenarios/service_usage.html",
        {
            "form": form,
            "summary": summary,
            "chart": usage_chart(summary),
            "export_query": urlencode({"from": start, "to": end, **chosen}),
            "all_organizations": permissions.sees_everything(request.user),
        },
        status=status,
    )


@login_required
def service_usage_csv(request):
    """The dashboard's calls, per day, service and organization, as CSV."""
    calls, start, end = usage_filter(service_calls_visible_to(request.user), request.GET)
    return csv_attachment(USAGE_EXPORT_HEADER, usage_export_rows(calls), f"usage-{start}-{end}.csv")
