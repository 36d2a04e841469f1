"""Fixed-window request counts in Redis, shared by every web process.

A limit that cannot be checked lets the request through: the API and the TLS report endpoint stay up
with their limits off while Redis is away, and the log says so. Refusing instead would turn a cache
outage into an outage of intake, and reports that a receiver cannot deliver are lost for good.
"""

from __future__ import annotations

import logging
import time
from functools import cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)


def within(kind: str, who: str, per_minute: int) -> tuple[bool, float]:
    """Counts one request of `who` against `per_minute` in the current minute: whether it is allowed,
    and the seconds until the window turns."""
    now = time.time()
    key = f"dmarc:{kind}:rate:{who[:64]}:{int(now // 60)}"
    try:
        pipe = _redis(settings.DMARC_API_RATE_REDIS_URL).pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        used = pipe.execute()[0]
    except redis.RedisError as e:
        log.warning("%s rate limit not checked, Redis unreachable: %s", kind, e)
        return True, 0.0
    return used <= per_minute, 60 - now % 60


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
