"""Data services: definitions reviewed with their type (or as its amendment), API keys,
quotas and rate limits, and the call itself, metered."""

import hashlib
import json
import re
import secrets
import time
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import (
    ApplicationError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionRefused,
    RateLimited,
    Unauthenticated,
)
from core.services.audit import audit_record
from core.storage import data_path
from core.text import COMMENT_MAX, LONG_TEXT_MAX, NAME_MAX, clean_text
from operation.models import CatalogField, MaskingRule
from scenarios import counters, dataservice
from scenarios.disclosure.params import Parameters
from scenarios.disclosure.sqlshape import Shape
from scenarios.models import (
    ApiKey,
    DataService,
    DefinitionStatus,
    OutputKind,
    Scenario,
    ScenarioStatus,
    ScenarioType,
    ScenarioTypeStatus,
    ServiceCall,
    ServiceDefinition,
    ServiceLedger,
    ServiceQuota,
    ServiceReview,
    WorkspaceStatus,
)
from scenarios.reviewing import check_reviewer
from tenants.models import AdmissionStatus, MemberRole
from tenants.roles import PlatformRole, has_role
from tenants.selectors import membership_of

D = DefinitionStatus
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
KEY = re.compile(r"^sbx_([a-z0-9]{8})_([A-Za-z0-9_-]{32,64})$")
PENDING = (D.DRAFT, D.SUBMITTED)
RESERVED_CODES = {"usage", "quotas"}  # the portal's and the API's own pages


# --- Definitions -------------------------------------------------------------------------


def _type_scope(scenario_type: ScenarioType) -> dict[str, list[str]]:
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
    membership = membership_of(by)
    own = membership is not None and membership.organization_id == scenario_type.proposer_id
    if not own and not has_role(by, PlatformRole.OPERATOR_STAFF):
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
        parameters = dataservice.parameters_clean(parameters)
        dataservice.template_check(
            sql,
            parameters=parameters,
            columns=columns,
            unit=unit or "",
            scope=_type_scope(scenario_type),
            identifiers=_identifiers(scenario_type),
        )
    except dataservice.TemplateError as error:
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


def service_review(
    *, by, definition: ServiceDefinition, decision: str, comment: str = ""
) -> ServiceDefinition:
    """A reviewer's decision on a service amendment: N distinct approvals approve it (the
    type's scope version moves on); one rejection rejects it."""
    scenario_type = definition.service.scenario_type
    check_reviewer(by, definition)
    if decision not in ServiceReview.Decision.values:
        raise InvalidInput(_("Decide approve or reject."), field="decision")
    comment = clean_text(comment, field="comment", max_length=COMMENT_MAX)
    if decision == ServiceReview.Decision.REJECT and not comment:
        raise InvalidInput(_("Give a reason."), field="comment")
    with transaction.atomic():
        scenario_type = ScenarioType.objects.select_for_update().get(pk=scenario_type.pk)
        definition = ServiceDefinition.objects.select_for_update().get(pk=definition.pk)
        if definition.status != D.SUBMITTED:
            raise Conflict(_("This service is not waiting for review."))
        if scenario_type.status != ScenarioTypeStatus.APPROVED:
            raise Conflict(_("The service's type is no longer approved."))
        if definition.reviews.filter(reviewer=by).exists():
            raise Conflict(_("You have already decided on this service."))
        ServiceReview.objects.create(
            definition=definition, reviewer=by, decision=decision, comment=comment
        )
        audit_record(
            by=by,
            action=f"data_service.review.{decision}",
            target=definition,
            organization=scenario_type.proposer,
            details={"code": definition.service.code, "comment": comment},
        )
        if decision == ServiceReview.Decision.REJECT:
            definition.status, definition.reason = D.REJECTED, comment
            definition.save(update_fields=["status", "reason"])
        elif definition.reviews.filter(decision=decision).count() >= (
            settings.SCENARIO_APPROVALS_REQUIRED
        ):
            _approve(by, definition)
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
    return definition


