"""Notifying people: a portal notification per recipient, emailed by a worker after commit."""

from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

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
    *, recipients: Iterable, subject_template: str, body_template: str, context: dict
) -> list[Notification]:
    """Create notifications (in every portal language) and email them once committed."""
    from core.tasks import notification_email

    subject = SUBJECT_JOIN.join(_render_each_language(subject_template, context))
    body = BODY_JOIN.join(_render_each_language(body_template, context))
    created = [
        Notification.objects.create(recipient=user, subject=subject[:200], body=body)
        for user in recipients
    ]
    for notification in created:
        enqueue_on_commit(notification_email, notification.pk)
    return created
