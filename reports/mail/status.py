"""A mailbox's stored status (last poll, last error, counts), and what the
status page shows of every mailbox."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.db.models import Count, Q

from reports.mail.models import Mailbox, MailMessage

log = logging.getLogger(__name__)

FAILED_SHOWN = 50


def update_mailbox(mailbox: Mailbox, *, best_effort: bool = False, **fields) -> None:
    for name, value in fields.items():
        setattr(mailbox, name, value)
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    except DatabaseError:
        if not best_effort:
            raise
        log.warning("Mailbox %s: could not store its status: the database is unavailable", mailbox.name)


def counts(mailbox: Mailbox) -> dict:
    return MailMessage.objects.filter(mailbox=mailbox).aggregate(
        processed_count=Count("pk", filter=Q(state=MailMessage.INGESTED)),
        failed_count=Count("pk", filter=Q(state=MailMessage.FAILED)),
    )


def mailboxes_for_status_page(with_failed: bool = True) -> list[Mailbox]:
    """Every mailbox, with its newest failed messages (as `.failed`) if `with_failed`: their subjects
    and errors may name any domain, so only admins see them."""
    mailboxes = list(Mailbox.objects.order_by("name"))
    for mailbox in mailboxes:
        mailbox.failed = []
        if with_failed:
            failed = MailMessage.objects.filter(mailbox=mailbox, state=MailMessage.FAILED)
            mailbox.failed = list(failed.defer("raw", "outcomes").order_by("-created")[:FAILED_SHOWN])
    return mailboxes
