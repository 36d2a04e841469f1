"""Send the deliveries that are due; a failure is retried with backoff, then marked failed.

A sender claims due rows with SKIP LOCKED and moves their next attempt past a
lease before sending, so two senders never send one message twice, and a
sender that dies mid-send leaves its rows to be tried again after the lease.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reports.alerts import channels
from reports.alerts.models import Delivery

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = 3600  # seconds
BATCH = 200


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF, settings.DMARC_RETRY_BACKOFF * 2 ** max(0, attempts - 1)))


def _claim(limit: int, ids=None) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.select_for_update(skip_locked=True).filter(
            state=Delivery.PENDING, next_attempt__lte=now
        )
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        claimed = list(rows.order_by("next_attempt", "pk")[:limit])
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(next_attempt=now + LEASE)
    return claimed


def send_due(limit: int = BATCH, ids=None) -> tuple[int, int]:
    """Send up to `limit` due deliveries (only `ids` if given); return (sent, failed)."""
    claimed = _claim(limit, ids)
    sent = failed = 0
    for d in claimed:
        try:
            if d.channel == Delivery.EMAIL:
                channels.email(d.target, d.subject, d.text, d.html, d.unsubscribe)
            else:
                channels.notify(d.target, d.subject, d.text)
        except channels.SendError as e:
            failed += 1
            _failed(d, str(e))
            continue
        sent += 1
        Delivery.objects.filter(pk=d.pk).update(
            state=Delivery.SENT, sent=timezone.now(), attempts=d.attempts + 1, last_error=""
        )
    return sent, failed


def _failed(d: Delivery, error: str) -> None:
    attempts = d.attempts + 1
    gave_up = attempts >= settings.DMARC_ALERT_MAX_ATTEMPTS
    log.warning("Delivery %s to %s failed (attempt %d): %s", d.pk, d.label, attempts, error)
    Delivery.objects.filter(pk=d.pk).update(
        attempts=attempts,
        last_error=error,
        state=Delivery.FAILED if gave_up else Delivery.PENDING,
        next_attempt=timezone.now() + backoff(attempts),
    )


def trouble(limit: int = 50):
    """Deliveries that failed or are being retried, for the status page."""
    return list(
        Delivery.objects.exclude(last_error="")
        .exclude(state=Delivery.SENT)
        .defer("text", "html", "target")
        .order_by("-created")[:limit]
    )
