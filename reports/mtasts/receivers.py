"""A domain's first TLS reports queue the first check of its records: its TLS page then shows them."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerError

from reports.shared import events

log = logging.getLogger(__name__)


def on_tls_reports(sender, domains, **kwargs) -> None:
    from reports.mtasts.models import MtaStsCheck
    from reports.mtasts.tasks import check_domain

    checked = set(MtaStsCheck.objects.filter(domain__in=domains).values_list("domain", flat=True))
    for domain in sorted(set(domains) - checked):
        try:
            check_domain.delay(domain)
        except BrokerError as e:
            log.warning("cannot queue the MTA-STS check of %s: %s", domain, e)


def connect() -> None:
    events.tls_reports_changed.connect(on_tls_reports, dispatch_uid="mtasts.tls_reports")
