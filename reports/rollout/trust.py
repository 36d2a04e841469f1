"""Which reports the readiness evidence counts, and how much of it comes from verified reporters.

With DMARC_REQUIRE_VERIFIED_REPORTS=true only trusted reports count: those whose
reporter's DKIM signature verified, and files a signed-in user uploaded
(Report.trusted). Anyone can mail a rua address figures that would make a
domain look ready for p=reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from reports.ingest.models import Report
from reports.shared.dates import DateRange


def required() -> bool:
    return settings.DMARC_REQUIRE_VERIFIED_REPORTS


def records_filter(alias: str = "r") -> str:
    """SQL to AND onto a query of records (alias `alias`): only trusted reports' records, when required."""
    if not required():
        return ""
    return f"AND EXISTS (SELECT 1 FROM reports_report t WHERE t.id = {alias}.report_id AND t.trusted)"


def coverage(domain: str, start: date, end: date) -> dict:
    """Reporters and days with trusted reports in the window (ReporterDay counts every report)."""
    lo, hi = DateRange(start, end).moments()
    return Report.objects.filter(domain=domain, begin__gte=lo, begin__lt=hi, trusted=True).aggregate(
        reporters=Count("org_name", distinct=True), days=Count(TruncDate("begin"), distinct=True)
    )


@dataclass(frozen=True)
class Share:
    verified: int  # messages in reports of a verified reporter
    total: int
    required: bool

    @property
    def pct(self) -> float | None:
        return 100.0 * self.verified / self.total if self.total else None


def verified_share(domain: str, start: date, end: date) -> Share:
    """The window's messages, and those from verified reporters (reports' own totals: one row each)."""
    lo, hi = DateRange(start, end).moments()
    sums = Report.objects.filter(domain=domain, begin__gte=lo, begin__lt=hi).aggregate(
        total=Sum("message_count"), verified=Sum("message_count", filter=Q(reporter_verified=True))
    )
    return Share(sums["verified"] or 0, sums["total"] or 0, required())
