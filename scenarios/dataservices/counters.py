"""Fixed-window counters for data-service quotas and rate limits, shared by every web
worker in Redis (SERVICES_REDIS_URL: the broker's Redis by default, the embedded
default's too): a script that counts only below the limit, and a window that expires on
its own. A refused call is never counted, so raising a limit takes effect at once."""

from functools import cache

import redis
from django.conf import settings

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


def take(name: str, *, limit: int, seconds: int) -> bool:
    """Count one more in the window ``name`` (which names its window, kept ``seconds``)
    when it holds fewer than ``limit``; False, counting nothing, when it is full."""
    key = settings.SERVICES_KEY_PREFIX + name
    return bool(_script(settings.SERVICES_REDIS_URL)(keys=[key], args=[limit, seconds]))
