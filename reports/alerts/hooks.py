"""The ingest pipeline's one call into the alerts: evaluate the domains an import touched, after commit."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

# Domains this process queued lately (monotonic time): a bulk import then asks neither the cache
# nor the broker once per file.
_queued: dict[str, float] = {}


def after_import(domains) -> None:
    domains = sorted({d for d in domains if d})
    if domains:
        transaction.on_commit(lambda: _queue(domains))


def _queue(domains: list[str]) -> None:
    from reports.alerts.tasks import evaluate_alerts

    delay = settings.DMARC_ALERT_AFTER_IMPORT_DELAY
    now = time.monotonic()
    # A mailbox backlog imports hundreds of reports of one domain in a minute: one evaluation follows.
    # The evaluation runs `delay` seconds after the first of them, so it sees every import before it.
    fresh = [d for d in domains if delay == 0 or now - _queued.get(d, -delay) >= delay]
    wanted = [d for d in fresh if delay == 0 or cache.add(f"alerts:queued:{d}", 1, timeout=delay)]
    for d in fresh:
        _queued[d] = now
    if not wanted:
        return
    try:
        evaluate_alerts.apply_async((wanted,), countdown=delay)
    except Exception:  # noqa: BLE001 (a broker outage must not fail an import; beat evaluates later)
        log.warning("Could not queue the alerts evaluation of %s", ", ".join(wanted), exc_info=True)
