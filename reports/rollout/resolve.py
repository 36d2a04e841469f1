"""Resolving through the DnsCache table (reports.shared.dns asks the DNS itself).

- `cached_lookup` answers from the DnsCache table while the entry is fresh and
  asks the DNS (and stores the answer) otherwise. The readiness page and the
  `rollout` command use it; the page's Refresh button passes refresh=True;
- `cache_only` never asks the DNS: for pages that must not wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from reports.rollout.models import DnsCache
from reports.shared.dns import Answer, Resolve, live_lookup, resolver

# How long answers stay in DnsCache: the record's TTL within these bounds.
CACHE_MIN = timedelta(minutes=5)
CACHE_MAX = timedelta(hours=12)
CACHE_NEGATIVE = timedelta(minutes=30)
CACHE_FAILED = timedelta(minutes=2)


def cache_expiry(answer: Answer) -> datetime:
    fetched = answer.fetched or timezone.now()
    if answer.failed:
        return fetched + CACHE_FAILED
    if answer.error:
        return fetched + CACHE_NEGATIVE
    return fetched + min(CACHE_MAX, max(CACHE_MIN, timedelta(seconds=answer.ttl)))


def _from_cache(name: str, rdtype: str) -> Answer | None:
    row = DnsCache.objects.filter(name=name, rdtype=rdtype, expires__gt=timezone.now()).first()
    if row is None:
        return None
    return Answer(name, rdtype, records=list(row.answer), error=row.error, fetched=row.fetched)


def cached_lookup(name: str, rdtype: str, *, refresh: bool = False, res=None) -> Answer:
    name = name.rstrip(".").lower()
    if not refresh:
        cached = _from_cache(name, rdtype)
        if cached is not None:
            return cached
    answer = live_lookup(name, rdtype, res)
    DnsCache.objects.update_or_create(
        name=name,
        rdtype=rdtype,
        defaults={
            "answer": answer.records,
            "error": answer.error[:255],
            "fetched": answer.fetched,
            "expires": cache_expiry(answer),
        },
    )
    return answer


NOT_CACHED = "not looked up yet"
SKIPPED = "skipped: the DNS did not answer an earlier lookup"


def cache_only(name: str, rdtype: str) -> Answer:
    """A Resolve that never asks the DNS: for drill-down pages that must not wait."""
    name = name.rstrip(".").lower()
    return _from_cache(name, rdtype) or Answer(name, rdtype, error=NOT_CACHED)


def cached_resolver(*, refresh: bool = False) -> Resolve:
    """A Resolve for one inspection: one dnspython resolver, each name asked once, and once the
    DNS has timed out, no more waiting: the remaining names are answered from the cache or skipped."""
    res = None
    down = False
    seen: dict[tuple[str, str], Answer] = {}

    def resolve(name: str, rdtype: str) -> Answer:
        nonlocal res, down
        key = (name.rstrip(".").lower(), rdtype)
        if key not in seen:
            if down:
                seen[key] = _from_cache(*key) or Answer(key[0], rdtype, error=SKIPPED)
                return seen[key]
            if res is None:
                res = resolver()
            answer = cached_lookup(key[0], rdtype, refresh=refresh, res=res)
            down = answer.error == "timeout" or answer.error.startswith("no server answered")
            seen[key] = answer
        return seen[key]

    return resolve
