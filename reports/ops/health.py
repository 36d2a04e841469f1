"""The checks behind /readyz: PostgreSQL, Redis, a worker's heartbeat, beat's last task, and each
enabled mailbox's last successful poll. Each reads; none writes."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from reports.mail.models import Mailbox
from reports.ops import heartbeat
from reports.ops.rules import Check, Readiness, fresh


def readiness() -> Readiness:
    result = Readiness()
    result.checks.append(_database())
    result.checks.extend(_redis())
    if result.checks[0].ok:
        result.checks.append(_mailboxes())
    else:
        result.checks.append(Check("mailboxes", False, "unknown: the database is down"))
    return result


def _database() -> Check:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return Check("database", True, "PostgreSQL answers")
    except DatabaseError as e:
        return Check("database", False, f"PostgreSQL does not answer: {e}")


def _redis() -> list[Check]:
    try:
        r = heartbeat.client()
        r.ping()
        workers, last_beat = heartbeat.read(r)
    except redis.RedisError as e:
        why = f"unknown: Redis does not answer ({e})"
        return [Check("redis", False, why), Check("worker", False, why), Check("beat", False, why)]
    now = time.time()
    newest = max(workers.values(), default=None)
    return [
        Check("redis", True, "Redis answers"),
        fresh("worker", newest, now, settings.DMARC_WORKER_STALE_SECONDS, "worker heartbeat"),
        fresh("beat", last_beat, now, settings.DMARC_BEAT_STALE_SECONDS, "task sent by beat"),
    ]


def _mailboxes() -> Check:
    """Every enabled mailbox polled successfully within DMARC_FRESH_POLL_HOURS (as readiness asks)."""
    limit = settings.DMARC_FRESH_POLL_HOURS * 3600
    now = timezone.now()
    stale = []
    for name, last_success in Mailbox.objects.filter(enabled=True).values_list("name", "last_success"):
        check = fresh("mailboxes", last_success, now, limit, "successful poll")
        if not check.ok:
            stale.append(f"{name}: {check.detail}")
    if stale:
        return Check("mailboxes", False, "; ".join(stale))
    return Check("mailboxes", True, "every enabled mailbox was polled lately")
