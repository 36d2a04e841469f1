"""Which domains: those monitored, those with data, and what the rollups know of them. Every page and the
alerts ask here."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, Min, Sum

from reports.access.queries import visible_among
from reports.domains.models import Domain
from reports.rollups.models import DailyRollup, DomainDay
from reports.shared.names import is_domain_name


def monitored(visible: list[str] | None = None, since: date | None = None) -> list[str]:
    """Domains set up for monitoring and domains with data (since `since`, or ever), limited to those
    the user may see (`visible`, None for all)."""
    with_data = DomainDay.objects.filter(day__gte=since) if since else DomainDay.objects.all()
    names = set(Domain.objects.values_list("name", flat=True))
    names |= set(with_data.values_list("domain", flat=True).distinct())
    if visible is not None:
        names &= set(visible)
    return sorted(names)


def has_several(visible: list[str] | None) -> bool:
    """More than one domain to show: the home page is then the domains list."""
    return len(monitored(visible)) > 1


def with_data() -> list[str]:
    """Policy domains with data, the busiest first."""
    rows = DomainDay.objects.values("domain").annotate(n=Sum("messages")).order_by("-n", "domain")
    # Defence in depth: a name stored before names were validated would break every link to it.
    return [r["domain"] for r in rows if is_domain_name(r["domain"])]


def domain_of_source(ip: str, visible: list[str] | None = None) -> str | None:
    """The busiest domain with data from this source, or None (one index probe per domain)."""
    for domain in with_data():
        if visible is not None and domain not in visible:
            continue
        if DailyRollup.objects.filter(domain=domain, source_ip=ip).exists():
            return domain
    return None


def data_span(domain: str) -> tuple[date | None, date | None]:
    span = DomainDay.objects.filter(domain=domain).aggregate(lo=Min("day"), hi=Max("day"))
    return span["lo"], span["hi"]


def visible_domains(user) -> list[str] | None:
    """The policy domains `user` may see, or None for all of them: those with data that a grant covers,
    and the granted domains themselves."""
    return visible_among(user, DomainDay.objects.values_list("domain", flat=True).distinct())
