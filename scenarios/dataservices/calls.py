"""The call: a live API key, its scenario authorized, an approved service of the
scenario's type, the run on the scenario's workspace (cached when the service says so),
then one round trip to Redis that counts the key's rate and the organization's daily
quota, checks the answer against the organization's earlier ones (the differencing
ledger) and logs the call, before it is answered. Every call with a valid key is logged,
whatever its outcome (``calllog`` moves the log into ServiceCall)."""

import hashlib
import json
import pickle
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, InvalidInput, PermissionRefused
from scenarios.dataservices import counters, engine, lookups
from scenarios.dataservices.calllog import calls_log_drain
from scenarios.dataservices.keys import api_key_check
from scenarios.dataservices.quotas import (
    QUOTA_SECONDS,
    quota_refusal,
    quota_window,
    rate_refusal,
    rate_window,
)
from scenarios.models import Scenario, ScenarioStatus, ScenarioTypeStatus, ServiceLedger
from tenants.models import AdmissionStatus

# Cached results of at most RESULT_ROWS_KEPT rows are also kept in each process's memory,
# RESULTS_KEPT of them at most.
RESULTS_KEPT = 64
RESULT_ROWS_KEPT = 1000


def _check_authorized(scenario: Scenario) -> None:
    """Refused, saying why, unless the scenario is authorized and in its period, its type
    approved and its organization admitted."""
    today = timezone.localdate()
    admission = getattr(scenario.organization, "admission", None)
    if scenario.status != ScenarioStatus.AUTHORIZED:
        why = _("The key's scenario is not authorized (%(status)s).") % {
            "status": scenario.get_status_display()
        }
    elif not scenario.period_start <= today <= scenario.period_end:
        why = _("The key's scenario is authorized from %(start)s to %(end)s only.") % {
            "start": scenario.period_start.isoformat(),
            "end": scenario.period_end.isoformat(),
        }
    elif scenario.scenario_type.status != ScenarioTypeStatus.APPROVED:
        why = _("The scenario's type is no longer approved.")
    elif admission is None or admission.status != AdmissionStatus.ADMITTED:
        why = _("The key's organization is not admitted (%(status)s).") % {
            "status": admission.get_status_display() if admission else "—"
        }
    else:
        return
    raise PermissionRefused(why, code="scenario_not_authorized")


