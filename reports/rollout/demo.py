"""The demo domains have no real DNS behind them: their DNS answers, reverse DNS names and networks
are put in the caches (`manage.py demo`), and a refresh of a demo domain puts them there again instead
of asking the DNS."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from reports.demo.scenarios import DEMO_ORIGIN, NETWORKS, NOT_READY, READY, REVERSE_DNS, demo_dns
from reports.ingest.models import Report
from reports.rollout.models import DnsCache
from reports.sources.models import ReverseDns, SourceNetwork


def is_demo(domain: str) -> bool:
    """A demo domain whose every report came from `manage.py demo`: it has no live DNS to refresh."""
    if domain not in (READY, NOT_READY):
        return False
    reports = Report.objects.filter(domain=domain)
    return reports.exists() and not reports.exclude(origin__startswith=DEMO_ORIGIN).exists()


def install_demo_dns(years: int = 10) -> None:
    """Put the demo domains' DNS answers and reverse DNS names in the caches (no network needed).

    They are stored as if just fetched, valid for `years`: the demo has no real DNS behind it,
    so a refresh of a demo domain (is_demo) installs them again instead of asking the DNS.
    """
    now = timezone.now()
    expires = now + timedelta(days=365 * years)
    for (name, rdtype), texts in demo_dns().items():
        DnsCache.objects.update_or_create(
            name=name,
            rdtype=rdtype,
            defaults={"answer": texts, "error": "", "fetched": now, "expires": expires},
        )
    for ip, hostname in REVERSE_DNS.items():
        ReverseDns.objects.update_or_create(
            ip=ip,
            defaults={
                "hostname": hostname,
                "confirmed": True,
                "error": "",
                "fetched": now,
                "expires": expires,
            },
        )
    for ip in REVERSE_DNS:
        for prefix, (asn, as_name, country) in NETWORKS.items():
            if ip.startswith(prefix):
                SourceNetwork.objects.update_or_create(
                    ip=ip,
                    defaults={"asn": asn, "as_name": as_name, "country": country, "error": "", "fetched": now,
                              "expires": expires},
                )  # fmt: skip
