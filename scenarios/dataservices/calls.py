"""The call: a live API key, its scenario authorized, an approved service of the
scenario's type, the key's rate and the organization's daily quota, the run on the
scenario's workspace (cached when the service says so), the differencing ledger, and one
ServiceCall recorded for every call with a valid key, whatever its outcome."""

import hashlib
import json
import time
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, InvalidInput, NotFound, PermissionRefused
from core.storage import data_path
from scenarios.dataservices import engine
from scenarios.dataservices.definitions import type_scope
from scenarios.dataservices.keys import api_key_authenticate
from scenarios.dataservices.quotas import quota_take, rate_take
from scenarios.disclosure.params import Parameters
from scenarios.disclosure.sqlshape import Shape
from scenarios.models import (
    ApiKey,
    DataService,
    DefinitionStatus,
    Scenario,
    ScenarioStatus,
    ScenarioType,
    ScenarioTypeStatus,
    ServiceCall,
    ServiceDefinition,
    ServiceLedger,
    WorkspaceStatus,
)
from tenants.models import AdmissionStatus

D = DefinitionStatus


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


@lru_cache(maxsize=256)
def _checked(
    definition_pk: int, created_at: datetime, type_pk: int, scope_version: int
) -> tuple[Shape, frozenset[str]]:
    """An approved template's shape and the fields it reads, parsed once per process for
    each version of the definition and of its type's scope."""
    definition = ServiceDefinition.objects.get(pk=definition_pk)
    shape = engine.template_check(
        definition.sql,
        parameters=definition.parameters,
        columns=definition.columns,
        unit=definition.unit,
        scope=type_scope(ScenarioType.objects.get(pk=type_pk)),
    )
    return shape, frozenset(engine.fields_read(definition.sql))


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
        bindings = engine.parameters_bind(definition.parameters, given)
    except engine.ParameterError as error:
        raise InvalidInput(str(error), field=error.field) from None
    shape, read = _checked(
        definition.pk,
        definition.created_at,
        scenario.scenario_type_id,
        scenario.scenario_type.scope_version,
    )
    workspace, table = _workspace_table(scenario, shape.table, read)
    quota_take(call.api_key, definition.service, call.at)
    params = Parameters.of_type(scenario.scenario_type)
    cache_key = None
    if definition.cached:
        material = [definition.pk, definition.created_at, workspace.pk, workspace.version, bindings]
        digest = hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()
        cache_key = f"{settings.SERVICES_KEY_PREFIX}result:v2:{digest}"
        hit = caches["services"].get(cache_key)
        if hit is not None:
            call.cached = True
            return workspace, engine.Result(**hit), params
    try:
        result = engine.run(
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
    except engine.RunError as error:
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
        rate_take(key, now)
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
