"""What is known of sending addresses beyond their counts: reverse DNS, network and service, read from
the small per-source tables that Celery tasks fill (never the records)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from reports.shared.sql import like_pattern
from reports.sources.models import OperatorService, SourceService
from reports.sources.own import as_service
from reports.sources.services import Catalogue, builtin


@dataclass
class SourceName:
    """What is known of a source beyond its counts: read from small tables filled in Celery."""

    rdns: str = ""  # forward-confirmed reverse DNS name
    asn: int | None = None
    as_name: str = ""
    country: str = ""
    service: str = ""  # the service's name, from the domain's last readiness assessment
    service_id: str = ""
    kind: str = ""
    category: str = ""  # rollout category, "" when not assessed yet
    by_network: bool = False  # the service is named by the source's network alone

    @property
    def network(self) -> str:
        return f"AS{self.asn}" + (f" {self.as_name}" if self.as_name else "") if self.asn is not None else ""


# One row per address, its names joined from the three small tables (one query, even for an export).
_SOURCE_NAMES = """
SELECT host(a.ip), coalesce(r.hostname, ''), n.asn, coalesce(n.as_name, ''), coalesce(n.country, ''),
       coalesce(s.service_name, ''), coalesce(s.service, ''), coalesce(s.kind, ''), coalesce(s.category, ''),
       coalesce(s.by_network, false)
FROM unnest(%s::inet[]) AS a(ip)
LEFT JOIN reports_reversedns r ON r.ip = a.ip AND r.confirmed
LEFT JOIN reports_sourcenetwork n ON n.ip = a.ip AND n.asn IS NOT NULL
LEFT JOIN reports_sourceservice s ON s.domain = %s AND s.ip = a.ip
"""


def source_names(domain: str, ips: list[str]) -> dict[str, SourceName]:
    """What is known of these sources of `domain`, {ip: SourceName}; every ip gets one."""
    names = {ip: SourceName() for ip in ips}
    if not ips:
        return names
    with connection.cursor() as cur:
        cur.execute(_SOURCE_NAMES, [ips, domain])
        for ip, *fields in cur.fetchall():
            # host() writes IPv6 as Python does (compressed, lower case), so the keys match.
            if ip in names:
                names[ip] = SourceName(*fields)
    return names


def services(domain: str) -> list[tuple[str, str]]:
    """(id, name) of the services seen among the domain's assessed sources, for the service filter."""
    rows = SourceService.objects.filter(domain=domain).exclude(service="")
    found = rows.values_list("service", "service_name").distinct().order_by()
    return sorted(found, key=lambda r: r[1].lower())


# Addresses whose name matches a search: reverse DNS, AS number or name, service of the domain.
# Small tables (one row per source), read as a subquery: a search that names 100,000 sources
# would otherwise send them to Python and back.
_NAMED_LIKE = """SELECT ip FROM reports_reversedns WHERE confirmed AND hostname ILIKE %s
    UNION SELECT ip FROM reports_sourcenetwork WHERE as_name ILIKE %s OR asn = %s
    UNION SELECT ip FROM reports_sourceservice WHERE domain = %s AND service_name ILIKE %s"""


def named_like(text: str, domain: str) -> tuple[str, list]:
    """SQL for the addresses whose reverse DNS name, network (AS123 or its name) or service contains
    `text`, and its parameters."""
    number = text.upper().removeprefix("AS")
    asn = int(number) if number.isdigit() and len(number) <= 10 else -1
    like = like_pattern(text)
    return _NAMED_LIKE, [like, like, asn, domain, like]


def own_services() -> list:
    """The operator's services as catalogue services, by name."""
    return [as_service(row) for row in OperatorService.objects.order_by("name")]


def known_services() -> Catalogue:
    """The catalogue to name sources from: the operator's services first, then the built-in ones."""
    return builtin().with_own(own_services())
