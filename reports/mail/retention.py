"""Forgetting the raw bytes of filed mail, and of failed mail past its cap."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from reports.mail.models import MailMessage


def forget_raw_mail(days: int) -> int:
    """Drop the raw bytes of messages that were filed more than `days` ago.

    Once a message is ingested and filed, its reports hold their own original
    bytes (Report.original, which `reprocess` reads), so the raw message only
    grows the database. Failed messages keep theirs for a retry after a fix,
    within DMARC_MAX_FAILED_MAIL_BYTES (drop_old_failed_bytes).
    Returns how many messages were emptied; days <= 0 keeps everything.
    """
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    done = MailMessage.objects.exclude(raw=b"")
    # A superseded row was seen again under the new UIDVALIDITY, bytes and all.
    return done.filter(
        Q(state=MailMessage.INGESTED, filed_at__lt=cutoff)
        | Q(state=MailMessage.SUPERSEDED, updated__lt=cutoff)
    ).update(raw=b"")


def drop_old_failed_bytes() -> int:
    """Drop the raw bytes of the oldest failed messages past DMARC_MAX_FAILED_MAIL_BYTES in all, as
    rejected inputs are past DMARC_MAX_REJECTED_BYTES: anyone can mail the rua address, and failed
    mail would otherwise grow the database without bound. Returns how many lost theirs."""
    with connection.cursor() as cur:
        # octet_length() of a bytea reads its stored size, not the bytes.
        cur.execute(
            """
            UPDATE reports_mailmessage SET raw = ''::bytea WHERE id IN (
                SELECT id FROM (
                    SELECT id, sum(octet_length(raw)) OVER (ORDER BY created DESC, id DESC) AS kept
                    FROM reports_mailmessage WHERE state = 'failed' AND octet_length(raw) > 0
                ) newest_first WHERE kept > %s
            )
            """,
            [settings.DMARC_MAX_FAILED_MAIL_BYTES],
        )
        return cur.rowcount


def failed_without_bytes() -> int:
    """Failed messages that cannot be retried: too big to keep, or past the cap."""
    return MailMessage.objects.filter(state=MailMessage.FAILED, raw=b"").count()
