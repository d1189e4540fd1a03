"""Writing to the audit trail. Call inside the transaction that makes the change."""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from operation.models import AuditChainHead, AuditEvent


def _target_of(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    return target._meta.label_lower, str(target.pk)


def audit_record(
    *,
    by,
    action: str,
    target: models.Model | None = None,
    organization=None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. ``by`` is the acting user, or None for the system."""
    actor = by if by is not None and by.is_authenticated else None
    # What is stored is exactly what is hashed: normalize through JSON once, with floats as
    # text (PostgreSQL's jsonb may give a float back in another form, e.g. 1e20 as an int).
    clean_details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder), parse_float=str)
    target_type, target_id = _target_of(target)
    with transaction.atomic():
        AuditChainHead.objects.get_or_create(pk=1)  # gone only after a table truncation
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            time=timezone.now(),
            actor=actor,
            actor_username=actor.get_username() if actor else "system",
            organization=organization,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=clean_details,
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.seq}" + (f" (id {self.event_id})" if self.event_id else "")
        return f"audit chain broken at {where}: {self.reason}"


def audit_verify() -> ChainBreak | None:
    """Walk the whole chain in order; return the first break, or None when intact."""
    expected_prev = AuditChainHead._meta.get_field("hash").default
    expected_seq = 1
    last_seq = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, None, f"event missing (next found is #{event.seq})")
        if event.prev_hash != expected_prev:
            return ChainBreak(event.seq, event.pk, "previous hash does not match")
        if event.compute_hash() != event.hash:
            return ChainBreak(event.seq, event.pk, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        last_seq = event.seq
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:  # the migration creates it and nothing removes it: a wiped trail
        return ChainBreak(last_seq + 1, None, "the chain head is missing (trail wiped?)")
    if head.seq != last_seq or head.hash != expected_prev:
        return ChainBreak(last_seq + 1, None, f"events after #{last_seq} are missing")
    return None
