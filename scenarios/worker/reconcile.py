"""Beat's reconciler (every JOBS_REAP_INTERVAL_SECONDS): the database is the truth, and
what a lost worker or a lost message left undone is found again from it."""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import ChannelError

from scenarios.queue import outputs_check_dispatch
from scenarios.services.outputs import outputs_stale
from scenarios.worker.jobs import jobs_reap, jobs_redispatch
from scenarios.worker.workspaces import workspaces_redispatch

logger = logging.getLogger(__name__)

# A real job's outputs still unchecked this long after it ended lost their check's message
# (or its worker): they are checked again.
OUTPUTS_RECHECK_AFTER_SECONDS = 900


def reconcile() -> int:
    """Requeue once, or fail, jobs whose worker went silent; send again the messages of
    queued jobs and workspace builds the broker may have lost; check the outputs a dead
    worker left unchecked. Returns how many were handled."""
    handled = jobs_reap()
    handled += jobs_redispatch(queued_messages=_queued_messages(settings.JOBS_QUEUE))
    handled += workspaces_redispatch()
    for job_id in outputs_stale(
        older_than=timezone.now() - timedelta(seconds=OUTPUTS_RECHECK_AFTER_SECONDS)
    ):
        outputs_check_dispatch(job_id)
        handled += 1
    return handled


def _queued_messages(queue: str) -> int | None:
    """Messages waiting in the broker's queue (None when the broker cannot tell)."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:  # Redis keeps no empty list: no such queue means no message
        return 0
    except Exception:  # any broker failure: unknown, every due job is sent again
        logger.warning("could not count the %s queue's messages", queue, exc_info=True)
        return None
