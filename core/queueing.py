"""Handing tasks to the broker. The database is the truth: a state change commits
whether or not the broker answers at that moment, and whatever a lost message should
have done is found again from the database by beat's reconcilers."""

import logging
import threading

from celery import current_app
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)
_IMPORTING = threading.Lock()
# A broker that does not answer costs a request about a second, not a hang.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}


def task_named(name: str):
    """The Celery task ``name``, sent as itself (its route applies, and eager mode): a
    service sends a task without importing the module whose task calls the service."""
    tasks = current_app.tasks
    if name not in tasks:  # a web process imports the tasks' modules when it first sends
        with _IMPORTING:  # once: a thread arriving meanwhile waits for the tasks
            if name not in tasks:
                current_app.loader.import_default_modules()
    return tasks[name]


def enqueue(task, *args, **options) -> bool:
    """Send one task (``options`` as Celery's apply_async takes them); False (logged)
    when the broker cannot be reached."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY, **options)
    except OperationalError as exc:
        logger.warning("broker unreachable, %s%r not sent now (%s)", task.name, args, exc)
        return False
    return True


def dispatch_each(ids, dispatch) -> int:
    """A reconciler's round: ``dispatch(id)`` for each of ``ids`` until the broker does not
    answer (the next round tries again). How many were sent."""
    sent = 0
    for each in ids:
        if not dispatch(each):
            break
        sent += 1
    return sent
