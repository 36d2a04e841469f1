"""How much background work one user's page views may start: a count per user and hour, in the cache.

A page that finds nothing computed for what it was asked (a custom range of a big domain, a readiness
window outside the page's choices) queues the work. Without a bound, a viewer could queue thousands
of such computations, each seconds long, on the queue mail ingestion shares.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

WINDOW = 3600  # seconds


def take(user, what: str = "on-demand") -> bool:
    """Count one computation queued for `user`; False (and nothing counted) past
    DMARC_ON_DEMAND_PER_HOUR this hour. Superusers are not counted."""
    if user.is_superuser:
        return True
    key = f"quota:{what}:{user.pk}:{int(time.time() // WINDOW)}"
    cache.add(key, 0, WINDOW + 60)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, WINDOW + 60)
        used = 1
    if used > settings.DMARC_ON_DEMAND_PER_HOUR:
        cache.decr(key)
        return False
    return True
