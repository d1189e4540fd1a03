"""Notifying people: a portal notification per recipient, emailed by a worker after commit.
Each leads to its object (``target_url``, a portal path) and is read once its recipient
opens it."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.errors import NotFound
from core.models import Notification
from core.queueing import enqueue_on_commit

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
    from core.tasks import notification_email

    subject = SUBJECT_JOIN.join(_render_each_language(subject_template, context))
    body = BODY_JOIN.join(_render_each_language(body_template, context))
    created = [
        Notification.objects.create(
            recipient=user, subject=subject[:200], body=body, target_url=target_url
        )
        for user in recipients
    ]
    for notification in created:
        enqueue_on_commit(notification_email, notification.pk)
    return created


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