# --- Keys, quotas, rates -------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, by, scenario: Scenario, name: str, expires_at: datetime | None = None, secret: str = ""
) -> tuple[ApiKey, str]:
    """A key for one scenario, by an admin of its organization: (the key, its secret, to
    show once). ``secret`` (a well-formed key) is for demo data only."""
    membership = membership_of(by)
    if (
        membership is None
        or membership.organization_id != scenario.organization_id
        or membership.role != MemberRole.ADMIN
    ):
        raise PermissionRefused(_("Only an administrator of the scenario's organization does."))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Name the key (at most 100 characters)."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("The expiry must be in the future."), field="expires_at")
    if secret:
        if KEY.match(secret) is None:
            raise InvalidInput(_("Not a well-formed key."), field="secret")
    else:
        secret = f"sbx_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if scenario.status != ScenarioStatus.AUTHORIZED:
            raise Conflict(_("Keys are made for authorized scenarios only."))
        key = ApiKey.objects.create(
            organization=scenario.organization,
            scenario=scenario,
            name=name,
            prefix=KEY.match(secret).group(1),
            key_sha256=_hash(secret),
            created_by=by,
            expires_at=expires_at,
        )
        audit_record(
            by=by,
            action="api_key.create",
            target=key,
            organization=scenario.organization,
            details={"prefix": key.prefix, "scenario": scenario.pk, "expires_at": expires_at},
        )
    return key, secret


def api_key_revoke(*, by, key: ApiKey) -> ApiKey:
    """An admin of the key's organization, or operator staff, revoke it: at once."""
    membership = membership_of(by)
    admin = (
        membership is not None
        and membership.organization_id == key.organization_id
        and membership.role == MemberRole.ADMIN
    )
    if not admin and not has_role(by, PlatformRole.OPERATOR_STAFF):
        raise PermissionRefused(_("Only an administrator of the key's organization does."))
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            raise Conflict(_("This key is already revoked."))
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            by=by,
            action="api_key.revoke",
            target=key,
            organization=key.organization,
            details={"prefix": key.prefix},
        )
    return key


def _staff_only(by) -> None:
    if not has_role(by, PlatformRole.OPERATOR_STAFF):
        raise PermissionRefused(_("Only operator staff set quotas and rate limits."))


def _positive(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or number > 10_000_000:
        raise InvalidInput(_("Give a whole number from 1 to 10,000,000."), field=field)
    return number


def api_key_rate_set(*, by, key: ApiKey, rate_per_minute) -> ApiKey:
    """Operator staff set a key's calls per minute (None: the platform default)."""
    _staff_only(by)
    rate = None if rate_per_minute in (None, "") else _positive(rate_per_minute, "rate_per_minute")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        key.rate_per_minute = rate
        key.save(update_fields=["rate_per_minute"])
        audit_record(
            by=by,
            action="api_key.rate",
            target=key,
            organization=key.organization,
            details={"prefix": key.prefix, "rate_per_minute": rate},
        )
    return key


def quota_set(*, by, organization, service: DataService, calls_per_day) -> ServiceQuota | None:
    """Operator staff set an organization's calls per day to a service (None: the
    platform default)."""
    _staff_only(by)
    calls = None if calls_per_day in (None, "") else _positive(calls_per_day, "calls_per_day")
    with transaction.atomic():
        quota = None
        if calls is None:
            ServiceQuota.objects.filter(organization=organization, service=service).delete()
        else:
            quota, _created = ServiceQuota.objects.update_or_create(
                organization=organization, service=service, defaults={"calls_per_day": calls}
            )
        audit_record(
            by=by,
            action="data_service.quota",
            target=service,
            organization=organization,
            details={"code": service.code, "calls_per_day": calls},
        )
    return quota


# --- Calls -------------------------------------------------------------------------------


def api_key_authenticate(secret: str) -> ApiKey:
    """The live key ``secret`` is, or Unauthenticated."""
    match = KEY.match(secret or "")
    key = None
    if match is not None:
        found = ApiKey.objects.select_related(
            "scenario__scenario_type", "scenario__organization__admission", "organization"
        ).filter(key_sha256=_hash(secret))[:1]  # unique; [:1] spares .first()'s ordering
        key = next(iter(found), None)
    if key is None:
        raise Unauthenticated(_("Give a valid API key (header Authorization: ApiKey <key>)."))
    if key.revoked_at is not None:
        raise Unauthenticated(_("This API key is revoked."), code="key_revoked")
    if key.expires_at is not None and key.expires_at <= timezone.now():
        raise Unauthenticated(_("This API key has expired."), code="key_expired")
    return key


def _check_authorized(scenario: Scenario) -> None:
    today = timezone.localdate()
    admission = getattr(scenario.organization, "admission", None)
    if (
        scenario.status != ScenarioStatus.AUTHORIZED
        or not scenario.period_start <= today <= scenario.period_end
        or scenario.scenario_type.status != ScenarioTypeStatus.APPROVED
        or admission is None
        or admission.status != AdmissionStatus.ADMITTED
    ):
        raise PermissionRefused(
            _("The key's scenario is not authorized (%(status)s).")
            % {"status": scenario.get_status_display()},
            code="scenario_not_authorized",
        )


def _definition(scenario: Scenario, code: str) -> ServiceDefinition:
    found = ServiceDefinition.objects.select_related("service").filter(
        service__code=code, status=D.APPROVED
    )[:1]  # one approved version at most (a constraint)
    definition = next(iter(found), None)
    if definition is None:
        raise NotFound(_("Unknown service %(code)s.") % {"code": code[:60]}, code="unknown_service")
    if definition.service.scenario_type_id != scenario.scenario_type_id:
        raise PermissionRefused(
            _("Service %(code)s is not one of this scenario's type.") % {"code": code},
            code="service_not_in_type",
        )
    return definition


def _seconds_to_midnight(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - local).total_seconds()) + 1)


