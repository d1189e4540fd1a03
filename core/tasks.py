"""Celery tasks of the operator's domain. Tasks take primary keys and re-fetch."""

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.models import Notification
from core.services.audit import audit_checkpoint_due
from core.services.notifications import notifications_email_redispatch
from core.workers import WorkerBeating

_beating: list[WorkerBeating] = []


@worker_ready.connect
def _worker_beats(sender, **_kwargs) -> None:
    """Every worker's main process beats while it lives (see core/workers.py)."""
    beating = WorkerBeating(sender.hostname, sorted(sender.app.amqp.queues.consume_from))
    beating.start()
    _beating.append(beating)


@worker_shutdown.connect
def _worker_stops(**_kwargs) -> None:
    while _beating:
        _beating.pop().stop()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email(notification_id: int) -> None:
    """Email one notification; idempotent (a notification already emailed is skipped)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return
        link = notification.absolute_url()
        send_mail(
            notification.subject,
            f"{notification.body}\n\n{link}" if link else notification.body,
            None,
            [notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=60)
def notification_emails_due() -> int:
    """Periodic (Celery beat, every minute): send again the e-mails whose message or
    worker was lost."""
    return notifications_email_redispatch()


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=60)
def audit_checkpoint() -> None:
    """Beat's: a signed checkpoint of the audit chain's head, unless one already covers it
    (between AUDIT_CHECKPOINT_EVENTS, the newest events are anchored within minutes)."""
    audit_checkpoint_due()
