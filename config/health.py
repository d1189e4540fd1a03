"""Reachability of the database and the broker, for /healthz."""

from django.conf import settings
from django.db import connection
from kombu import Connection


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unreachable; report only its class
        return False, type(exc).__name__
    return True, "ok"


def broker_ok() -> tuple[bool, str]:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
            broker.default_channel  # noqa: B018 (opening a channel is a round trip)
    except Exception as exc:  # any failure means unreachable; report only its class
        return False, type(exc).__name__
    return True, "ok"
