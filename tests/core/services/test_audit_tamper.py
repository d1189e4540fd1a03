"""Tampering by someone who can write the database but holds neither the audit key nor the
checkpoint file (issue 13, item 5): each is detected by verify_audit, naming the event or
checkpoint that fails."""

import hashlib
import json
import socket
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.models import AuditChainHead, AuditEvent
from core.models.audit import GENESIS_HASH
from core.services import audit as audit_service
from core.services.audit import (
    audit_checkpoint_due,
    audit_key_id,
    audit_keys,
    audit_record,
    audit_verify,
    checkpoint_path,
)
from core.tasks import audit_checkpoint

pytestmark = [pytest.mark.django_db, pytest.mark.security]

KEY_1 = "first-audit-key-0123456789abcdefghijklmnop"
KEY_2 = "second-audit-key-0123456789abcdefghijklmno"


@pytest.fixture(autouse=True)
def _keyed(settings):
    settings.AUDIT_KEY = [KEY_1]
    settings.AUDIT_CHECKPOINT_EVENTS = 3


def _chain(n: int, capture, *, checkpoints: bool = True) -> list[AuditEvent]:
    """n events in one transaction; its on-commit callbacks (the checkpoints) run or not."""
    with capture(execute=checkpoints), transaction.atomic():
        return [
            audit_record(by=None, action="test.event", details={"n": i, "text": "赤潮"})
            for i in range(n)
        ]


def _checkpoint_lines() -> list[dict]:
    return [json.loads(line) for line in checkpoint_path().read_text().splitlines()]


