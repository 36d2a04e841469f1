"""The network (AS number, AS name, country) of each source, from Team Cymru over DNS, kept in SourceNetwork.

Resolved in Celery (reports.rollout.tasks.resolve_sources), through the resolver
DMARC_DNS_NAMESERVERS sets; pages only read the table. DMARC_ASN_LOOKUP=false
turns the lookups off for those who may not send addresses outside.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from reports.rollout import cymru, resolve
from reports.rollout.rules import classification
from reports.shared import dns
from reports.shared.dns import Answer
from reports.shared.sql import ANY_IP, ip_list
from reports.sources.models import SourceNetwork

# Routing changes slowly; a failed lookup is tried again soon.
TTL_MIN = timedelta(hours=12)
TTL_MAX = timedelta(days=7)
FAILED = timedelta(hours=1)
WORKERS = 8


def enabled() -> bool:
    return bool(settings.DMARC_ASN_LOOKUP)


@dataclass
class Network:
    ip: str
    asn: int | None = None
    prefix: str = ""
    country: str = ""
    as_name: str = ""
    error: str = ""
    expires: datetime | None = None


def _origin(ip: str) -> tuple[str, Answer]:
    # A resolver per thread: dnspython resolvers are not meant to be shared.
    return ip, dns.live_lookup(cymru.origin_name(ip), "TXT", dns.resolver())


def lookup(ips: list[str]) -> list[Network]:
    """Origin of each address (in parallel), then the name of each AS found (once per AS, via DnsCache)."""
    if not ips:
        return []
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(ips))) as pool:
        answers = list(pool.map(_origin, ips))
    now = timezone.now()
    networks = []
    for ip, answer in answers:
        origin = None if answer.error else cymru.parse_origin(answer.records)
        if origin is None:
            error = answer.error or "unreadable answer"
            keep = FAILED if answer.failed else TTL_MIN
            networks.append(Network(ip, error=error, expires=now + keep))
            continue
        ttl = min(TTL_MAX, max(TTL_MIN, timedelta(seconds=answer.ttl)))
        networks.append(Network(ip, origin.asn, origin.prefix, origin.country, expires=now + ttl))
    names: dict[int, str] = {}
    for asn in sorted({n.asn for n in networks if n.asn is not None}):
        names[asn] = cymru.parse_as_name(resolve.cached_lookup(cymru.as_name_query(asn), "TXT").records)
    for n in networks:
        n.as_name = names.get(n.asn, "") if n.asn is not None else ""
    return networks


def refresh_networks(ips: list[str]) -> int:
    """Look the addresses up and store them in SourceNetwork; nothing when DMARC_ASN_LOOKUP is off."""
    if not ips or not enabled():
        return 0
    now = timezone.now()
    SourceNetwork.objects.bulk_create(
        [
            SourceNetwork(
                ip=n.ip, asn=n.asn, prefix=n.prefix, country=n.country, as_name=n.as_name,
                error=n.error[:255], fetched=now, expires=n.expires or now + FAILED,
            )
            for n in lookup(ips)
        ],
        update_conflicts=True,
        unique_fields=["ip"],
        update_fields=["asn", "prefix", "country", "as_name", "error", "fetched", "expires"],
    )  # fmt: skip
    return len(ips)


def networks(ips: Iterable[str]) -> dict[str, classification.Network]:
    """Stored networks of the given sources (never asks the DNS: safe in a page request)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT host(ip), asn, as_name, country FROM {SourceNetwork._meta.db_table}"
            f" WHERE ip = {ANY_IP} AND asn IS NOT NULL",
            [ip_list(ips)],
        )
        return {
            ip: classification.Network(asn_, as_name, country)
            for ip, asn_, as_name, country in cur.fetchall()
        }