def _rate(key: ApiKey, now: datetime) -> None:
    """Count the call against the key's rate: every call of a live key does, a bad one too."""
    epoch = int(now.timestamp())
    rate = key.rate_per_minute or settings.SERVICES_RATE_PER_MINUTE
    if not counters.take(f"rate:{key.prefix}:{epoch // 60}", limit=rate, seconds=120):
        raise RateLimited(
            _("This key's rate limit (%(rate)s calls a minute) is reached.") % {"rate": rate},
            retry_after=60 - epoch % 60,
        )


def _quota(key: ApiKey, service: DataService, now: datetime) -> None:
    """Count the call against the organization's daily quota of the service: only calls
    that are answered (valid, in scope) do."""
    found = ServiceQuota.objects.filter(
        organization_id=key.organization_id, service=service
    ).values_list("calls_per_day", flat=True)[:1]
    quota = next(iter(found), None) or settings.SERVICES_DAILY_QUOTA
    day = timezone.localtime(now).strftime("%Y%m%d")
    name = f"quota:{key.organization_id}:{service.code}:{day}"
    if not counters.take(name, limit=quota, seconds=2 * 86400):
        raise RateLimited(
            _("Your organization's daily quota of %(quota)s calls to %(code)s is used up.")
            % {"quota": quota, "code": service.code},
            retry_after=_seconds_to_midnight(now),
            code="quota_exhausted",
        )


@lru_cache(maxsize=256)
def _checked(
    definition_pk: int, created_at: datetime, type_pk: int, scope_version: int
) -> tuple[Shape, frozenset[str]]:
    """An approved template's shape and the fields it reads, parsed once per process for
    each version of the definition and of its type's scope."""
    definition = ServiceDefinition.objects.get(pk=definition_pk)
    shape = dataservice.template_check(
        definition.sql,
        parameters=definition.parameters,
        columns=definition.columns,
        unit=definition.unit,
        scope=_type_scope(ScenarioType.objects.get(pk=type_pk)),
    )
    return shape, frozenset(dataservice.fields_read(definition.sql))


def _workspace_table(scenario: Scenario, table: str, read: frozenset[str]):
    workspace = (
        scenario.workspaces.filter(status=WorkspaceStatus.READY).order_by("-version").first()
    )
    if workspace is None:
        raise Conflict(_("The scenario's workspace is not ready yet."))
    info = workspace.manifest.get("tables", {}).get(table)
    if info is None or not {name.lower() for name in read} <= {
        name.lower() for name in info["columns"]
    }:
        raise PermissionRefused(
            _("This scenario's scope does not include what the service reads (%(table)s).")
            % {"table": table},
            code="outside_scenario_scope",
        )
    return workspace, data_path(workspace.path) / info["file"]


