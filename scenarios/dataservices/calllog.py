"""The call log: every call with a valid key is appended to a Redis stream before it is
answered (``counters.call_settle``), then moved into ServiceCall in batches by whoever
drains next: a call that finds SERVICES_LOG_BATCH calls waiting, or Celery beat every
SERVICES_LOG_DRAIN_SECONDS. An answered call is thus in the log within seconds even when
the web worker that answered it dies at once. One drainer at a time (a lock); each entry
once (its stream id is ServiceCall.entry, unique), so a drainer that dies after writing
but before deleting what it drained duplicates nothing."""

import json
from contextlib import suppress
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from redis.exceptions import LockError

from scenarios.dataservices import counters
from scenarios.models import ApiKey, ServiceCall, ServiceLedger

STREAM = "calls"


def calls_log_drain(*, batch: int = 1000) -> int:
    """Move the logged calls into the database (with the ledger's new cells and each
    key's last use); the number moved. Nothing when another drainer is at work."""
    client = counters.client()
    stream = counters.name_of(STREAM)
    lock = client.lock(counters.name_of(f"{STREAM}:drain"), timeout=120, blocking=False)
    if not lock.acquire():
        return 0
    moved = 0
    try:
        while True:
            entries = client.xrange(stream, count=batch)
            if not entries:
                break
            _record(entries)
            client.xdel(stream, *(entry_id for entry_id, _fields in entries))
            moved += len(entries)
            if len(entries) < batch:
                break
    finally:
        with suppress(LockError):  # expired meanwhile: the entries' ids keep them once
            lock.release()
    return moved


def _record(entries) -> None:
    calls, ledger, used = [], [], {}
    for entry_id, fields in entries:
        record = json.loads(fields[b"call"])
        answered = fields[b"outcome"] == b"ok"
        at = datetime.fromisoformat(record["at"])
        calls.append(
            ServiceCall(
                entry=entry_id.decode(),
                at=at,
                organization_id=record["organization"],
                scenario_id=record["scenario"],
                api_key_id=record["api_key"],
                service_id=record["service"],
                service_code=record["service_code"],
                version=record["version"],
                params_sha256=record["params_sha256"],
                rows=record["rows"] - int(fields[b"hidden"]) if answered else 0,
                suppressed=(
                    record["suppressed"] + int(fields[b"hidden"]) * record["statistics"]
                    if answered
                    else 0
                ),
                latency_ms=record["latency_ms"],
                status=record["status"] if answered else 429,
                cached=record["cached"] and answered,
            )
        )
        for cell in filter(None, fields[b"ledger"].decode().split(";")):
            key, units, values = cell.split(":")
            ledger.append(
                ServiceLedger(
                    organization_id=record["organization"],
                    service_id=record["service"],
                    key_sha256=key,
                    units=int(units),
                    values_sha256=values,
                )
            )
        if at > used.get(record["api_key"], at.min.replace(tzinfo=at.tzinfo)):
            used[record["api_key"]] = at
    with transaction.atomic():
        ServiceCall.objects.bulk_create(calls, ignore_conflicts=True)
        ServiceLedger.objects.bulk_create(ledger, ignore_conflicts=True)
        for key, at in used.items():
            ApiKey.objects.filter(Q(last_used_at=None) | Q(last_used_at__lt=at), pk=key).update(
                last_used_at=at
            )
