"""Reads what the freshness rules judge: the newest report per domain and reporter, and the mailboxes.

Reports are a few per domain, reporter and day, so these read the report table
(its domain index), never the records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from reports.freshness import rules
from reports.ingest.models import Report
from reports.mail.models import Mailbox

# Reporters listed per domain: those with a report within this many days.
REPORTER_LOOKBACK_DAYS = 90


@dataclass
class Freshness:
    domain: str
    now: datetime
    last_end: datetime | None  # newest report's period end, for the domain
    last_received: datetime | None
    reporters: list[rules.ReporterLast]
    mailboxes: list[rules.MailboxHealth]
    checks: list[rules.Finding] = field(default_factory=list)
    banners: list[str] = field(default_factory=list)
    silent: list[rules.ReporterLast] = field(default_factory=list)

    lookback_days: int = REPORTER_LOOKBACK_DAYS
    report_days: int = 0


def delivering_mailboxes(domain: str, since: datetime) -> set[str]:
    """Names of the mailboxes that delivered reports for `domain` since `since`, from each report's
    origin (imap://NAME/...)."""
    origins = (
        Report.objects.filter(domain=domain, created__gte=since, origin__startswith="imap://")
        .values_list("origin", flat=True)
        .distinct()
    )
    return {o[len("imap://") :].split("/", 1)[0] for o in origins}


def mailbox_health(now: datetime | None = None, names: set[str] | None = None) -> list[rules.MailboxHealth]:
    """Every mailbox's health, or only that of `names`."""
    now = now or timezone.now()
    boxes = Mailbox.objects.order_by("name")
    if names is not None:
        boxes = boxes.filter(name__in=names)
    return [
        rules.mailbox_health(
            rules.MailboxState(m.name, m.enabled, m.last_poll, m.last_success, m.last_error),
            now,
            settings.DMARC_FRESH_POLL_HOURS,
        )
        for m in boxes.only("name", "enabled", "last_poll", "last_success", "last_error")
    ]


def reporters(domain: str, now: datetime) -> list[rules.ReporterLast]:
    rows = (
        Report.objects.filter(domain=domain, begin__gte=now - timedelta(days=REPORTER_LOOKBACK_DAYS))
        .values("org_name")
        .annotate(last_end=Max("end"), received=Max("created"), n=Count("id"))
        .order_by("-last_end", "org_name")
    )
    return [rules.ReporterLast(r["org_name"], r["last_end"], r["received"], r["n"]) for r in rows]


def freshness(domain: str, now: datetime | None = None) -> Freshness:
    """The domain's newest reports, its reporters' and the mailboxes' state, judged by the rules."""
    now = now or timezone.now()
    last = Report.objects.filter(domain=domain).aggregate(end=Max("end"), received=Max("created"))
    # Only the mailboxes that deliver this domain's reports can hide its last days: another domain's
    # failing mailbox says nothing about this one.
    delivering = delivering_mailboxes(domain, now - timedelta(days=REPORTER_LOOKBACK_DAYS))
    boxes = mailbox_health(now, delivering)
    found = Freshness(domain, now, last["end"], last["received"], reporters(domain, now), boxes)
    days = found.report_days = settings.DMARC_FRESH_REPORT_DAYS
    found.checks = rules.checks(
        domain, found.last_end, found.mailboxes, now, days, settings.DMARC_FRESH_POLL_HOURS
    )
    found.silent = rules.silent_reporters(found.reporters, now, days)
    found.banners = rules.banners(domain, found.last_end, found.reporters, found.mailboxes, now, days)
    return found


def last_reports() -> dict[str, tuple[datetime, datetime]]:
    """{domain: (newest period end, newest import)} for every domain with reports."""
    rows = Report.objects.values("domain").annotate(end=Max("end"), received=Max("created"))
    return {r["domain"]: (r["end"], r["received"]) for r in rows}
