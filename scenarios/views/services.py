"""Portal pages for data services ("shared interfaces"): the services and their versions,
their review, proposing one, a scenario's API keys and the usage dashboard. Thin views
over the selectors (reads, 404 for anything not visible) and the services (every change).

A key's secret is shown once, on the answer to the POST that made it (never stored, never
cached by the browser: every key page is ``Cache-Control: no-store``)."""

import datetime
import json
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import Conflict, InvalidInput, NotFound, PermissionRefused
from operation.exports import csv_attachment
from scenarios.models import (
    DefinitionStatus,
    OutputKind,
    ParameterType,
    ScenarioStatus,
    ScenarioTypeStatus,
    ServiceReview,
)
from scenarios.reviews import may_review
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
from scenarios.services import dataservices as svc
from tenants.models import MemberRole, OrganizationKind
from tenants.roles import PlatformRole, has_role
from tenants.selectors import membership_of, organizations_visible_to

D = DefinitionStatus
USAGE_ROLES = (PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR)
PROPOSABLE = (ScenarioTypeStatus.DRAFT, ScenarioTypeStatus.RETURNED, ScenarioTypeStatus.APPROVED)
DATE = {"format": "%Y-%m-%d", "attrs": {"type": "date"}}


# Forms: they only parse input; the services decide ------------------------------------


class ServiceForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=60,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. berth-traffic."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("English name"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sql = forms.CharField(
        label=gettext_lazy("SQL template"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "code", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One aggregate query over one catalog of the type's scope (as hy_0001 for "
            "HY-0001): grouping columns and counts or sums, $parameters in WHERE only, "
            "GROUP BY the grouping columns."
        ),
    )
    parameters = forms.CharField(
        label=gettext_lazy("Parameters (JSON)"),
        required=False,
        strip=False,
        initial="[]",
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
        help_text=gettext_lazy(
            'A list of objects, e.g. [{"name": "period", "type": "date_range", '
            '"max_days": 62}]. Types: date, date_range (binds $period_start and '
            "$period_end), integer, number (min, max), choice (choices); "
            '"required": false makes one optional.'
        ),
    )
    columns = forms.CharField(
        label=gettext_lazy("Output columns"),
        max_length=2000,
        help_text=gettext_lazy("The query's output column names, in order, comma-separated."),
    )
    unit = forms.CharField(
        label=gettext_lazy("Unit counted"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "The identifier field whose distinct values each cell must count at least the "
            "type's minimum of (e.g. mmsi); empty: rows are counted."
        ),
    )
    cached = forms.BooleanField(label=gettext_lazy("Cache results"), required=False)

    def clean_sql(self) -> str:
        return self.cleaned_data["sql"].replace("\r\n", "\n").replace("\r", "\n")

    def clean_parameters(self):
        text = self.cleaned_data["parameters"].strip() or "[]"
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("The parameters are not valid JSON (line %(line)s, column %(column)s: %(msg)s).")
                % {"line": error.lineno, "column": error.colno, "msg": error.msg}
            ) from None

    def clean_columns(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["columns"].split(",") if name.strip()]


class ServiceReviewForm(forms.Form):
    decision = forms.CharField()
    comment = forms.CharField(required=False)