def params_sha256(given: dict) -> str:
    text = json.dumps(given, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# A cell's key in the differencing ledger: the SHA-256 of its group values as this JSON.
_CELL_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


@dataclass
class Answerable:
    """A result as calls answer it: its rows as the answer's objects, and the cells the
    ledger checks (those not suppressed) with their positions."""

    result: engine.Result
    rows: list[dict]
    checked: list[int]
    cells: list[tuple[str, int, str]]  # (key's SHA-256, units, values), one per checked row
    cells_suppressed: int

    @classmethod
    def of(cls, result: engine.Result) -> "Answerable":
        checked = [index for index, hidden in enumerate(result.suppressed) if not hidden]
        encode = _CELL_JSON.encode
        return cls(
            result=result,
            rows=_answer_rows(result),
            checked=checked,
            cells_suppressed=result.cells_suppressed,
            cells=[
                (
                    hashlib.sha256(encode(result.key_of(index)).encode()).hexdigest(),
                    result.units[index],
                    _fingerprint(result.rows[index]),
                )
                for index in checked
            ],
        )


def _fingerprint(row: list) -> str:
    """The ledger's fingerprint of a cell's answered values (numbers to 9 significant
    digits: a table held in memory and its Parquet file may sum in another order)."""
    values = [f"{value:.9g}" if isinstance(value, float) else value for value in row]
    return hashlib.sha256(_CELL_JSON.encode(values).encode()).hexdigest()[:16]


def _answer_rows(result: engine.Result) -> list[dict]:
    """The answer's rows; a row whose every statistic is suppressed is left out (counted
    in cells_suppressed): its group values alone would say that the cell holds a few
    units, not none, and a template grouping by a fine field would list its values."""
    columns, statistics = result.columns, len(result.columns) - len(result.groups)
    return [
        {**dict(zip(columns, row, strict=True)), "suppressed": hidden}
        for row, hidden in zip(result.rows, result.suppressed, strict=True)
        if len(hidden) < statistics
    ]


def _suppressed(found: Answerable, positions: list[int]) -> Answerable:
    """A copy of ``found`` with the rows of the checked cells at ``positions`` suppressed."""
    result = found.result
    copy = engine.Result(
        columns=result.columns,
        rows=[list(row) for row in result.rows],
        suppressed=[list(names) for names in result.suppressed],
        units=result.units,
        groups=result.groups,
    )
    for position in positions:
        copy.suppress_row(found.checked[position])
    return Answerable(
        result=copy,
        rows=_answer_rows(copy),
        checked=[],
        cells=[],
        cells_suppressed=copy.cells_suppressed,
    )


# Kept in this process's memory, by cache key: (until when, the answerable result).
_results: OrderedDict[str, tuple[float, Answerable]] = OrderedDict()


def _result(
    service: lookups.Served, bindings: dict, params
) -> tuple[Answerable, bool, tuple[str, bytes] | None]:
    """The service's result, whether it came from the cache (this process's memory, then
    Redis: shared by every worker) and, for a result to cache, its Redis key and value
    (stored by the call's settling round trip)."""
    definition = service.definition
    cache_key = None
    if definition.cached:
        workspace = service.workspace
        material = [definition.pk, definition.created_at, workspace.pk, workspace.version, bindings]
        digest = hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()
        cache_key = counters.name_of(f"result:v3:{digest}")
        kept = _results.get(cache_key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1], True, None
        hit = counters.client().get(cache_key)
        if hit is not None:
            found = _keep(cache_key, engine.Result(**pickle.loads(hit)))  # noqa: S301 (our own)
            return found, True, None
    try:
        result = engine.run(
            service.shape,
            table=service.table,
            fields=service.read,
            bindings=bindings,
            unit=definition.unit,
            params=params,
            max_rows=settings.SERVICES_MAX_ROWS,
            memory_limit=settings.SERVICES_MEMORY_LIMIT,
            hold_bytes=settings.SERVICES_HOLD_MB * 1024 * 1024,
            seconds=settings.SERVICES_TIMEOUT_SECONDS,
        )
    except engine.RunError as error:
        failure = ApplicationError(str(error), code=error.code)
        failure.status = error.status
        raise failure from None
    if cache_key is None:
        return Answerable.of(result), False, None
    value = pickle.dumps(vars(result), protocol=pickle.HIGHEST_PROTOCOL)
    return _keep(cache_key, result), False, (cache_key, value)


def _keep(cache_key: str, result: engine.Result) -> Answerable:
    found = Answerable.of(result)
    if len(result.rows) <= RESULT_ROWS_KEPT:
        _results[cache_key] = (time.monotonic() + settings.SERVICES_CACHE_SECONDS, found)
        while len(_results) > RESULTS_KEPT:
            _results.popitem(last=False)
    return found


def _ledger_load(ledger: str, organization_id: int, service_id: int) -> None:
    cells = ServiceLedger.objects.filter(
        organization_id=organization_id, service_id=service_id
    ).values_list("key_sha256", "units", "values_sha256")
    counters.ledger_load(ledger, cells.iterator(chunk_size=10_000))


def service_call(*, secret: str, code: str, given: dict) -> dict:
    """Call a service with an API key: the answer, or an ApplicationError. Every call
    with a valid key is logged, whatever its outcome."""
    started = time.perf_counter()
    known = lookups.key_known(secret)
    key, scenario = known.key, known.key.scenario
    now = timezone.now()
    api_key_check(key, now)
    *rate, retry_after = rate_window(key, now)
    record = {
        "at": now.isoformat(),
        "organization": key.organization_id,
        "scenario": scenario.pk,
        "api_key": key.pk,
        "service": None,
        "service_code": (code or "")[:60],
        "version": None,
        "params_sha256": params_sha256(given),
        "rows": 0,
        "suppressed": 0,
        "statistics": 0,
        "status": 200,
        "cached": False,
    }
    logged = False
    try:
        if rate[0] in known.full:  # found full in this window: refused without a run
            raise rate_refusal(rate[1], retry_after)
        _check_authorized(scenario)
        service = lookups.served(known, code)
        definition = service.definition
        record["service"], record["version"] = definition.service_id, definition.version
        try:
            bindings = engine.parameters_bind(definition.parameters, given)
        except engine.ParameterError as error:
            raise InvalidInput(str(error), field=error.field) from None
        quota = (quota_window(key.organization_id, code, now), service.quota, QUOTA_SECONDS)
        if quota[0] in known.full:
            raise quota_refusal(service.quota, code, now)
        found, cached, store = _result(service, bindings, known.params)
        result = found.result
        record.update(
            rows=len(found.rows),  # answered, less those the ledger hides (calllog)
            suppressed=found.cells_suppressed,
            statistics=len(result.columns) - len(result.groups),
            cached=cached,
        )
        ledger = f"ledger:{key.organization_id}:{definition.service_id}"
        for attempt in range(2):
            record["latency_ms"] = (time.perf_counter() - started) * 1000
            settled = counters.call_settle(
                rate=tuple(rate),
                quota=quota,
                record=record,
                ledger=ledger,
                threshold=known.params.threshold,
                cells=found.cells,
                store=store and (*store, settings.SERVICES_CACHE_SECONDS),
            )
            if settled[0] != 3 or attempt:
                break
            _ledger_load(ledger, key.organization_id, definition.service_id)
        logged = settled[0] != 3
        if settled[0] == 1:
            known.full.add(rate[0])
            raise rate_refusal(rate[1], retry_after)
        if settled[0] == 2:
            known.full.add(quota[0])
            raise quota_refusal(service.quota, code, now)
        if not logged:
            raise RuntimeError("the differencing ledger could not be loaded")
        if len(settled) > 2:
            found = _suppressed(found, settled[2:])
    except ApplicationError as error:
        if not logged:
            _refused(record, error.status, started, known, rate, retry_after)
        raise
    except Exception:
        if not logged:
            _refused(record, 500, started, known, rate, retry_after)
        raise
    if settled[1] >= settings.SERVICES_LOG_BATCH:
        calls_log_drain()
    return {
        "service": definition.service.code,
        "version": definition.version,
        "scenario": scenario.pk,
        "workspace_version": service.workspace.version,
        "threshold": known.params.threshold,
        "columns": found.result.columns,
        "rows": found.rows,
        "cells_suppressed": found.cells_suppressed,
        "cached": cached,
    }


def _refused(record, status, started, known, rate, retry_after) -> None:
    """Log a refused call, counted against the key's rate (every call of a live key is);
    a RateLimited instead when the rate is full."""
    record.update(status=status, rows=0, suppressed=0, cached=False)
    record["latency_ms"] = (time.perf_counter() - started) * 1000
    settled = counters.call_settle(
        rate=tuple(rate), quota=None, record=record, ledger="", threshold=0, cells=[]
    )
    if settled[1] >= settings.SERVICES_LOG_BATCH:
        calls_log_drain()
    if settled[0] == 1:
        known.full.add(rate[0])
        raise rate_refusal(rate[1], retry_after)
