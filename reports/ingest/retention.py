"""Purging reports older than the retention period, the same way any deletion goes.

Each batch is its own transaction: the rollup rows a batch touches are locked
only until it commits, so imports wait at most one batch, and pages (which only
read) never wait. A batch is a few reports, or one big one: its size is bounded
by the records it deletes, not by the number of reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from reports.ingest.models import Report
from reports.ingest.store import remove_reports
from reports.tlsrpt.store import purge_older_than as purge_tls

BATCH_REPORTS = 50
BATCH_RECORDS = 200_000


@dataclass
class Purged:
    cutoff: str
    reports: int = 0
    records: int = 0
    batches: int = 0
    tls_reports: int = 0

    def as_json(self) -> dict:
        return {
            "cutoff": self.cutoff,
            "tls_reports": self.tls_reports,
            "reports": self.reports,
            "records": self.records,
            "batches": self.batches,
        }


def batches(reports: list[tuple[int, int]]) -> list[list[int]]:
    """Group (id, record_count) pairs into batches of at most BATCH_REPORTS reports and,
    unless one report alone has more, BATCH_RECORDS records."""
    out, batch, records = [], [], 0
    for pk, count in reports:
        if batch and (len(batch) >= BATCH_REPORTS or records + count > BATCH_RECORDS):
            out.append(batch)
            batch, records = [], 0
        batch.append(pk)
        records += count
    if batch:
        out.append(batch)
    return out


def purge_older_than(days: int, now=None) -> Purged:
    """Delete the reports whose period ended more than `days` days ago."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = Purged(cutoff=cutoff.isoformat())
    old = Report.objects.filter(end__lt=cutoff).order_by("id")
    # SMTP TLS reports go by the same period; they have no rollups, so a plain delete in batches.
    purged.tls_reports = purge_tls(cutoff)
    while True:
        # One page of ids at a time: the list of old reports may be long.
        page = list(old.values_list("id", "record_count")[:5000])
        if not page:
            return purged
        for batch in batches(page):
            removed = remove_reports(batch)
            purged.reports += removed.reports
            purged.records += removed.records
            purged.batches += 1
