"""Asking the DNS, now: through the resolver DMARC_DNS_NAMESERVERS sets (host or host:port,
comma-separated; the system resolver when empty), with short timeouts. What a lookup gives is an
Answer; NXDOMAIN and NODATA are answers, not failures. Caching is the callers' (reports.rollout.resolve)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import dns.exception
import dns.nameserver
import dns.resolver
import dns.reversename
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from reports.shared.text import first_line

# Errors an Answer can carry. NXDOMAIN and NODATA are answers, not failures.
NXDOMAIN = "nxdomain"
NODATA = "nodata"


@dataclass
class Answer:
    name: str
    rdtype: str
    records: list[str] = field(default_factory=list)  # TXT joined and decoded; names without the dot
    error: str = ""  # "", nxdomain, nodata, or a failure such as "timeout"
    ttl: int = 0
    fetched: datetime | None = None

    @property
    def failed(self) -> bool:
        """The DNS could not say (timeout, SERVFAIL): nothing is known about the name."""
        return bool(self.error) and self.error not in (NXDOMAIN, NODATA)


# What the record linters are given: `resolve(name, rdtype) -> Answer`, live, cached or made up by a test.
Resolve = Callable[[str, str], Answer]


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
    now = timezone.now()
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


def reverse_name(ip: str) -> str:
    return dns.reversename.from_address(ip).to_text().rstrip(".")
