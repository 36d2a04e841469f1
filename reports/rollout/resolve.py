"""Resolving: asking the DNS, through the configured resolver, and the DnsCache table.

- `live_lookup` asks the DNS now, through the resolver configured by
  DMARC_DNS_NAMESERVERS (host or host:port, comma-separated; the system
  resolver when empty) with short timeouts;
- `cached_lookup` answers from the DnsCache table while the entry is fresh and
  asks the DNS (and stores the answer) otherwise. The readiness page and the
  `rollout` command use it; the page's Refresh button passes refresh=True;
- `cache_only` never asks the DNS: for pages that must not wait.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import datetime, timedelta

import dns.exception
import dns.nameserver
import dns.resolver
import dns.reversename
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from reports.rollout.lint import NODATA, NXDOMAIN, Answer, Resolve
from reports.shared.text import first_line


def nameservers(value: list[str] | str | None = None) -> list[tuple[str, int]]:
    """Parse DMARC_DNS_NAMESERVERS: `host`, `host:port`, `v6addr` or `[v6addr]:port`."""
    if value is None:
        value = settings.DMARC_DNS_NAMESERVERS
    if isinstance(value, str):
        value = value.split(",")
    servers = []
    for item in value:
        item = item.strip()
        if not item:
            continue
        host, port = item, 53
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            if rest:
                port = _port(item, rest.removeprefix(":"))
        elif item.count(":") == 1:
            host, raw_port = item.split(":")
            port = _port(item, raw_port)
        try:
            host = ipaddress.ip_address(host).compressed
        except ValueError:
            try:
                host = socket.gethostbyname(host)
            except OSError:
                raise ImproperlyConfigured(
                    f"DMARC_DNS_NAMESERVERS: cannot resolve the name server {host!r}"
                ) from None
        servers.append((host, port))
    return servers


def _port(item: str, raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ImproperlyConfigured(f"DMARC_DNS_NAMESERVERS: bad port in {item!r}")
    return int(raw)


def resolver() -> dns.resolver.Resolver:
    lifetime = float(settings.DMARC_DNS_TIMEOUT)
    servers = nameservers()
    if servers:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in servers]
    else:
        try:
            res = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            res = dns.resolver.Resolver(configure=False)
            res.nameservers = ["127.0.0.1"]
    # One slow server must not eat the whole budget: try each briefly.
    res.timeout = min(2.0, lifetime)
    res.lifetime = lifetime
    res.cache = None
    return res


def live_lookup(name: str, rdtype: str, res: dns.resolver.Resolver | None = None) -> Answer:
    name = name.rstrip(".").lower()
    res = res or resolver()
    now = _now()
    try:
        ans = res.resolve(name, rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        return Answer(name, rdtype, error=NXDOMAIN, fetched=now)
    except dns.resolver.NoAnswer:
        return Answer(name, rdtype, error=NODATA, fetched=now)
    except dns.exception.Timeout:
        return Answer(name, rdtype, error="timeout", fetched=now)
    except dns.resolver.NoNameservers as e:
        return Answer(name, rdtype, error=f"no server answered ({first_line(e, 200)})", fetched=now)
    except dns.exception.DNSException as e:
        return Answer(name, rdtype, error=first_line(e, 200), fetched=now)
    records = []
    for rr in ans:
        if rdtype == "TXT":
            # A TXT record may be split into several strings; they form one text.
            records.append(b"".join(rr.strings).decode("utf-8", "replace"))
        else:
            records.append(
                rr.to_text().rstrip(".").lower() if rdtype in ("PTR", "CNAME", "NS") else rr.to_text()
            )
    return Answer(name, rdtype, records=records, ttl=ans.rrset.ttl if ans.rrset else 0, fetched=now)


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


# How long answers stay in DnsCache: the record's TTL within these bounds.
CACHE_MIN = timedelta(minutes=5)
CACHE_MAX = timedelta(hours=12)
CACHE_NEGATIVE = timedelta(minutes=30)
CACHE_FAILED = timedelta(minutes=2)


def cache_expiry(answer: Answer) -> datetime:
    fetched = answer.fetched or _now()
    if answer.failed:
        return fetched + CACHE_FAILED
    if answer.error:
        return fetched + CACHE_NEGATIVE
    return fetched + min(CACHE_MAX, max(CACHE_MIN, timedelta(seconds=answer.ttl)))


def _from_cache(name: str, rdtype: str) -> Answer | None:
    from reports.models import DnsCache

    row = DnsCache.objects.filter(name=name, rdtype=rdtype, expires__gt=_now()).first()
    if row is None:
        return None
    return Answer(name, rdtype, records=list(row.answer), error=row.error, fetched=row.fetched)


def cached_lookup(name: str, rdtype: str, *, refresh: bool = False, res=None) -> Answer:
    from reports.models import DnsCache

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


def reverse_name(ip: str) -> str:
    return dns.reversename.from_address(ip).to_text().rstrip(".")
