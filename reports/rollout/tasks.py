"""Celery tasks of the rollout assistant: reverse DNS and readiness summaries, off the request path.

Pages never resolve names nor assess a domain: they read ReverseDns, DnsCache
and the stored summaries. These tasks fill them, on a schedule
(dmarcapp/celery.py) or when a page finds a summary missing.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError

from dmarcapp.celery import app
from reports.rollout import rdns

log = logging.getLogger(__name__)

# A page that finds no summary queues one computation per domain, not one per page view.
QUEUED_SECONDS = 300


@app.task(ignore_result=True, soft_time_limit=600, time_limit=660)
def resolve_reverse_dns(ips: list[str] | None = None, days: int = 30, limit: int = 2000, domain: str = ""):
    """Resolve PTR names for `ips`, or for recent sources without a fresh cache entry."""
    ips = ips or rdns.stale_sources(days=days, limit=limit, domain=domain or None)
    done = rdns.refresh_reverse_dns(ips)
    if done:
        log.info("reverse DNS: resolved %d sources", done)
    return done


@app.task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def refresh_readiness():
    """Recompute the rollout summaries the overview shows (beat runs it periodically)."""
    from reports.rollout.readiness import refresh_summaries

    refresh_summaries()


@app.task(ignore_result=True, soft_time_limit=300, time_limit=330)
def refresh_summary(domain: str):
    """Assess one domain, which stores its summary (a page found none)."""
    from reports.rollout.readiness import assess

    try:
        assess(domain)
    finally:
        cache.delete(_queued_key(domain))


def _queued_key(domain: str) -> str:
    return f"rollout:summary-queued:{domain}"


def queue_summary(domain: str) -> bool:
    """Queue the computation of a summary unless already queued; False if the broker is down."""
    if not cache.add(_queued_key(domain), True, QUEUED_SECONDS):
        return True
    try:
        refresh_summary.delay(domain)
    except BrokerError as e:
        cache.delete(_queued_key(domain))
        log.warning("cannot queue the readiness summary of %s: %s", domain, e)
        return False
    return True
