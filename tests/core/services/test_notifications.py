"""Notifications lead to their object, are read once opened, and e-mail the same link."""

import pytest

from core.errors import NotFound
from core.models import Notification
from core.services.notifications import notification_open, notifications_mark_all_read
from core.tasks import notification_email
from scenarios.services.scenarios import scenario_transition
from tenants.services.admission import admission_admit
from tests.factories import authorized_scenario, staff_user, submitted_developer

pytestmark = pytest.mark.django_db


def test_each_caller_stores_the_link_to_its_object(tmp_path, django_capture_on_commit_callbacks):
    _org, admin = submitted_developer("数据公司", "applicant")
    assert Notification.objects.get(recipient=admin).target_url == "/organization/"

    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer = authorized_scenario(tmp_path)
    scenario_transition(by=staff_user("op"), scenario=scenario, action="suspend", reason="检查")
    suspended = Notification.objects.filter(recipient=developer).first()
    assert suspended.target_url == f"/scenarios/{scenario.pk}/"


def test_the_email_carries_the_absolute_link(settings, mailoutbox):
    settings.PORTAL_URL = "https://sandbox.example.cn"
    _org, admin = submitted_developer("数据公司", "applicant")
    notification = Notification.objects.get(recipient=admin)

    notification_email(notification.pk)

    assert "https://sandbox.example.cn/organization/" in mailoutbox[-1].body


def test_opening_marks_read_and_only_the_recipient_may():
    _org, admin = submitted_developer("数据公司", "applicant")
    _other_org, other = submitted_developer("保险公司", "insurer")
    notification = Notification.objects.get(recipient=admin)

    with pytest.raises(NotFound):
        notification_open(by=other, notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is None

    assert notification_open(by=admin, notification=notification) == "/organization/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_all_read_reads_only_ones_own():
    _org, admin = submitted_developer("数据公司", "applicant")
    _other_org, other = submitted_developer("保险公司", "insurer")

    assert notifications_mark_all_read(by=admin) == 1

    assert not Notification.objects.filter(recipient=admin, read_at=None).exists()
    assert Notification.objects.filter(recipient=other, read_at=None).count() == 1


def test_a_notification_reads_in_the_reader_language(client, settings):
    """Written in every portal language, a notification shows the reader's only."""
    operator = staff_user("op")
    organization, admin = submitted_developer("海洋实验室", "lab")
    admission_admit(by=operator, application=organization.admission)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get("/notifications/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/notifications/").content.decode()
    assert "准入" in chinese and "Admission granted" not in chinese
    assert "Admission granted" in english and "已准入" not in english


def test_an_email_whose_message_was_lost_is_sent_again_once(mailoutbox):
    """Beat's re-send: a notification not emailed well after its message was handed to the
    broker (or never handed: the broker was away) is emailed, once; a recent one, an old
    one, an emailed one and one without an address are left."""
    from datetime import timedelta

    from django.utils import timezone

    from core.services.notifications import notifications_email_redispatch

    _org, admin = submitted_developer("数据公司", "applicant")
    now = timezone.now()
    lost = Notification.objects.get(recipient=admin)
    Notification.objects.filter(pk=lost.pk).update(
        emailed_at=None, email_queued_at=now - timedelta(minutes=20)
    )

    def made(minutes_ago, **fields):
        notification = Notification.objects.create(recipient=admin, subject="s", body="b")
        Notification.objects.filter(pk=notification.pk).update(
            created_at=now - timedelta(minutes=minutes_ago), **fields
        )
        return notification

    never_sent = made(5)
    waiting = made(5, email_queued_at=now - timedelta(minutes=5))
    made(3 * 24 * 60)  # three days old: its moment has passed
    made(30, emailed_at=now - timedelta(minutes=29))
    _other_org, no_address = submitted_developer("保险公司", "insurer")
    no_address.email = ""
    no_address.save(update_fields=["email"])
    Notification.objects.filter(recipient=no_address).update(emailed_at=None, email_queued_at=None)
    mailoutbox.clear()

    assert notifications_email_redispatch() == 2  # eager here: sent on the spot

    assert sorted(m.subject for m in mailoutbox) == sorted([lost.subject, never_sent.subject])
    for notification in (lost, never_sent):
        notification.refresh_from_db()
        assert notification.emailed_at is not None and notification.email_queued_at is not None
    waiting.refresh_from_db()
    assert waiting.emailed_at is None
    assert notifications_email_redispatch() == 0
    assert len(mailoutbox) == 2
