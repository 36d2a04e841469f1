"""The domains list page: one row per monitored domain, read from rollups and stored verdicts only.

Every figure here is already computed (DomainDay sums, the readiness summary kept
by the Celery task, each mailbox's last poll), so the page costs a few small
queries whatever the number of records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from reports.freshness import queries as freshness
from reports.freshness import rules
from reports.ingest.models import Report
from reports.mtasts import queries as mtasts
from reports.rollout import queries as rollout
from reports.rollups import queries as rollups
from reports.rollups.models import DomainDay
from reports.shared.counts import FIELDS, Counts
from reports.shared.dates import WINDOW_DAYS
from reports.shared.names import domain_name
from reports.tlsrpt import queries as tlsrpt

PERIOD_DAYS = WINDOW_DAYS


@dataclass
class DomainRow:
    name: str
    verdict: dict | None = None  # the stored readiness summary; None until the task has assessed it
    current: Counts = field(default_factory=Counts)
    previous: Counts = field(default_factory=Counts)
    last_end: datetime | None = None
    last_received: datetime | None = None
    fresh: rules.Finding | None = None
    mailboxes: list[rules.MailboxHealth] = field(default_factory=list)
    reported_policy: str = ""  # p= of the newest report, shown until the verdict is computed
    tls: tlsrpt.Sessions | None = None  # TLS sessions over the period, from SMTP TLS reports
    mta_sts: tuple[str, str] | None = None  # (stage, "checked" or "reported")

    @property
    def pass_pct(self) -> float | None:
        return self.current.dmarc_pct

    @property
    def change(self) -> float | None:
        """Change of the DMARC pass rate from the previous period, in percentage points."""
        if self.current.dmarc_pct is None or self.previous.dmarc_pct is None:
            return None
        return self.current.dmarc_pct - self.previous.dmarc_pct

    @property
    def first_blocker(self) -> str:
        blocking = (self.verdict or {}).get("blocking") or []
        return blocking[0] if blocking else ""

    @property
    def has_readiness_page(self) -> bool:
        # A name stored before names were validated has data, but no readiness URL.
        return domain_name(self.name) == self.name


def stored_verdicts(domains: list[str]) -> dict[str, dict]:
    """The readiness summaries the Celery tasks keep; a page never assesses a domain itself."""
    found = {d: rollout.summary(d) for d in domains}
    return {d: v for d, v in found.items() if v is not None}


def _counts(domains: list[str], start: date, end: date) -> dict[str, Counts]:
    fields = FIELDS
    rows = (
        DomainDay.objects.filter(domain__in=domains, day__range=(start, end))
        .values("domain")
        .annotate(**{f: Sum(f) for f in fields})
    )
    return {r["domain"]: Counts(**{f: r[f] for f in fields}) for r in rows}


# Mailboxes that delivered each domain's reports lately, from the IMAP URL each report keeps as its origin.
MAILBOXES_SQL = """
SELECT DISTINCT domain, split_part(substr(origin, 8), '/', 1) FROM reports_report
WHERE origin LIKE 'imap://%%' AND created >= %s AND domain = ANY(%s)
"""


def _mailboxes_by_domain(domains: list[str], since: datetime) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with connection.cursor() as cur:
        cur.execute(MAILBOXES_SQL, [since, domains])
        for domain, mailbox in cur.fetchall():
            out.setdefault(domain, set()).add(mailbox)
    return out


def _reported_policies(domains: list[str]) -> dict[str, str]:
    # One row per domain from the (domain, -begin) index.
    rows = (
        Report.objects.filter(domain__in=domains)
        .order_by("domain", "-begin")
        .distinct("domain")
        .values_list("domain", "p")
    )
    return dict(rows)


def domain_rows(visible: list[str] | None, today: date | None = None) -> list[DomainRow]:
    now = timezone.now()
    today = today or now.date()
    names = rollups.monitored(visible)
    start = today - timedelta(days=PERIOD_DAYS - 1)
    current = _counts(names, start, today)
    previous = _counts(names, start - timedelta(days=PERIOD_DAYS), start - timedelta(days=1))
    verdicts = stored_verdicts(names)
    last = freshness.last_reports()
    health = {h.name: h for h in freshness.mailbox_health(now)}
    delivered_by = _mailboxes_by_domain(names, now - timedelta(days=PERIOD_DAYS))
    policies = _reported_policies(names)
    tls = tlsrpt.rates(names, start, today)
    stages = mtasts.stages(names)
    rows = []
    for name in names:
        end, received = last.get(name, (None, None))
        rows.append(
            DomainRow(
                name,
                verdict=verdicts.get(name),
                current=current.get(name, Counts()),
                previous=previous.get(name, Counts()),
                last_end=end,
                last_received=received,
                fresh=rules.report_check(name, end, now, settings.DMARC_FRESH_REPORT_DAYS),
                mailboxes=[health[m] for m in sorted(delivered_by.get(name, ())) if m in health],
                reported_policy=policies.get(name, ""),
                tls=tls.get(name),
                mta_sts=stages.get(name),
            )
        )
    return rows
