"""What ingestion keeps of what it does not store: foreign domains counted, rejected bytes once."""

from __future__ import annotations

import gzip
import hashlib

from django.conf import settings
from django.db import connection

from reports.ingest.models import Rejection
from reports.ingest.outcome import Outcome


def count_foreign(domain: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO reports_foreignreport (domain, reports, last_seen) VALUES (%s, 1, now())"
            " ON CONFLICT (domain) DO UPDATE SET reports = reports_foreignreport.reports + 1,"
            " last_seen = now()",
            [domain],
        )


def keep_rejection(outcome: Outcome, data: bytes | None) -> None:
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    if data is not None and not looks_gzipped(data):
        data = gzip.compress(data, 1, mtime=0)
    # The same bytes are kept once: a flood of one forged input writes one row.
    Rejection.objects.bulk_create(
        [
            Rejection(
                origin=outcome.origin[:512],
                member=(outcome.member or "")[:512],
                status=outcome.status,
                error=outcome.error,
                original=data,
                sha256=sha,
                size=len(data) if data is not None else 0,
            )
        ],
        ignore_conflicts=True,
    )


def drop_old_rejected_bytes() -> int:
    """Drop the bytes of the oldest rejections past DMARC_MAX_REJECTED_BYTES in all; how many."""
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE reports_rejection SET original = NULL, size = 0 WHERE id IN (
                SELECT id FROM (
                    SELECT id, sum(size) OVER (ORDER BY created DESC, id DESC) AS kept
                    FROM reports_rejection WHERE size > 0
                ) newest_first WHERE kept > %s
            )
            """,
            [settings.DMARC_MAX_REJECTED_BYTES],
        )
        return cur.rowcount


def looks_gzipped(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"
