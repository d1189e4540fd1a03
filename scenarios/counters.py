"""Fixed-window counters for data-service quotas and rate limits, shared by every web
worker: Redis (INCR and EXPIRE in one transaction) when SERVICES_REDIS_URL is set,
otherwise a row per counter in the database (an atomic UPDATE)."""

from datetime import timedelta
from functools import cache

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from scenarios.models import ServiceCounter


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def _database_incr(key: str, seconds: int) -> int:
    now = timezone.now()
    with transaction.atomic():
        updated = ServiceCounter.objects.filter(key=key).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    ServiceCounter.objects.create(
                        key=key, count=1, expires_at=now + timedelta(seconds=seconds)
                    )
                return 1
            except IntegrityError:  # another worker created it first
                ServiceCounter.objects.filter(key=key).update(count=F("count") + 1)
        return ServiceCounter.objects.get(key=key).count


def incr(name: str, *, seconds: int) -> int:
    """Count one more in the window ``name`` (which names its window), kept ``seconds``;
    the new count."""
    key = settings.SERVICES_KEY_PREFIX + name
    url = settings.SERVICES_REDIS_URL
    if not url:
        return _database_incr(key, seconds)
    pipe = _redis(url).pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, seconds, nx=True)
    return int(pipe.execute()[0])


def purge() -> int:
    """Delete the database's expired counters (Redis expires its own)."""
    deleted, _ = ServiceCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
