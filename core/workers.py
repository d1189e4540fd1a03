"""Which Celery workers are alive. Each worker's main process beats from a thread of its
own every WORKER_HEARTBEAT_SECONDS (a stopped or hung worker stops beating); a queue none
of whose workers beat within WORKER_DOWN_AFTER_SECONDS is down."""

import logging
import os
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)
SANDBOX_QUEUE = "sandbox"


def worker_beat(*, hostname: str, queues: list[str], started_at) -> None:
    """Record that ``hostname`` is alive (a system fact, not an audited action)."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname[:200],
        defaults={
            "queues": ",".join(sorted(queues))[:200],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def workers_alive(queue: str | None = None) -> list[WorkerHeartbeat]:
    since = timezone.now() - timedelta(seconds=settings.WORKER_DOWN_AFTER_SECONDS)
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=since)
    return [worker for worker in alive if queue is None or queue in worker.queue_names]


def sandbox_workers_ok() -> bool:
    """At least one worker consuming the sandbox queue beat recently."""
    return bool(workers_alive(SANDBOX_QUEUE))


class WorkerBeating:
    """The heartbeat thread of one worker's main process."""

    def __init__(self, hostname: str, queues: list[str]):
        self.hostname, self.queues = hostname, queues
        self.started_at = timezone.now()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        while True:
            try:
                worker_beat(hostname=self.hostname, queues=self.queues, started_at=self.started_at)
            except Exception:  # the database may be away for a while: beat again later
                logger.warning("worker heartbeat not recorded", exc_info=True)
            finally:
                connection.close()  # a lost connection is never reused
            if self.stop_event.wait(settings.WORKER_HEARTBEAT_SECONDS):
                return

    def stop(self) -> None:
        """A worker that stops cleanly says so at once (a killed one goes stale)."""
        self.stop_event.set()
        self.thread.join(timeout=5)
        WorkerHeartbeat.objects.filter(hostname=self.hostname[:200]).delete()
