"""Notifying people: a portal notification per recipient, emailed by a worker after commit.
Each leads to its object (``target_url``, a portal path) and is read once its recipient
opens it."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.errors import NotFound
from core.models import Notification
from core.queueing import dispatch_each, enqueue

# A notification's e-mail not sent this long after it was handed to the broker is handed
# again (its message or its worker was lost, or the mail server refused it meanwhile),
# for as long as the notification is younger than EMAIL_RESEND_WITHIN.
EMAIL_RESEND_AFTER = timedelta(minutes=15)
EMAIL_RESEND_WITHIN = timedelta(days=2)
EMAIL_RESEND_BATCH = 500

# A notification holds every portal language, in settings.LANGUAGES order, joined thus.
SUBJECT_JOIN = " / "
BODY_JOIN = "\n\n----\n\n"


def in_language(text: str, joiner: str, language: str) -> str:
    """The part of a notification's subject or body in ``language`` (all of it when the
    text was not written in every language, as notifications from before were not)."""
    codes = [code for code, _name in settings.LANGUAGES]
    parts = text.split(joiner)
    if len(parts) != len(codes) or language not in codes:
        return text
    return parts[codes.index(language)]


def _render_each_language(template_name: str, context: dict) -> list[str]:
    rendered = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered.append(render_to_string(template_name, context).strip())
    return rendered


def notification_send(
    *,
    recipients: Iterable,
    subject_template: str,
    body_template: str,
    context: dict,
    target_url: str,
) -> list[Notification]:
    """Create notifications (in every portal language) leading to ``target_url`` (the
    object's portal path) and email them once committed."""
    subject = SUBJECT_JOIN.join(_render_each_language(subject_template, context))
    body = BODY_JOIN.join(_render_each_language(body_template, context))
    created = [
        Notification.objects.create(
            recipient=user, subject=subject[:200], body=body, target_url=target_url
        )
        for user in recipients
    ]
    for notification in created:
        transaction.on_commit(lambda pk=notification.pk: notification_email_dispatch(pk))
    return created


def notification_email_dispatch(notification_id: int) -> bool:
    """Hand a notification's e-mail to the broker (system action); False when the broker
    cannot be reached (``notifications_email_redispatch`` tries again)."""
    from core.tasks import notification_email

    sent = enqueue(notification_email, notification_id)
    if sent:
        Notification.objects.filter(pk=notification_id).update(email_queued_at=timezone.now())
    return sent


def notifications_email_redispatch(*, now=None) -> int:
    """Periodic (beat): e-mails of notifications not emailed, whose message was never
    sent or was sent EMAIL_RESEND_AFTER ago, are sent again while the notification is
    younger than EMAIL_RESEND_WITHIN. The worker sends each e-mail once. How many."""
    now = now or timezone.now()
    due = (
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__gte=now - EMAIL_RESEND_WITHIN
        )
        .exclude(recipient__email="")
        .filter(
            Q(email_queued_at__isnull=True, created_at__lt=now - timedelta(minutes=1))
            | Q(email_queued_at__lt=now - EMAIL_RESEND_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:EMAIL_RESEND_BATCH]
    )
    return dispatch_each(due, notification_email_dispatch)


def notification_open(*, by, notification: Notification) -> str:
    """The recipient opens a notification: it is read from now on. Returns where it leads
    (a notification is its recipient's alone: anyone else is refused as if it were not)."""
    if notification.recipient_id != by.pk:
        raise NotFound()
    if notification.read_at is None:
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=timezone.now()
            )
    return notification.target_url


def notifications_mark_all_read(*, by) -> int:
    """Mark every unread notification of ``by`` read; returns how many were."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
            read_at=timezone.now()
        )
