"""Celery tasks of the alerts: thin wrappers around reports.alerts.evaluate, delivery and digest.

Beat evaluates every domain every DMARC_ALERT_INTERVAL seconds, retries due
deliveries every minute and looks each hour whether the weekly digest is due;
an assessment after an import queues an evaluation of its domain (reports.alerts.receivers).
"""

from __future__ import annotations

import logging

from django.utils import timezone

from dmarcapp.celery import app
from reports.alerts import delivery, digest, evaluate

log = logging.getLogger(__name__)


@app.task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def evaluate_alerts(domains: list[str] | None = None):
    outcomes = evaluate.run(domains)
    if outcomes:
        log.info("alerts: %d transitions (%s)", len(outcomes), ", ".join(o.key for o in outcomes[:10]))


@app.task(ignore_result=True, soft_time_limit=600, time_limit=660)
def send_alert_deliveries():
    sent, failed = delivery.send_due()
    if sent or failed:
        log.info("alerts: %d messages sent, %d failed", sent, failed)


@app.task(ignore_result=True, soft_time_limit=3000, time_limit=3300)
def send_weekly_digests():
    # Every hour: the delivery key (user and digest day) makes all but the first run after the
    # scheduled hour a no-op, and a beat that was down at that hour still sends the week's digest.
    digest.run(digest.last_digest_day(timezone.now()))
