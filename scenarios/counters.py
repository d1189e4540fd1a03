"""Fixed-window counters for data-service quotas and rate limits, shared by every web
worker: Redis (a script that counts only below the limit) when SERVICES_REDIS_URL is
set, otherwise a row per counter in the database (a conditional UPDATE). A refused call
is never counted, so raising a limit takes effect at once."""

from datetime import timedelta
from functools import cache

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from scenarios.models import ServiceCounter

_TAKE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return 0 end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
"""


@cache
def _script(url: str):
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return client.register_script(_TAKE)


def _database_take(key: str, limit: int, seconds: int) -> bool:
    with transaction.atomic():
        counters = ServiceCounter.objects.filter(key=key)
        if counters.filter(count__lt=limit).update(count=F("count") + 1):
            return True
        if counters.exists():
            return False
        try:
            with transaction.atomic():
                ServiceCounter.objects.create(
                    key=key, count=1, expires_at=timezone.now() + timedelta(seconds=seconds)
                )
            return True
        except IntegrityError:  # another worker created it first
            return bool(counters.filter(count__lt=limit).update(count=F("count") + 1))


def take(name: str, *, limit: int, seconds: int) -> bool:
    """Count one more in the window ``name`` (which names its window, kept ``seconds``)
    when it holds fewer than ``limit``; False, counting nothing, when it is full."""
    key = settings.SERVICES_KEY_PREFIX + name
    url = settings.SERVICES_REDIS_URL
    if not url:
        return _database_take(key, limit, seconds)
    return bool(_script(url)(keys=[key], args=[limit, seconds]))


def purge() -> int:
    """Delete the database's expired counters (Redis expires its own)."""
    deleted, _ = ServiceCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
