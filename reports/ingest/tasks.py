"""Celery tasks of ingestion: purging old reports (and, below, uploads)."""

from __future__ import annotations

import logging

from django.conf import settings

from dmarcapp.celery import app
from reports.ingest.retention import purge_older_than

log = logging.getLogger(__name__)


@app.task(ignore_result=True)
def purge_old_reports():
    """Beat runs this daily; it does nothing unless DMARC_RETENTION_DAYS is set."""
    days = settings.DMARC_RETENTION_DAYS
    if not days:
        return None
    purged = purge_older_than(days)
    if purged.reports:
        log.info("Purged %d reports (%d records) older than %d days", purged.reports, purged.records, days)
    return purged.reports