def params_sha256(given: dict) -> str:
    text = json.dumps(given, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _run(scenario: Scenario, definition: ServiceDefinition, given: dict, call: ServiceCall):
    try:
        bindings = dataservice.parameters_bind(definition.parameters, given)
    except dataservice.ParameterError as error:
        raise InvalidInput(str(error), field=error.field) from None
    shape, read = _checked(
        definition.pk,
        definition.created_at,
        scenario.scenario_type_id,
        scenario.scenario_type.scope_version,
    )
    workspace, table = _workspace_table(scenario, shape.table, read)
    _quota(call.api_key, definition.service, call.at)
    params = Parameters.of_type(scenario.scenario_type)
    cache_key = None
    if definition.cached:
        material = [definition.pk, definition.created_at, workspace.pk, workspace.version, bindings]
        digest = hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()
        cache_key = f"{settings.SERVICES_KEY_PREFIX}result:v2:{digest}"
        hit = caches["services"].get(cache_key)
        if hit is not None:
            call.cached = True
            return workspace, dataservice.Result(**hit), params
    try:
        result = dataservice.run(
            shape,
            table=table,
            fields=read,
            bindings=bindings,
            unit=definition.unit,
            params=params,
            max_rows=settings.SERVICES_MAX_ROWS,
            memory_limit=settings.SERVICES_MEMORY_LIMIT,
            seconds=settings.SERVICES_TIMEOUT_SECONDS,
        )
    except dataservice.RunError as error:
        failure = ApplicationError(str(error), code=error.code)
        failure.status = error.status
        raise failure from None
    if cache_key is not None:
        caches["services"].set(cache_key, result.to_dict(), settings.SERVICES_CACHE_SECONDS)
    return workspace, result, params


def _key_sha256(key: list) -> str:
    return hashlib.sha256(json.dumps(key, default=str, ensure_ascii=False).encode()).hexdigest()


def _answered(organization_id: int, service: DataService, keys: list[str]) -> dict[str, set]:
    """The units of each cell (by key) the organization was answered before."""
    answered: dict[str, set[int]] = {}
    recorded = ServiceLedger.objects.filter(
        organization_id=organization_id, service=service, key_sha256__in=set(keys)
    ).values_list("key_sha256", "units")
    for key, units in recorded:
        answered.setdefault(key, set()).add(units)
    return answered


def _differencing(organization_id: int, service: DataService, result, threshold: int) -> None:
    """Suppress the rows whose cell the organization was answered before (by any call of
    this service) with a number of units fewer than ``threshold`` apart: the difference
    would single out those units. The rows answered are recorded in the ledger, one call
    of an organization to a service at a time (on PostgreSQL an advisory lock; SQLite's
    transactions take the database's write lock)."""
    keys = [_key_sha256(result.key_of(index)) for index in range(len(result.rows))]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [organization_id, service.pk]
                )
        answered = _answered(organization_id, service, keys)
        shown = []
        for index, key in enumerate(keys):
            if result.suppressed[index]:
                continue  # a cell below the rules: not shown, nothing to compare
            units = result.units[index]
            before = answered.get(key, set())
            if any(0 < abs(units - earlier) < threshold for earlier in before):
                result.suppress_row(index)
            elif units not in before:
                shown.append(
                    ServiceLedger(
                        organization_id=organization_id,
                        service=service,
                        key_sha256=key,
                        units=units,
                    )
                )
        if shown:
            ServiceLedger.objects.bulk_create(shown, ignore_conflicts=True)


def service_call(*, secret: str, code: str, given: dict) -> dict:
    """Call a service with an API key: the answer, or an ApplicationError. Every call
    with a valid key is recorded, whatever its outcome."""
    started = time.perf_counter()
    key = api_key_authenticate(secret)
    scenario = key.scenario
    now = timezone.now()
    call = ServiceCall(
        at=now,
        organization_id=key.organization_id,
        scenario=scenario,
        api_key=key,
        service_code=(code or "")[:60],
        params_sha256=params_sha256(given),
        status=200,
        latency_ms=0.0,
    )
    try:
        _rate(key, now)
        _check_authorized(scenario)
        definition = _definition(scenario, code)
        call.service, call.version = definition.service, definition.version
        workspace, result, params = _run(scenario, definition, given, call)
        _differencing(key.organization_id, definition.service, result, params.threshold)
        call.rows, call.suppressed = len(result.rows), result.cells_suppressed
    except ApplicationError as error:
        call.status = error.status
        raise
    except Exception:
        call.status = 500
        raise
    finally:
        call.latency_ms = (time.perf_counter() - started) * 1000
        call.save()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return {
        "service": definition.service.code,
        "version": definition.version,
        "scenario": scenario.pk,
        "workspace_version": workspace.version,
        "threshold": params.threshold,
        "columns": result.columns,
        "rows": [
            {**dict(zip(result.columns, row, strict=True)), "suppressed": hidden}
            for row, hidden in zip(result.rows, result.suppressed, strict=True)
        ],
        "cells_suppressed": result.cells_suppressed,
        "cached": call.cached,
    }
