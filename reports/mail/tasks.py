"""Celery tasks: thin wrappers around the modules of reports.mail.

Beat runs poll_all_mailboxes every DMARC_POLL_INTERVAL seconds; it queues one
poll_mailbox per enabled mailbox. A poll records the new messages and queues an
ingest_message for each, handing over the row id. The ingest that leaves no
message of its mailbox waiting queues one more poll, which moves the ingested
messages out of the folder and picks up whatever arrived meanwhile.
"""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from dmarcapp.celery import app
from reports.ingest.errors import VerificationDeferred
from reports.mail import check, config, messages, poll, retention
from reports.mail.errors import MailboxBusy, MailboxError, TransientError
from reports.mail.models import Mailbox, MailMessage

log = logging.getLogger(__name__)

_RETRY = {
    "retry_backoff": settings.DMARC_RETRY_BACKOFF,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


@app.task
def poll_all_mailboxes():
    interval = settings.DMARC_POLL_INTERVAL
    for mailbox in config.enabled_mailboxes():
        poll_mailbox.apply_async((mailbox.pk,), expires=max(1, interval - min(30, interval // 10)))


@app.task(bind=True, acks_late=True, autoretry_for=(TransientError,), max_retries=5, **_RETRY)
def poll_mailbox(self, mailbox_id, follow_up=False):
    mailbox = Mailbox.objects.filter(pk=mailbox_id, enabled=True).first()
    if mailbox is None:
        return
    try:
        poll.poll(mailbox, enqueue=_queue_ingests)
    except MailboxBusy:
        if not follow_up:
            log.info("Mailbox %s: another poll is running; skipping this one", mailbox.name)
            return
        # Messages ingested while that poll was filing would otherwise wait for
        # the next scheduled poll.
        raise self.retry(countdown=5, max_retries=30) from None
    except MailboxError:
        return  # stored on the mailbox; the next scheduled poll tries again


def _queue_ingests(message_ids):
    # One producer for the whole batch: acquiring one per message cost more than the send.
    with app.producer_or_acquire() as producer:
        for pk in message_ids:
            ingest_message.apply_async((pk,), producer=producer)


# A DNS failure while a reporter's DKIM key is looked up is retried like a database outage.
@app.task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, VerificationDeferred),
    max_retries=10,
    soft_time_limit=settings.DMARC_INGEST_SOFT_TIME_LIMIT,
    time_limit=settings.DMARC_INGEST_TIME_LIMIT,
    **_RETRY,
)
def ingest_message(message_id):
    try:
        done = messages.ingest_message(message_id)
    except SoftTimeLimitExceeded:
        # Left `new`, every poll would hand it out again, and it would be stopped again.
        limit = settings.DMARC_INGEST_SOFT_TIME_LIMIT
        MailMessage.objects.filter(pk=message_id, state=MailMessage.NEW).update(
            state=MailMessage.FAILED, error=f"Ingestion took longer than {limit} seconds and was stopped."
        )
        return
    if done is not None and messages.nothing_left_to_ingest(done.message.mailbox_id):
        poll_mailbox.delay(done.message.mailbox_id, follow_up=True)


@app.task
def forget_raw_mail():
    emptied = retention.forget_raw_mail(settings.DMARC_KEEP_RAW_MAIL_DAYS)
    if emptied:
        log.info("Dropped the raw bytes of %s filed messages", emptied)
    dropped = retention.drop_old_failed_bytes()
    if dropped:
        log.info("Dropped the raw bytes of %s failed messages past DMARC_MAX_FAILED_MAIL_BYTES", dropped)
    return emptied + dropped


@app.task
def check_mailbox(mailbox_id):
    """The admin's "Test connection": the outcome is stored on the mailbox."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is not None:
        return check.check(mailbox).as_json()
