"""Celery tasks of the rollout assistant: reverse DNS and the DNS inspector, off the request path.

Pages never resolve names: they read ReverseDns and DnsCache. These tasks fill
them on a schedule (dmarcapp/celery.py), so that an import never waits on DNS
or on the broker.
"""

from __future__ import annotations

import logging

from dmarcapp.celery import app
from reports.rollout import dnscheck

log = logging.getLogger(__name__)


@app.task(ignore_result=True, soft_time_limit=600, time_limit=660)
def resolve_reverse_dns(ips: list[str] | None = None, days: int = 30, limit: int = 2000, domain: str = ""):
    """Resolve PTR names for `ips`, or for recent sources without a fresh cache entry."""
    ips = ips or dnscheck.stale_sources(days=days, limit=limit, domain=domain or None)
    done = dnscheck.refresh_reverse_dns(ips)
    if done:
        log.info("reverse DNS: resolved %d sources", done)
    return done


@app.task(ignore_result=True, soft_time_limit=120, time_limit=150)
def refresh_domain_dns(domain: str):
    """Fetch the domain's DMARC, SPF and DKIM records again (the readiness page's Refresh button)."""
    from reports.demo.scenarios import is_demo
    from reports.rollout.readiness import assess

    assess(domain, refresh_dns=not is_demo(domain))


@app.task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def refresh_readiness():
    """Recompute the rollout summaries the overview shows (beat runs it periodically)."""
    from reports.rollout.readiness import refresh_summaries

    refresh_summaries()
