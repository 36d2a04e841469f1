"""Celery tasks of MTA-STS: the checks of each domain's records (DNS and HTTPS), off the request path.

Beat runs check_all every DMARC_MTA_STS_INTERVAL seconds; a domain's first TLS report queues its
first check (receivers.py); `manage.py rollout DOMAIN --mta-sts --refresh-dns` checks inline.
"""

from __future__ import annotations

import logging

from dmarcapp.celery import app
from reports.mtasts import checks
from reports.tlsrpt.models import TlsPolicyResult

log = logging.getLogger(__name__)


@app.task(ignore_result=True, soft_time_limit=600, time_limit=660)
def check_domain(domain: str) -> str:
    return checks.run(domain).mode


@app.task(ignore_result=True, soft_time_limit=3000, time_limit=3300)
def check_all() -> int:
    """Every domain with TLS reports: the ones whose operators are rolling MTA-STS out."""
    domains = list(TlsPolicyResult.objects.values_list("domain", flat=True).distinct().order_by("domain"))
    for domain in domains:
        try:
            checks.run(domain)
        except Exception:  # noqa: BLE001 - one domain's broken DNS must not stop the others' checks
            log.exception("MTA-STS check of %s failed", domain)
    return len(domains)
