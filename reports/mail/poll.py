"""One poll of a mailbox: at least once, stored once, never lost.

1. Take the mailbox's PostgreSQL advisory lock on a connection of its own, so
   that two polls of one mailbox never run at once, on any machine. A poll that
   cannot get it stops at once (MailboxBusy).
2. Log in (explicit socket timeouts, TLS verified against the system CAs or the
   mailbox's CA file), select the folder and read its UIDVALIDITY.
3. Finish what an earlier poll left behind: messages recorded but not ingested
   (a worker was killed, the database was down) are ingested again, and ingested
   ones still in the folder are moved.
4. UID SEARCH ALL, minus the UIDs already recorded for this folder and
   UIDVALIDITY, capped at DMARC_POLL_MAX_MESSAGES. Fetch those with BODY.PEEK[]
   in batches, and record each one (unique on mailbox, folder, uidvalidity,
   uid) with its raw bytes, committed before any work is done on it.
5. Ingest each recorded message: inline, or by a Celery task handed the row id.
   A message with at least one report goes to the processed folder; one with
   none, or only broken ones, to the failed folder with its error.
6. Move messages only after their state is committed: MOVE, or COPY, \\Deleted
   and UID EXPUNGE where the server lacks MOVE. A message an interrupted move
   already copied to its target (same Message-ID) is only taken out of the folder.

A MailboxError or TransientError (reports.mail.errors) is stored on the mailbox
and raised; neither moves any mail. Reports are unique in the database, so
doing a message twice stores its reports once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from reports.ingest.errors import VerificationDeferred
from reports.ingest.pipeline import Outcome
from reports.mail.client import (
    connect,
    delete,
    delimiter,
    disconnect,
    move,
    open_folder,
    scrub_mailbox,
    with_imap_errors,
)
from reports.mail.errors import MailboxError, TransientError
from reports.mail.headers import headers
from reports.mail.lock import mailbox_lock
from reports.mail.messages import Ingested, ingest_message, message_origin
from reports.mail.models import Mailbox, MailMessage
from reports.mail.status import counts, update_mailbox

log = logging.getLogger(__name__)

_MOVE_CHUNK = 500  # UIDs per MOVE command: keeps command lines short
_BATCH_BYTES = 32 * 1024 * 1024  # at most this much message data per FETCH


@dataclass
class PollResult:
    mailbox: str
    uidvalidity: int | None = None
    recorded: int = 0  # new messages recorded in this poll
    ingested: list[Ingested] = field(default_factory=list)  # inline ingests, in order
    queued: int = 0  # ingest tasks handed out
    processed: int = 0  # moved to the processed folder
    failed: int = 0  # moved to the failed folder
    remaining: int = 0  # new messages left for a later poll (the cap)


def poll(
    mailbox: Mailbox,
    *,
    enqueue: Callable[[list[int]], object] | None = None,
    on_ingested: Callable[[Ingested], object] | None = None,
) -> PollResult:
    """Poll one mailbox. With `enqueue`, hand the recorded messages' ids to it,
    a batch at a time (to queue a Celery task for each), instead of ingesting
    them inline; `on_ingested` sees each inline ingest as it happens."""
    result = PollResult(mailbox=mailbox.name)
    with mailbox_lock(mailbox.pk) as lock:
        try:
            update_mailbox(mailbox, last_poll=timezone.now())
            _poll_locked(mailbox, result, lock, enqueue, on_ingested)
        except (MailboxError, TransientError) as e:
            log.warning("Mailbox %s: poll failed: %s", mailbox.name, e)
            update_mailbox(mailbox, last_error=str(e), best_effort=True)
            raise
        except (OperationalError, InterfaceError) as e:
            error = TransientError(scrub_mailbox(f"The database is unavailable: {e}", mailbox))
            update_mailbox(mailbox, last_error=str(error), best_effort=True)
            raise error from None
        except Exception as e:
            # A bug: still say so on the status page, or polling could stop unseen.
            # The traceback can quote a secret as the exception does: scrubbed like it.
            log.error(
                "Mailbox %s: poll failed\n%s", mailbox.name, scrub_mailbox(traceback.format_exc(), mailbox)
            )
            update_mailbox(
                mailbox, last_error=scrub_mailbox(f"Internal error: {e}", mailbox), best_effort=True
            )
            raise
        update_mailbox(mailbox, last_success=timezone.now(), last_error="", **counts(mailbox))
    log.info(
        "Mailbox %s: %d new, %d processed, %d failed, %d left for the next poll",
        mailbox.name,
        result.recorded,
        result.processed,
        result.failed,
        result.remaining,
    )
    return result


def _poll_locked(mailbox, result, lock, enqueue, on_ingested) -> None:
    client = connect(mailbox)
    try:
        with_imap_errors(mailbox, _Poll(mailbox, client, result, lock, enqueue, on_ingested).run)
    finally:
        disconnect(client)


class _Poll:
    def __init__(self, mailbox, client, result, lock, enqueue, on_ingested):
        self.mailbox = mailbox
        self.client = client
        self.result = result
        self.lock = lock
        self.enqueue = enqueue
        self.on_ingested = on_ingested
        self.folders_ready: set[str] = set()
        self.delimiter: str | None = None

    def run(self) -> None:
        mb = self.mailbox
        self.uidvalidity = open_folder(self.client, self._server_name(mb.folder))
        self.result.uidvalidity = self.uidvalidity
        self._supersede_other_uidvalidities()
        self.in_folder = set(self.client.search("ALL"))
        self.rows = MailMessage.objects.filter(mailbox=mb, folder=mb.folder, uidvalidity=self.uidvalidity)
        known = dict(self.rows.values_list("uid", "filed_at"))

        # What an earlier poll left half done, before anything new.
        unfiled = {uid for uid, filed_at in known.items() if filed_at is None}
        self.left_behind = unfiled & self.in_folder
        gone = unfiled - self.in_folder
        if gone:
            # Moved by us just before a crash, or by someone else: either way not ours to move any more.
            log.info("Mailbox %s: %d recorded messages left the folder meanwhile", mb.name, len(gone))
            for chunk in _chunks(sorted(gone), _MOVE_CHUNK):
                self.rows.filter(uid__in=chunk, filed_at__isnull=True).update(filed_at=timezone.now())
        # Recorded means ours to ingest, even if it has left the folder since: the bytes are here.
        left_new = MailMessage.objects.filter(mailbox=mb, state=MailMessage.NEW).order_by("pk")
        if self.enqueue is not None:
            # Those handed out lately are most likely still queued; hand out again
            # only what an interval has not seen done (its task died with a worker).
            since = timezone.now() - timedelta(seconds=settings.DMARC_POLL_INTERVAL)
            left_new = left_new.filter(created__lt=since)
        self._ingest(list(left_new.values_list("pk", flat=True)))
        self._file()

        new = sorted(self.in_folder - known.keys())
        cap = settings.DMARC_POLL_MAX_MESSAGES
        self.result.remaining = max(0, len(new) - cap)
        for batch in self._batches(new[:cap]):
            self.lock.check()
            ids = self._record(batch)
            self._ingest(ids)
            if self.enqueue is None:
                # File as we go: a poll cut short keeps what it finished.
                self._file()
        self._file()
        self._refile_retried()

    def _supersede_other_uidvalidities(self) -> None:
        # A new UIDVALIDITY means old UIDs name nothing (the folder was
        # recreated): what was never filed is still in the folder under a new
        # UID, and is fetched again. Its reports are known, so nothing doubles.
        stale = MailMessage.objects.filter(
            mailbox=self.mailbox, folder=self.mailbox.folder, filed_at__isnull=True
        ).exclude(uidvalidity=self.uidvalidity)
        n = stale.update(
            state=MailMessage.SUPERSEDED,
            error=f"UIDVALIDITY changed to {self.uidvalidity} before the message was filed; "
            "it is examined again under its new UID.",
            filed_at=timezone.now(),
        )
        if n:
            log.warning(
                "Mailbox %s: UIDVALIDITY of %s changed to %s; %d unfiled messages will be examined again",
                self.mailbox.name,
                self.mailbox.folder,
                self.uidvalidity,
                n,
            )

    def _batches(self, uids: list[int]) -> Iterator[list[int]]:
        # Sizes first, so that a batch holds a bounded number of bytes and an
        # oversized message is never downloaded.
        self.sizes = sizes = {}
        for chunk in _chunks(uids, 1000):
            for uid, data in self.client.fetch(chunk, ["RFC822.SIZE"]).items():
                sizes[uid] = data.get(b"RFC822.SIZE", 0)
        batch, batch_bytes = [], 0
        for uid in uids:
            if uid not in sizes:
                continue  # expunged since the search
            size = sizes[uid]
            if batch and (len(batch) >= settings.DMARC_POLL_BATCH or batch_bytes + size > _BATCH_BYTES):
                yield batch
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += size
        if batch:
            yield batch

    def _record(self, uids: list[int]) -> list[int]:
        limit = settings.DMARC_MAX_INPUT_BYTES
        sizes = self.sizes
        small = [uid for uid in uids if sizes.get(uid, 0) <= limit]
        fetched = self.client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        rows = []
        for uid in uids:
            common = {"mailbox": self.mailbox, "folder": self.mailbox.folder, "uidvalidity": self.uidvalidity}
            if uid in fetched and b"BODY[]" in fetched[uid]:
                raw = fetched[uid][b"BODY[]"]
                rows.append(MailMessage(uid=uid, raw=raw, **common, **headers(raw, self.mailbox.name, uid)))
            elif uid in sizes and sizes[uid] > limit:
                # Too big to hold: recorded without its bytes, and filed as failed.
                error = (
                    f"The message is {sizes[uid]} bytes, over the limit of {limit} (DMARC_MAX_INPUT_BYTES)."
                )
                rows.append(MailMessage(uid=uid, raw=b"", state=MailMessage.FAILED, error=error, **common))
        MailMessage.objects.bulk_create(rows, ignore_conflicts=True)
        self.result.recorded += len(rows)
        for row in rows:
            if row.state == MailMessage.FAILED and self.on_ingested is not None:
                outcome = Outcome(message_origin(row, self.mailbox.name), None, "rejected", error=row.error)
                self.on_ingested(Ingested(row, [outcome]))
        return list(
            self.rows.filter(uid__in=[r.uid for r in rows], state=MailMessage.NEW)
            .order_by("uid")
            .values_list("pk", flat=True)
        )

    def _ingest(self, ids: list[int]) -> None:
        if self.enqueue is not None:
            if ids:
                self.enqueue(ids)
                self.result.queued += len(ids)
            return
        for pk in ids:
            try:
                done = ingest_message(pk)
            except VerificationDeferred as e:
                # Still new: the next poll tries it again (reports.ingest.signatures).
                log.warning("Mailbox %s: message %s waits for the DNS: %s", self.mailbox.name, pk, e)
                continue
            if done is not None:
                self.result.ingested.append(done)
                if self.on_ingested is not None:
                    self.on_ingested(done)

    def _file(self) -> None:
        """Move every ingested or failed message still in the folder. The
        state is committed first: a crash between the two leaves a message
        that the next poll moves, never one that is lost."""
        done = self.rows.filter(filed_at__isnull=True, state__in=[MailMessage.INGESTED, MailMessage.FAILED])
        by_state = {MailMessage.INGESTED: [], MailMessage.FAILED: []}
        for uid, state in done.values_list("uid", "state"):
            if uid in self.in_folder:
                by_state[state].append(uid)
        for state, target in (
            (MailMessage.INGESTED, self.mailbox.processed_folder),
            (MailMessage.FAILED, self.mailbox.failed_folder),
        ):
            for chunk in _chunks(sorted(by_state[state]), _MOVE_CHUNK):
                self._ensure_folder(target)
                there = self._already_in(target, [uid for uid in chunk if uid in self.left_behind])
                if there:
                    delete(self.client, sorted(there))
                moving = [uid for uid in chunk if uid not in there]
                if moving:
                    move(self.client, moving, self._server_name(target))
                self.in_folder.difference_update(chunk)
                self.rows.filter(uid__in=chunk).update(filed_in=target, filed_at=timezone.now())
                if state == MailMessage.INGESTED:
                    self.result.processed += len(chunk)
                else:
                    self.result.failed += len(chunk)

    def _already_in(self, target: str, uids: list[int]) -> set[int]:
        """Which of these messages an interrupted move already copied to `target`.

        A server that dies in the middle of a MOVE (Dovecot copies, then expunges)
        can leave a message in both folders. Moving it again would file it twice,
        so a message left behind by an earlier poll whose Message-ID is already
        in the target is only taken out of the folder. Messages without a
        Message-ID are moved again."""
        ids = dict(self.rows.filter(uid__in=uids).exclude(message_id="").values_list("uid", "message_id"))
        if not ids:
            return set()
        with self._visiting(target, readonly=True):
            return {uid for uid, mid in ids.items() if self._with_message_id(mid)}

    def _refile_retried(self) -> None:
        # Failed messages that a retry has since ingested sit in the failed
        # folder under UIDs we never learnt; find them by Message-ID.
        mb = self.mailbox
        retried = MailMessage.objects.filter(
            mailbox=mb, state=MailMessage.INGESTED, filed_in=mb.failed_folder
        ).exclude(message_id="")
        retried = list(retried.only("pk", "message_id")[:100])
        if not retried:
            return
        self._ensure_folder(mb.processed_folder)
        with self._visiting(mb.failed_folder):
            for msg in retried:
                uids = self._with_message_id(msg.message_id)
                if uids:
                    move(self.client, uids, self._server_name(mb.processed_folder))
                MailMessage.objects.filter(pk=msg.pk).update(
                    filed_in=mb.processed_folder, filed_at=timezone.now()
                )

    @contextmanager
    def _visiting(self, folder: str, *, readonly: bool = False):
        """Work in another folder, then select the polled one again, whatever happens."""
        self.client.select_folder(self._server_name(folder), readonly=readonly)
        try:
            yield
        finally:
            self.client.select_folder(self._server_name(self.mailbox.folder))

    def _with_message_id(self, message_id: str) -> list[int]:
        """UIDs in the selected folder of the messages with this Message-ID."""
        return self.client.search(["HEADER", "Message-ID", message_id])

    def _server_name(self, name: str) -> str:
        if self.delimiter is None:
            self.delimiter = delimiter(self.client)
        return name.replace("/", self.delimiter)

    def _ensure_folder(self, configured: str) -> None:
        if configured in self.folders_ready:
            return
        name = self._server_name(configured)
        if not self.client.folder_exists(name):
            log.info("Mailbox %s: creating folder %s", self.mailbox.name, name)
            try:
                self.client.create_folder(name)
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                # Created meanwhile by someone else is fine; anything else shows on the next step.
                if not self.client.folder_exists(name):
                    raise
            try:
                self.client.subscribe_folder(name)
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                pass  # only matters to mail clients that show subscribed folders
        self.folders_ready.add(configured)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
