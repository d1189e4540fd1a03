"""The Redis every process of the platform shares for counters and notes to each other
(SERVICES_REDIS_URL: the broker's Redis by default, the embedded default's too). Names
are under SERVICES_KEY_PREFIX. Nothing here is a record: the database is."""

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def kv_client() -> redis.Redis:
    return _client(settings.SERVICES_REDIS_URL)


def kv_name(name: str) -> str:
    """The Redis key of ``name`` (under SERVICES_KEY_PREFIX)."""
    return settings.SERVICES_KEY_PREFIX + name
