"""Celery tasks of the dashboard: ranking the sources and totalling the senders of big domains, off the
request path (reports.dashboard.ranking)."""

from __future__ import annotations

import logging
from datetime import date

from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError

from dmarcapp.celery import app
from reports.dashboard import ranking
from reports.dashboard.source_table import SourceFilter
from reports.shared.dates import DateRange

log = logging.getLogger(__name__)

# A page that finds no ranking queues one computation per range, not one per page view.
QUEUED_SECONDS = 300


@app.task(ignore_result=True, soft_time_limit=300, time_limit=330)
def rank_sources(domain: str, start: str, end: str, order: str = SourceFilter().order_key) -> int:
    """Rank the sources of a domain over a range in one order of the sources table (a page found no
    exact ranking, or an import changed one that pages read)."""
    rng = DateRange(date.fromisoformat(start), date.fromisoformat(end))
    flt = SourceFilter.from_order_key(order)
    # Taken off before the work: a change that arrives meanwhile queues another run.
    cache.delete(_queued_key(domain, rng, flt))
    found = ranking.compute(domain, rng, flt)
    ranking.prune()
    return found


@app.task(ignore_result=True, soft_time_limit=300, time_limit=330)
def total_senders(domain: str, start: str, end: str) -> int:
    """Total the senders page's rows of a domain over a range (a page found none exact, or an import
    or an assessment changed what pages read)."""
    rng = DateRange(date.fromisoformat(start), date.fromisoformat(end))
    cache.delete(_queued_key(domain, rng, None))
    found = ranking.compute_senders(domain, rng)
    ranking.prune()
    return found


def _queued_key(domain: str, rng: DateRange, flt: SourceFilter | None) -> str:
    what = flt.order_key if flt else "senders"
    return f"dashboard:ranking-queued:{domain}:{rng.start}:{rng.end}:{what}"


def queue_ranking(domain: str, rng: DateRange, flt: SourceFilter | None, allowed=None) -> bool | None:
    """Queue the ranking of a range in the filter's order (None: the sender totals) unless already
    queued; False if the broker is down. `allowed()`, if given, is asked before queuing anything new:
    when it says no, nothing is queued and this returns None."""
    key = _queued_key(domain, rng, flt)
    if not cache.add(key, True, QUEUED_SECONDS):
        return True
    if allowed is not None and not allowed():
        cache.delete(key)
        return None
    args = [domain, rng.start.isoformat(), rng.end.isoformat()]
    try:
        if flt is None:
            total_senders.delay(*args)
        else:
            rank_sources.delay(*args, flt.order_key)
    except BrokerError as e:
        cache.delete(key)
        log.warning("cannot queue the source ranking of %s: %s", domain, e)
        return False
    return True


def queue_rankings(domain: str) -> None:
    """Reports of the domain were stored or deleted, or its sources assessed: what pages still read
    and is no longer exact is computed again."""
    for rng, flt in ranking.still_read(domain):
        queue_ranking(domain, rng, flt)
