"""When the alerts are evaluated besides beat's schedule: once a domain's readiness was assessed again
(after an import, a deletion or a mark), so that the evaluation reads the new assessment."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

from reports.shared import events
from reports.shared.dates import WINDOW_DAYS

log = logging.getLogger(__name__)

# Domains this process queued lately (monotonic time): a worker assessing a backlog asks neither the
# cache nor the broker once per assessment.
_queued: dict[str, float] = {}


def readiness_assessed(sender, domain, days, **kwargs) -> None:
    # The evaluation reads the default window's stored assessment; other windows change nothing it reads.
    if days == WINDOW_DAYS:
        queue_evaluation([domain])


def queue_evaluation(domains) -> None:
    # Imported when first needed: loading Celery at start-up would slow every command.
    from reports.alerts.tasks import evaluate_alerts

    domains = sorted({d for d in domains if d})
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
    except Exception:  # noqa: BLE001 (a broker outage must not fail an assessment; beat evaluates later)
        log.warning("Could not queue the alerts evaluation of %s", ", ".join(wanted), exc_info=True)


def connect() -> None:
    events.readiness_assessed.connect(readiness_assessed, dispatch_uid="alerts")
