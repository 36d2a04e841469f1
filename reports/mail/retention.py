"""Forgetting the raw bytes of filed mail."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from reports.mail.models import MailMessage


def forget_raw_mail(days: int) -> int:
    """Drop the raw bytes of messages that were filed more than `days` ago.

    Once a message is ingested and filed, its reports hold their own original
    bytes (Report.original, which `reprocess` reads), so the raw message only
    grows the database. Failed messages keep theirs for a retry after a fix.
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
