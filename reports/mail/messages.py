"""The message state machine: a recorded message (new) is claimed, ingested
and marked ingested or failed in one transaction; a failed one can be retried
from its stored bytes.

    new --ingest--> ingested --file--> (moved to the processed folder)
        \\-------> failed   --file--> (moved to the failed folder) --retry--> new
    any unfiled row of an old UIDVALIDITY --> superseded
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, connection, transaction

from reports.ingest.errors import VerificationDeferred
from reports.ingest.pipeline import Outcome, ingest_bytes
from reports.mail.models import Mailbox, MailMessage
from reports.mail.retention import drop_old_failed_bytes
from reports.mail.status import counts, update_mailbox

log = logging.getLogger(__name__)

_GOOD = ("imported", "duplicate")


@dataclass
class Ingested:
    message: MailMessage
    outcomes: list[Outcome]


# The ingest path runs once per message on every worker: plain SQL, because
# the ORM's query building cost more than the queries themselves here.
_CLAIM = """
    SELECT m.id, m.mailbox_id, b.name, m.folder, m.uidvalidity, m.uid, m.subject, m.raw
    FROM reports_mailmessage m JOIN reports_mailbox b ON b.id = m.mailbox_id
    WHERE m.id = %s AND m.state = 'new'
    FOR UPDATE OF m SKIP LOCKED
"""
_SET_STATE = """
    UPDATE reports_mailmessage SET state = %s, error = %s, outcomes = %s::jsonb, updated = now() WHERE id = %s
"""


def ingest_message(message_id: int) -> Ingested | None:
    """Ingest one recorded message. Returns None when there is nothing to do:
    it is gone, already ingested, or another process is on it right now.

    The message's new state commits in the same transaction as its reports, and
    the row lock taken first keeps a second worker off it; if the worker dies,
    both go with its connection. Database errors propagate (the caller retries);
    anything else wrong with the message is stored on it as its error."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_CLAIM, [message_id])
        row = cur.fetchone()
        if row is None:
            return None
        pk, mailbox_id, mailbox_name, folder, uidvalidity, uid, subject, raw = row
        msg = MailMessage(
            pk=pk, mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity, uid=uid, subject=subject
        )
        origin = message_origin(msg, mailbox_name)
        try:
            with transaction.atomic():
                outcomes = ingest_bytes(bytes(raw), origin, defer_on_dns_failure=True)
        except (OperationalError, InterfaceError, VerificationDeferred):
            raise  # the message stays new and is tried again: nothing about it is wrong
        except Exception as e:  # noqa: BLE001 - a bug must fail this message, not the whole mailbox
            log.exception("Mailbox %s: message %s could not be ingested", mailbox_name, uid)
            outcomes = [Outcome(origin, None, "rejected", error=f"Internal error while ingesting: {e}")]
        good = [o for o in outcomes if o.status in _GOOD]
        errors = [f"{o.member}: {o.error}" if o.member else o.error for o in outcomes if o.error]
        msg.outcomes = [o.as_json() for o in outcomes]
        msg.state = MailMessage.INGESTED if good else MailMessage.FAILED
        msg.error = "\n".join(errors) if errors or good else "The message holds no DMARC report."
        cur.execute(_SET_STATE, [msg.state, msg.error, json.dumps(msg.outcomes), pk])
    if not good:
        log.info("Mailbox %s: message %s failed: %s", mailbox_name, uid, msg.error)
        drop_old_failed_bytes()
    return Ingested(msg, outcomes)


def retry_message(message_id: int) -> Ingested | None:
    """Ingest a failed message again from its stored bytes (after a parser fix,
    say). If it now yields a report, the next poll moves it from the failed
    folder to the processed one."""
    # A message too big to keep has no bytes to retry.
    failed = MailMessage.objects.filter(pk=message_id, state=MailMessage.FAILED).exclude(raw=b"")
    changed = failed.update(state=MailMessage.NEW, error="")
    if not changed:
        return None
    done = ingest_message(message_id)
    if done is not None:
        mailbox = Mailbox.objects.get(pk=done.message.mailbox_id)
        update_mailbox(mailbox, **counts(mailbox))
    return done


def nothing_left_to_ingest(mailbox_id: int) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM reports_mailmessage WHERE mailbox_id = %s AND state = 'new')",
            [mailbox_id],
        )
        return cur.fetchone()[0]


def message_origin(msg: MailMessage, mailbox_name: str) -> str:
    # An IMAP URL (RFC 5092) names the message wherever its reports are shown.
    return f"imap://{mailbox_name}/{msg.folder};UIDVALIDITY={msg.uidvalidity}/;UID={msg.uid}"