class QuotaForm(forms.Form):
    organization = forms.ModelChoiceField(label=gettext_lazy("Organization"), queryset=None)
    calls_per_day = forms.IntegerField(
        label=gettext_lazy("Calls per day"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Empty: the platform's default."),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Key name"), max_length=100)
    expires_at = forms.DateField(
        label=gettext_lazy("Expires after (optional)"),
        required=False,
        widget=forms.DateInput(**DATE),
        help_text=gettext_lazy("The key stops working at the end of this day."),
    )

    def expiry(self) -> datetime.datetime | None:
        """The end of the chosen local day, or None."""
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(midnight)


class RateForm(forms.Form):
    rate_per_minute = forms.IntegerField(required=False, min_value=1)


class UsageFilterForm(forms.Form):
    """Shown on the dashboard; the period is parsed by ``usage_filter`` itself."""

    def __init__(self, *args, services, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=forms.DateInput(**DATE)
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False, widget=forms.DateInput(**DATE)
        )
        self.fields["service"] = forms.ChoiceField(
            label=_("Service"), required=False, choices=[("", _("All")), *services]
        )
        if organizations is not None:
            self.fields["organization"] = forms.ChoiceField(
                label=_("Organization"),
                required=False,
                choices=[("", _("All")), *((str(o.pk), o.name) for o in organizations)],
            )


def _form_error(form, error) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _act(request, call, *, done: str) -> None:
    """Run a service call from a POST: its refusal of the input becomes an error message
    (other refusals reach the error page through the middleware)."""
    try:
        call()
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


def _messages_of(form) -> str:
    return " ".join(str(m) for errors in form.errors.values() for m in errors)


# Reading definitions ------------------------------------------------------------------


def parameter_rows(parameters: list[dict]) -> list[dict]:
    """Each declared parameter: its name, type, whether required and its constraints."""
    types = dict(ParameterType.choices)
    rows = []
    for spec in parameters or []:
        limits = []
        if spec.get("type") == "date_range":
            limits.append(
                _("given as YYYY-MM-DD/YYYY-MM-DD; binds $%(name)s_start and $%(name)s_end")
                % {"name": spec["name"]}
            )
        if "max_days" in spec:
            limits.append(_("at most %(days)s days") % {"days": spec["max_days"]})
        if "min" in spec:
            limits.append(_("at least %(min)s") % {"min": spec["min"]})
        if "max" in spec:
            limits.append(_("at most %(max)s") % {"max": spec["max"]})
        if spec.get("choices"):
            limits.append(_("one of %(choices)s") % {"choices": ", ".join(spec["choices"])})
        rows.append(
            {
                "name": spec.get("name", ""),
                "label": spec.get("label", ""),
                "type": spec.get("type", ""),
                "type_label": types.get(spec.get("type"), spec.get("type", "")),
                "required": spec.get("required", True) is not False,
                "limits": "; ".join(str(limit) for limit in limits),
            }
        )
    return rows


def service_rows(definitions) -> list[dict]:
    """One row per service from its visible versions (newest first per service): the
    approved version if any (else the newest), and the version under review if any."""
    rows: dict[int, dict] = {}
    for definition in definitions:
        row = rows.setdefault(
            definition.service_id,
            {
                "service": definition.service,
                "latest": definition,
                "approved": None,
                "pending": None,
            },
        )
        if definition.status == D.APPROVED and row["approved"] is None:
            row["approved"] = definition
        if definition.status in (D.DRAFT, D.SUBMITTED) and row["pending"] is None:
            row["pending"] = definition
    for row in rows.values():
        row["current"] = row["approved"] or row["latest"]
        row["parameters"] = parameter_rows(row["current"].parameters)
    return sorted(rows.values(), key=lambda row: row["service"].code)


def _example_value(spec: dict) -> str:
    today = timezone.localdate()
    kind = spec.get("type")
    if kind == "date":
        return today.isoformat()
    if kind == "date_range":
        days = min(7, spec.get("max_days") or 7)
        return f"{today - datetime.timedelta(days=days - 1)}/{today}"
    if kind == "choice":
        return spec["choices"][0]
    return str(spec.get("min", 0))


def example_call(request, definition) -> str:
    """A curl line calling the service with its required parameters."""
    query = urlencode(
        [
            (spec["name"], _example_value(spec))
            for spec in definition.parameters
            if spec.get("required", True) is not False
        ]
    )
    url = request.build_absolute_uri(f"/api/v1/services/{definition.service.code}/call")
    if query:
        url += "?" + query
    return f'curl -H "Authorization: ApiKey <key>" "{url}"'


def _is_member(user, organization_id) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.organization_id == organization_id


def may_propose(user, scenario_type) -> bool:
    """Who is offered the proposal form (the service decides again on submission)."""
    return (
        OutputKind.SERVICE in (scenario_type.output_kinds or [])
        and scenario_type.status in PROPOSABLE
        and (
            _is_member(user, scenario_type.proposer_id)
            or has_role(user, PlatformRole.OPERATOR_STAFF)
        )
    )


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
    oversees = has_role(user, PlatformRole.REVIEWER, PlatformRole.OPERATOR_STAFF)
    reviews = _reviews_by_definition(definitions) if oversees else {}
    pending = row["pending"]
    can_review = (
        pending is not None
        and pending.status == D.SUBMITTED
        and may_review(user, pending)
        and not any(r.reviewer_id == user.pk for r in reviews.get(pending.pk, []))
    )
    is_staff = has_role(user, PlatformRole.OPERATOR_STAFF)
    quota_form = quotas = None
    if is_staff:
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
            "default_quota": settings.SERVICES_DAILY_QUOTA,
        },
    )


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
    form = ServiceReviewForm(request.POST)
    form.is_valid()
    _act(
        request,
        lambda: svc.service_review(
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
    _act(
        request,
        lambda: svc.quota_set(
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
            definition = svc.service_propose(
                by=request.user, scenario_type=scenario_type, **form.cleaned_data
            )
        except (InvalidInput, Conflict) as error:
            _form_error(form, error)
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


def _key_rows(keys) -> list[dict]:
    now = timezone.now()
    rows = []
    for key in keys:
        if key.revoked_at is not None:
            state, label = "revoked", _("Revoked")
        elif key.expires_at is not None and key.expires_at <= now:
            state, label = "expired", _("Expired")
        else:
            state, label = "active", _("Active")
        rows.append({"key": key, "state": state, "state_label": label})
    return rows


@never_cache
@login_required
def scenario_api_keys(request, pk: int):
    """A scenario's keys. An administrator of its organization makes one: the answer to
    that POST is the only page that ever shows its secret."""
    user = request.user
    scenario = scenario_get(user, pk)
    membership = membership_of(user)
    is_member = _is_member(user, scenario.organization_id)
    if not is_member and not has_role(user, *USAGE_ROLES):
        raise Http404
    is_admin = is_member and membership.role == MemberRole.ADMIN
    authorized = scenario.status == ScenarioStatus.AUTHORIZED
    form = ApiKeyForm(request.POST or None) if is_admin and authorized else None
    created = secret = None
    if request.method == "POST":
        if not is_admin:
            raise PermissionRefused(
                _("Only an administrator of the scenario's organization makes keys.")
            )
        if form is None:
            raise Conflict(_("Keys are made for authorized scenarios only."))
        if form.is_valid():
            try:
                created, secret = svc.api_key_create(
                    by=user,
                    scenario=scenario,
                    name=form.cleaned_data["name"],
                    expires_at=form.expiry(),
                )
            except InvalidInput as error:
                _form_error(form, error)
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
            "keys": _key_rows(keys),
            "form": form,
            "is_admin": is_admin,
            "authorized": authorized,
            "created": created,
            "secret": secret,
            "can_revoke": is_admin or has_role(user, PlatformRole.OPERATOR_STAFF),
            "can_set_rate": has_role(user, PlatformRole.OPERATOR_STAFF),
            "default_rate": settings.SERVICES_RATE_PER_MINUTE,
            "services": services,
        },
    )


@login_required
@require_POST
def api_key_revoke(request, pk: int):
    key = api_key_get(request.user, pk)
    svc.api_key_revoke(by=request.user, key=key)
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
        _act(
            request,
            lambda: svc.api_key_rate_set(
                by=request.user, key=key, rate_per_minute=form.cleaned_data["rate_per_minute"]
            ),
            done=_("The key's rate limit is set."),
        )
    return redirect("scenario-api-keys", pk=key.scenario_id)


# Usage --------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 720, 220
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 8, 12, 28


def usage_chart(summary: dict) -> dict:
    """Bars of calls per day (refused calls at their foot, in a second colour), laid out
    for an inline SVG: every size in the chart's own units."""
    days = summary["days"]
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    base = CHART_TOP + plot_height
    step = plot_width / max(1, len(days))
    width = max(step * 0.8, 0.5)
    peak = summary["peak"]
    bars = []
    for index, day in enumerate(days):
        height = plot_height * day["calls"] / peak if peak else 0
        refused = plot_height * day["refused"] / peak if peak else 0
        bars.append(
            {
                "day": day["day"].isoformat(),
                "calls": day["calls"],
                "refused": day["refused"],
                "x": round(CHART_LEFT + index * step + (step - width) / 2, 2),
                "width": round(width, 2),
                "y": round(base - height, 2),
                "height": round(height, 2),
                "refused_y": round(base - refused, 2),
                "refused_height": round(refused, 2),
                "title": ngettext(
                    "%(day)s: %(calls)s call, %(refused)s refused",
                    "%(day)s: %(calls)s calls, %(refused)s refused",
                    day["calls"],
                )
                % {
                    "day": day["day"].isoformat(),
                    "calls": day["calls"],
                    "refused": day["refused"],
                },
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP,
        "base": base,
        "label_y": base + 18,
        "bars": bars,
        "peak": peak,
        "label": _(
            "Calls per day from %(start)s to %(end)s: %(total)s in all, at most %(peak)s a day."
        )
        % {
            "start": summary["start"].isoformat(),
            "end": summary["end"].isoformat(),
            "total": summary["total"],
            "peak": peak,
        },
    }


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
        organizations=_developers(user) if has_role(user, *USAGE_ROLES) else None,
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
        _form_error(form, error)
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
            "all_organizations": has_role(request.user, *USAGE_ROLES),
        },
        status=status,
    )


@login_required
def service_usage_csv(request):
    """The dashboard's calls, per day, service and organization, as CSV."""
    calls, start, end = usage_filter(service_calls_visible_to(request.user), request.GET)
    return csv_attachment(USAGE_EXPORT_HEADER, usage_export_rows(calls), f"usage-{start}-{end}.csv")
