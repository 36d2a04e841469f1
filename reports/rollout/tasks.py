"""Celery tasks of the rollout assistant: reverse DNS and readiness summaries, off the request path.

Pages never resolve names nor assess a domain: they read ReverseDns, DnsCache
and the stored summaries. These tasks fill them, on a schedule
(CELERY_BEAT_SCHEDULE in dmarcapp/settings.py), after imports, deletions and marks
(reports.rollout.receivers), or when a page finds a summary missing.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError

from dmarcapp.celery import app
from reports.rollout import actions, asn, queries, rdns
from reports.shared.dates import STORED_WINDOWS, WINDOW_DAYS
from reports.sources.models import SourceNetwork

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


@app.task(ignore_result=True, soft_time_limit=900, time_limit=960)
def resolve_sources(days: int = 30, limit: int = 2000, domain: str = "") -> dict:
    """Name recent sources that have no fresh name: reverse DNS, then their network (AS, country).

    Beat runs it every few minutes, so sources imported a moment ago get named soon;
    `manage.py resolve_sources` runs it inline.
    """
    done = {"reverse_dns": resolve_reverse_dns(days=days, limit=limit, domain=domain), "networks": 0}
    if asn.enabled():
        stale = rdns.stale_sources(days=days, limit=limit, domain=domain or None, table=SourceNetwork)
        done["networks"] = asn.refresh_networks(stale)
        if done["networks"]:
            log.info("networks: resolved %d sources", done["networks"])
    return done


@app.task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def refresh_readiness():
    """Recompute the rollout summaries the overview shows (beat runs it periodically)."""
    actions.refresh_summaries()


@app.task(ignore_result=True, soft_time_limit=300, time_limit=330)
def refresh_summary(domain: str, days: int = WINDOW_DAYS, refresh_dns: bool = False):
    """Assess one domain and store its summary (after an import or a deletion, or a page found none)."""
    # Taken off before the work: a change that arrives meanwhile queues another run.
    cache.delete(_queued_key(domain, days))
    if days not in STORED_WINDOWS:
        actions.compute_on_demand(domain, days, refresh_dns=refresh_dns)
        return
    actions.compute(domain, days=days, refresh_dns=refresh_dns)


@app.task(ignore_result=True, soft_time_limit=300, time_limit=330)
def compute_window(domain: str, days: int):
    """Assess one domain over a window outside the page's choices, for the page that asked (not stored)."""
    cache.delete(_queued_key(domain, days))
    actions.compute_on_demand(domain, days)


def queue_window(domain: str, days: int, allowed=None) -> bool | None:
    """Queue compute_window unless already queued; False if the broker is down. `allowed()`, if given,
    is asked before queuing anything new: when it says no, nothing is queued and this returns None."""
    if not cache.add(_queued_key(domain, days), True, QUEUED_SECONDS):
        return True
    if allowed is not None and not allowed():
        cache.delete(_queued_key(domain, days))
        return None
    try:
        compute_window.delay(domain, days)
    except BrokerError as e:
        cache.delete(_queued_key(domain, days))
        log.warning("cannot queue the readiness of %s over %d days: %s", domain, days, e)
        return False
    return True


def _queued_key(domain: str, days: int) -> str:
    return f"rollout:summary-queued:{domain}:{days}"


def queue_summary(domain: str, days: int = WINDOW_DAYS, refresh_dns: bool = False) -> bool:
    """Queue the computation of a summary unless already queued; False if the broker is down."""
    if not refresh_dns and not cache.add(_queued_key(domain, days), True, QUEUED_SECONDS):
        return True
    try:
        refresh_summary.delay(domain, days, refresh_dns)
    except BrokerError as e:
        cache.delete(_queued_key(domain, days))
        log.warning("cannot queue the readiness summary of %s: %s", domain, e)
        return False
    return True


def queue_domain_summaries(domain: str) -> bool:
    """Every kept window of the domain is computed again (its reports or marks changed); False if the
    broker is down."""
    return all([queue_summary(domain, days) for days in queries.windows(domain)])
