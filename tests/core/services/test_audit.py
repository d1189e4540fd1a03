import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from core.models import AuditEvent
from core.models.audit import AppendOnlyError
from core.services.audit import audit_record, audit_verify
from tests.factories import staff_user, submitted_developer

pytestmark = pytest.mark.django_db


def _chain(n: int = 3) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(by=None, action="test.event", details={"n": i, "text": "赤潮"})
            for i in range(n)
        ]


def test_events_form_a_hash_chain():
    events = _chain(3)
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert [e.seq for e in events] == [events[0].seq, events[0].seq + 1, events[0].seq + 2]
    assert audit_verify() is None


def test_orm_cannot_update_or_delete_events():
    event = _chain(1)[0]
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_itself_refuses_an_update():
    event = _chain(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE operation_auditevent SET action = %s WHERE id = %s", ["forged", event.pk]
        )


def test_admin_offers_no_add_change_or_delete():
    admin = site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = staff_user("op")
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)


def _disable_guard(cursor) -> None:
    """What a tampering database administrator would do first."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks in the way
        cursor.execute("ALTER TABLE operation_auditevent DISABLE TRIGGER USER")
    else:
        cursor.execute("DROP TRIGGER operation_auditevent_no_update")


@pytest.mark.security
def test_tampering_through_raw_sql_is_detected_by_verify_audit():
    events = _chain(4)
    target = events[2]
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        cursor.execute(
            "UPDATE operation_auditevent SET details = %s WHERE id = %s",
            ['{"n": 99, "text": "赤潮"}', target.pk],
        )
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert f"event #{target.seq} (id {target.pk})" in str(caught.value)
    assert "content does not match its hash" in str(caught.value)


@pytest.mark.security
def test_a_deleted_event_in_the_middle_or_at_the_end_is_detected():
    events = _chain(4)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _disable_guard(cursor)
        cursor.execute("DELETE FROM operation_auditevent WHERE id = %s", [events[3].pk])
    broken = audit_verify()
    assert broken is not None and broken.seq == events[3].seq
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM operation_auditevent WHERE id = %s", [events[1].pk])
    broken = audit_verify()
    assert broken is not None and broken.seq == events[1].seq


def test_verify_audit_passes_on_a_real_history(capsys):
    submitted_developer("海洋实验室", "lab")
    call_command("verify_audit")
    assert "audit chain intact" in capsys.readouterr().out


def test_a_failed_change_leaves_no_audit_event():
    """The event is written in the change's transaction: no change, no event."""
    from core.errors import Conflict
    from tenants.services.admission import admission_reinstate

    organization, _admin = submitted_developer("海洋实验室", "lab")
    operator = staff_user("op")
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        admission_reinstate(by=operator, application=organization.admission)
    assert AuditEvent.objects.count() == before


def test_auditor_browses_and_filters_the_trail(client):
    from tenants.roles import PlatformRole

    submitted_developer("海洋实验室", "lab")
    auditor = staff_user("aud", PlatformRole.AUDITOR)
    client.force_login(auditor)
    page = client.get("/audit/", {"action": "admission."}).content.decode()
    assert 'data-action="admission.submit"' in page
    assert 'data-action="organization.create"' not in page
    api = client.get("/api/v1/audit-events/", {"actor": "lab"}).json()
    assert {e["action"] for e in api["results"]} == {"admission.submit", "member.add"}


def test_developers_cannot_read_the_trail(client):
    _org, admin = submitted_developer("海洋实验室", "lab")
    client.force_login(admin)
    assert client.get("/api/v1/audit-events/").status_code == 404


@pytest.mark.security
def test_a_wiped_trail_is_detected():
    _chain(2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _disable_guard(cursor)
        cursor.execute("DELETE FROM operation_auditevent")
        cursor.execute("DELETE FROM operation_auditchainhead")
    broken = audit_verify()
    assert broken is not None and "missing" in broken.reason


def test_floats_in_details_are_kept_as_text_and_verify():
    with transaction.atomic():
        event = audit_record(by=None, action="test.float", details={"ratio": 1e20, "p": 0.1})
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.details == {"ratio": "1e+20", "p": "0.1"}
    assert audit_verify() is None
