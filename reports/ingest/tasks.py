"""Celery tasks of ingestion: uploads saved by the upload form, and purging old reports."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from dmarcapp.celery import app
from reports.ingest import uploads
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


def _stopped_message() -> str:
    return (
        f"Ingestion took longer than {settings.DMARC_INGEST_SOFT_TIME_LIMIT} seconds and was stopped"
        " (DMARC_INGEST_SOFT_TIME_LIMIT); the reports listed were stored, the file is kept."
    )


@app.task(
    bind=True,
    acks_late=True,
    soft_time_limit=settings.DMARC_INGEST_SOFT_TIME_LIMIT,
    time_limit=settings.DMARC_INGEST_TIME_LIMIT,
    max_retries=10,
    retry_backoff=settings.DMARC_RETRY_BACKOFF,
    retry_backoff_max=600,
    retry_jitter=True,
)
def ingest_upload(self, upload_id: int):
    """Ingest an uploaded file saved by the upload form."""
    try:
        uploads.ingest_upload(upload_id)
    except SoftTimeLimitExceeded:
        uploads.stopped(upload_id, _stopped_message())
    except (OperationalError, InterfaceError) as e:
        # The database went away: nothing is lost, the bytes wait in the row for the retry.
        try:
            uploads.requeue(upload_id)
        except (OperationalError, InterfaceError):
            pass  # still down; the claim takes a stale `working` row again after the hard limit
        raise self.retry(exc=e) from None


@app.task(ignore_result=True)
def queue_waiting_uploads():
    """Beat runs this every few minutes: an upload saved while the broker was down still gets ingested."""
    for pk in uploads.waiting():
        queue_upload(pk)


def queue_upload(pk: int) -> None:
    """Send ingest_upload with the limits of these settings: the limits a message carries win
    over the worker's own, and the task's defaults were read when this module was imported."""
    ingest_upload.apply_async(
        (pk,),
        soft_time_limit=settings.DMARC_INGEST_SOFT_TIME_LIMIT,
        time_limit=settings.DMARC_INGEST_TIME_LIMIT,
    )