def _disable_guard(cursor) -> None:
    """What a tampering database administrator does first."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE operation_auditevent DISABLE TRIGGER USER")
    else:
        cursor.execute("DROP TRIGGER operation_auditevent_no_update")


def _rewrite(cursor, event: AuditEvent) -> None:
    cursor.execute(
        "UPDATE operation_auditevent SET details = %s, prev_hash = %s, hash = %s, key_id = %s "
        "WHERE id = %s",
        [json.dumps(event.details), event.prev_hash, event.hash, event.key_id, event.pk],
    )


def _move_head(cursor, event: AuditEvent) -> None:
    cursor.execute(
        "UPDATE operation_auditchainhead SET seq = %s, hash = %s WHERE id = 1",
        [event.seq, event.hash],
    )


def _legacy_record(n: int) -> AuditEvent:
    """An event as audit_record wrote it before the chain was keyed."""
    head, _ = AuditChainHead.objects.get_or_create(pk=1)
    event = AuditEvent(
        seq=head.seq + 1,
        time=timezone.now(),
        actor_username="system",
        action="test.legacy",
        details={"n": n},
        prev_hash=head.hash,
    )
    event.hash = hashlib.sha256((event.prev_hash + event.canonical()).encode()).hexdigest()
    event.save()
    head.seq, head.hash = event.seq, event.hash
    head.save()
    return event


def _verify_fails() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    return str(caught.value)


def test_a_checkpoint_is_appended_after_commit_every_n_events_and_at_a_new_key(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events = [audit_record(by=None, action="test.event") for _ in range(7)]
        assert not checkpoint_path().exists()  # nothing before the commit
    lines = _checkpoint_lines()
    # the first keyed event (the head had no key), then every third event
    assert [line["seq"] for line in lines] == [events[0].seq, 3, 6]
    assert all(line["key_id"] == audit_key_id(KEY_1.encode()) for line in lines)
    assert lines[2]["hash"] == events[5].hash
    assert audit_verify() is None


def test_deleting_the_newest_events_and_moving_the_head_back_fails_at_the_checkpoint(
    django_capture_on_commit_callbacks,
):
    events = _chain(7, django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        cursor.execute("DELETE FROM operation_auditevent WHERE seq > %s", [events[3].seq])
        _move_head(cursor, events[3])
    message = _verify_fails()
    assert f"checkpoint line 3 (event #{events[5].seq})" in message
    assert f"the chain ends at #{events[3].seq}" in message


@pytest.mark.parametrize("clear_key_id", [False, True], ids=["key-id-kept", "key-id-cleared"])
def test_an_edited_event_rehashed_with_plain_sha256_fails_at_the_edit(
    django_capture_on_commit_callbacks, clear_key_id
):
    events = _chain(5, django_capture_on_commit_callbacks, checkpoints=False)
    forged = [AuditEvent.objects.get(pk=e.pk) for e in events]
    forged[1].details = {"n": 99, "text": "赤潮"}
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        previous = forged[0].hash
        for event in forged[1:]:
            if clear_key_id:
                event.key_id = ""
            event.prev_hash = previous
            event.hash = previous = event.compute_hash()  # SHA-256: the key is not at hand
            _rewrite(cursor, event)
        _move_head(cursor, forged[-1])
    message = _verify_fails()
    assert f"event #{events[1].seq} (id {events[1].pk})" in message


def test_a_chain_rewritten_entirely_without_the_key_fails_at_a_checkpoint(
    django_capture_on_commit_callbacks,
):
    """Pretending the chain was never keyed: every event unkeyed, plain SHA-256."""
    events = _chain(4, django_capture_on_commit_callbacks)
    forged = [AuditEvent.objects.get(pk=e.pk) for e in events]
    forged[2].details = {"n": 99}
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        previous = GENESIS_HASH
        for event in forged:
            event.key_id = ""
            event.prev_hash = previous
            event.hash = previous = event.compute_hash()
            _rewrite(cursor, event)
        _move_head(cursor, forged[-1])
    message = _verify_fails()
    assert f"checkpoint line 1 (event #{events[0].seq})" in message
    assert "hash differs" in message


def test_an_event_linked_to_the_wrong_previous_hash_is_named(
    django_capture_on_commit_callbacks,
):
    """Its own hash is right for its content (made with the key); only the link is wrong."""
    events = _chain(4, django_capture_on_commit_callbacks, checkpoints=False)
    event = AuditEvent.objects.get(pk=events[2].pk)
    event.prev_hash = events[0].hash
    event.hash = event.compute_hash(KEY_1.encode())
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        _rewrite(cursor, event)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.compute_hash(KEY_1.encode()) == stored.hash  # a valid hash of its content
    message = _verify_fails()
    assert f"event #{events[2].seq} (id {events[2].pk})" in message
    assert "previous hash does not match" in message


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda line: {**line, "mac": "0" * 64}, "signature does not match"),
        (lambda line: {**line, "hash": "f" * 64}, "signature does not match"),
        (lambda line: {**line, "key_id": "0123456789abcdef"}, "0123456789abcdef"),
        (lambda line: "not json", "not a checkpoint"),
    ],
    ids=["bad-signature", "other-hash", "unknown-key", "garbage"],
)
def test_a_forged_checkpoint_line_fails_naming_the_line(
    django_capture_on_commit_callbacks, forge, reason
):
    _chain(4, django_capture_on_commit_callbacks)
    lines = _checkpoint_lines()
    assert len(lines) == 2
    forged = forge(lines[1])
    with checkpoint_path().open("a") as handle:
        handle.write((forged if isinstance(forged, str) else json.dumps(forged)) + "\n")
    message = _verify_fails()
    assert "checkpoint line 3" in message
    assert reason in message


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncate_of_the_trail_is_refused_on_postgresql(django_capture_on_commit_callbacks):
    events = _chain(2, django_capture_on_commit_callbacks, checkpoints=False)
    with connection.cursor() as cursor:
        # The test suite's sessions allow it (Django empties test databases so); no
        # other session does.
        cursor.execute("SET LOCAL sandbox.audit_truncate = 'refuse'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in a transaction of its own
        for statement in (
            "TRUNCATE operation_auditevent",
            "TRUNCATE operation_auditevent, operation_auditchainhead RESTART IDENTITY CASCADE",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(statement)
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == 2


def test_rotated_keys_verify_together_and_a_missing_one_is_named(
    settings, django_capture_on_commit_callbacks
):
    first = _chain(2, django_capture_on_commit_callbacks, checkpoints=False)
    settings.AUDIT_KEY = [KEY_2, KEY_1]  # the new key signs, the old one still verifies
    second = _chain(2, django_capture_on_commit_callbacks)
    assert {e.key_id for e in first} == {audit_key_id(KEY_1.encode())}
    assert {e.key_id for e in second} == {audit_key_id(KEY_2.encode())}
    assert second[0].prev_hash == first[-1].hash
    assert _checkpoint_lines()[0]["seq"] == second[0].seq  # the rotation is anchored
    call_command("verify_audit")

    settings.AUDIT_KEY = [KEY_2]
    message = _verify_fails()
    assert f"event #{first[0].seq}" in message
    assert f"audit key {audit_key_id(KEY_1.encode())} is not configured" in message


def test_events_from_before_the_key_verify_and_are_protected_by_the_first_keyed_one(
    django_capture_on_commit_callbacks,
):
    with transaction.atomic():
        legacy = [_legacy_record(n) for n in range(3)]
    keyed = _chain(2, django_capture_on_commit_callbacks)
    assert keyed[0].prev_hash == legacy[-1].hash and keyed[0].key_id
    assert audit_verify() is None

    # Rewriting an old event means rewriting the first keyed event's link: not without the key
    forged = [AuditEvent.objects.get(pk=e.pk) for e in [*legacy[1:], keyed[0]]]
    forged[0].details = {"n": 99}
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        previous = legacy[0].hash
        for event in forged:
            event.prev_hash = previous
            event.hash = previous = event.compute_hash()
            _rewrite(cursor, event)
    message = _verify_fails()
    assert f"event #{keyed[0].seq} (id {keyed[0].pk})" in message


def test_beat_checkpoints_the_head_once(settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVENTS = 1000  # none by count; the first keyed event has one
    events = _chain(3, django_capture_on_commit_callbacks)
    assert [line["seq"] for line in _checkpoint_lines()] == [events[0].seq]
    audit_checkpoint.delay()
    audit_checkpoint.delay()  # nothing new since: no second line
    lines = _checkpoint_lines()
    assert [line["seq"] for line in lines] == [events[0].seq, events[-1].seq]
    assert lines[-1]["hash"] == events[-1].hash
    call_command("verify_audit")


def test_checkpoints_go_to_syslog_when_asked(settings, django_capture_on_commit_callbacks):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.AUDIT_SYSLOG = True
    settings.AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{receiver.getsockname()[1]}"
    try:
        events = _chain(1, django_capture_on_commit_callbacks, checkpoints=False)
        checkpoint = audit_checkpoint_due()
        message = receiver.recv(4096).decode()
    finally:
        settings.AUDIT_SYSLOG = False
        audit_service._syslog_attached()  # detach
        receiver.close()
    assert checkpoint["seq"] == events[0].seq
    assert "sandbox-audit: audit checkpoint" in message and events[0].hash in message


def test_the_key_file_is_generated_once_private_and_outside_the_database(settings, tmp_path):
    settings.AUDIT_KEY = []
    settings.AUDIT_KEY_FILE = tmp_path / "var" / "audit_key"
    key_id, key = audit_keys().signing
    assert stat.S_IMODE(settings.AUDIT_KEY_FILE.stat().st_mode) == 0o600
    assert settings.AUDIT_KEY_FILE.read_text().strip().encode() == key
    event = audit_record(by=None, action="test.event")
    assert event.key_id == key_id and key.decode() not in json.dumps(event.details)
    assert audit_verify() is None
