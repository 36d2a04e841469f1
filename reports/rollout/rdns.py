"""Reverse DNS of the sources: forward-confirmed PTR names, resolved in Celery and kept in ReverseDns."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import dns.resolver
from django.db import connection
from django.utils import timezone

from reports.rollups.models import SourcePeriod
from reports.shared.dns import live_lookup, resolver, reverse_name
from reports.shared.sql import ANY_IP, ip_list
from reports.sources.models import ReverseDns

RDNS_TTL_MIN = timedelta(hours=6)
RDNS_TTL_MAX = timedelta(days=7)
RDNS_FAILED = timedelta(hours=1)
RDNS_WORKERS = 8


@dataclass
class ReverseName:
    ip: str
    hostname: str = ""
    confirmed: bool = False  # the name resolves back to the address
    error: str = ""
    expires: datetime | None = None


def reverse_lookup(ip: str, res: dns.resolver.Resolver | None = None) -> ReverseName:
    """PTR of one address, forward-confirmed (the name's A/AAAA must include the address)."""
    res = res or resolver()
    answer = live_lookup(reverse_name(ip), "PTR", res)
    now = answer.fetched or timezone.now()
    if answer.error:
        # No PTR is an answer (keep it as long as a name); a timeout is retried sooner.
        keep = RDNS_FAILED if answer.failed else RDNS_TTL_MIN
        return ReverseName(ip, error=answer.error, expires=now + keep)
    hostname = sorted(answer.records)[0]
    forward = live_lookup(hostname, "AAAA" if ":" in ip else "A", res)
    addr = ipaddress.ip_address(ip)
    confirmed = any(_same_address(addr, r) for r in forward.records)
    ttl = min(RDNS_TTL_MAX, max(RDNS_TTL_MIN, timedelta(seconds=answer.ttl)))
    return ReverseName(ip, hostname[:255], confirmed, "" if confirmed else "not forward-confirmed", now + ttl)


def _same_address(addr, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) == addr
    except ValueError:
        return False


def refresh_reverse_dns(ips: list[str]) -> int:
    """Resolve the given addresses (in parallel, short timeouts) and store them in ReverseDns."""
    from concurrent.futures import ThreadPoolExecutor

    if not ips:
        return 0

    def one(ip):
        # A resolver per thread: dnspython resolvers are cheap, and not meant to be shared.
        return reverse_lookup(ip, resolver())

    with ThreadPoolExecutor(max_workers=min(RDNS_WORKERS, len(ips))) as pool:
        names = list(pool.map(one, ips))
    now = timezone.now()
    ReverseDns.objects.bulk_create(
        [
            ReverseDns(
                ip=n.ip,
                hostname=n.hostname,
                confirmed=n.confirmed,
                error=n.error[:255],
                fetched=now,
                expires=n.expires or now + RDNS_FAILED,
            )
            for n in names
        ],
        update_conflicts=True,
        unique_fields=["ip"],
        update_fields=["hostname", "confirmed", "error", "fetched", "expires"],
    )
    return len(names)


def stale_sources(days: int = 30, limit: int = 2000, domain: str | None = None, table=None) -> list[str]:
    """Sources seen in the last `days` days whose entry in `table` (ReverseDns unless told, or
    SourceNetwork) is missing or expired."""
    from django.db.models import Exists, OuterRef

    table = table or ReverseDns
    since = timezone.now().date() - timedelta(days=days)
    rows = SourcePeriod.objects.filter(period=SourcePeriod.DAY, start__gte=since)
    if domain:
        rows = rows.filter(domain=domain)
    fresh = table.objects.filter(ip=OuterRef("source_ip"), expires__gt=timezone.now())
    return list(
        rows.exclude(Exists(fresh))
        .values_list("source_ip", flat=True)
        .distinct()
        .order_by("source_ip")[:limit]
    )


def rdns_names(ips: Iterable[str], *, confirmed_only: bool = False) -> dict[str, str]:
    """Cached reverse DNS names of the given sources; never asks the DNS (safe in a page request)."""
    sql = (
        f"SELECT host(ip), hostname FROM {ReverseDns._meta.db_table}"
        f" WHERE ip = {ANY_IP} AND hostname <> ''{' AND confirmed' if confirmed_only else ''}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [ip_list(ips)])
        return dict(cur.fetchall())
