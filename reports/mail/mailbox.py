"""Polling an IMAP mailbox for reports: at least once, stored once, never lost.

One poll of a mailbox:

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

Errors are sorted in two kinds. MailboxError needs a person (wrong password,
unknown folder, refused certificate): it is stored on the mailbox and not
retried until the next scheduled poll, so there is no crash loop. TransientError
(the server or the database is down, a timeout) is retried with backoff by the
task. Neither moves any mail. Reports are unique in the database, so doing a
message twice stores its reports once.
"""

from __future__ import annotations

import email.header
import email.parser
import email.utils
import json
import logging
import re
import socket
import ssl
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from reports.access.fields import EncryptedTextField
from reports.ingest.pipeline import Outcome, ingest_bytes
from reports.models import Mailbox, MailMessage

log = logging.getLogger(__name__)

ENV_MAILBOX = "env"
# Advisory lock keys: a namespace in the high bits keeps ours apart from anyone else's.
_MAILBOX_LOCK = 0x4D42 << 40
_MOVE_CHUNK = 500  # UIDs per MOVE command: keeps command lines short
_BATCH_BYTES = 32 * 1024 * 1024  # at most this much message data per FETCH
_GOOD = ("imported", "duplicate")


class MailboxError(Exception):
    """The mailbox cannot be polled until someone fixes its settings or the server."""


class TransientError(Exception):
    """The server or the database is unreachable, or timed out: try again later."""


class MailboxBusy(Exception):
    """Another poll of this mailbox holds its lock."""


@dataclass
class Ingested:
    message: MailMessage
    outcomes: list[Outcome]


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


# --- Entry points -------------------------------------------------------------------------------------------


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
            _update_mailbox(mailbox, last_poll=timezone.now())
            _poll_locked(mailbox, result, lock, enqueue, on_ingested)
        except (MailboxError, TransientError) as e:
            log.warning("Mailbox %s: poll failed: %s", mailbox.name, e)
            _update_mailbox(mailbox, last_error=str(e), best_effort=True)
            raise
        except (OperationalError, InterfaceError) as e:
            error = _transient(f"The database is unavailable: {e}", mailbox)
            _update_mailbox(mailbox, last_error=str(error), best_effort=True)
            raise error from None
        except Exception as e:
            # A bug: still say so on the status page, or polling could stop unseen.
            # The traceback can quote the password as the exception does: scrubbed like it.
            log.error("Mailbox %s: poll failed\n%s", mailbox.name, scrub(traceback.format_exc(), mailbox))
            _update_mailbox(mailbox, last_error=scrub(f"Internal error: {e}", mailbox), best_effort=True)
            raise
        _update_mailbox(mailbox, last_success=timezone.now(), last_error="", **_counts(mailbox))
    log.info(
        "Mailbox %s: %d new, %d processed, %d failed, %d left for the next poll",
        mailbox.name,
        result.recorded,
        result.processed,
        result.failed,
        result.remaining,
    )
    return result


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
        source = _source(msg, mailbox_name)
        try:
            with transaction.atomic():
                outcomes = ingest_bytes(bytes(raw), source)
        except (OperationalError, InterfaceError):
            raise
        except Exception as e:  # noqa: BLE001 - a bug must fail this message, not the whole mailbox
            log.exception("Mailbox %s: message %s could not be ingested", mailbox_name, uid)
            outcomes = [Outcome(source, None, "rejected", error=f"Internal error while ingesting: {e}")]
        good = [o for o in outcomes if o.status in _GOOD]
        errors = [f"{o.member}: {o.error}" if o.member else o.error for o in outcomes if o.error]
        msg.outcomes = [o.as_json() for o in outcomes]
        msg.state = MailMessage.INGESTED if good else MailMessage.FAILED
        msg.error = "\n".join(errors) if errors or good else "The message holds no DMARC report."
        cur.execute(_SET_STATE, [msg.state, msg.error, json.dumps(msg.outcomes), pk])
    if not good:
        log.info("Mailbox %s: message %s failed: %s", mailbox_name, uid, msg.error)
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
        _update_mailbox(mailbox, **_counts(mailbox))
    return done


def nothing_left_to_ingest(mailbox_id: int) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM reports_mailmessage WHERE mailbox_id = %s AND state = 'new')",
            [mailbox_id],
        )
        return cur.fetchone()[0]


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


def sync_env_mailbox() -> Mailbox | None:
    """Keep the Mailbox row named "env" in step with DMARC_IMAP_* settings."""
    conf = settings.DMARC_IMAP
    if not conf:
        return None
    mailbox, created = Mailbox.objects.get_or_create(name=ENV_MAILBOX, defaults=conf)
    if not created:
        changed = [name for name, value in conf.items() if getattr(mailbox, name) != value]
        for name in changed:
            setattr(mailbox, name, conf[name])
        if changed:
            mailbox.save(update_fields=changed)
    return mailbox


def enabled_mailboxes() -> list[Mailbox]:
    sync_env_mailbox()
    return list(Mailbox.objects.filter(enabled=True).order_by("name"))


def scrub(text: str, mailbox: Mailbox) -> str:
    """Remove the mailbox's secrets (its password, and every other encrypted field) from text
    bound for logs, pages or the database, in every form an error can quote them: as is,
    IMAP-quoted, and either of those inside the repr() of a str or of bytes (once or twice)."""
    forms = set()
    for f in mailbox._meta.concrete_fields:
        secret = getattr(mailbox, f.attname) if isinstance(f, EncryptedTextField) else None
        if secret:
            forms |= _quoted_forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "********")
    return text


def _quoted_forms(password: str) -> set[str]:
    def reprs(value: str) -> set[str]:
        out = {repr(value)[1:-1], json.dumps(value)[1:-1]}
        raw = value.encode("utf-8", "surrogatepass")
        out.add(repr(raw)[2:-1])
        # repr() picks ' or " to quote by the content; inside a longer string the other may apply.
        out.add(repr(value + "'\"")[1:-4])
        out.add(repr(raw + b"'\"")[2:-4])
        return out

    imap = password.replace("\\", "\\\\").replace('"', '\\"')
    forms = {password, imap}
    for _ in range(2):
        forms |= {r for f in forms for r in reprs(f)}
    return {f for f in forms if f}


# --- Locks --------------------------------------------------------------------------------------------------


class _Lock:
    """The mailbox's advisory lock, held by a dedicated connection for the whole
    poll, so that nothing the poll does with Django's connection can drop it."""

    def __init__(self, conn):
        self.conn = conn

    def check(self) -> None:
        # If PostgreSQL restarted, the lock went with the connection: stop, so
        # that the poll does not carry on unguarded.
        try:
            self.conn.execute("SELECT 1")
        except psycopg.Error:
            raise TransientError("Lost the connection that holds the mailbox lock") from None


_LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "options",
    "passfile",
    "service",
}


@contextmanager
def mailbox_lock(mailbox_id: int) -> Iterator[_Lock]:
    params = connections["default"].settings_dict
    options = {k: v for k, v in params.get("OPTIONS", {}).items() if k in _LIBPQ_OPTIONS}
    try:
        conn = psycopg.connect(
            **options,
            dbname=params["NAME"],
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            connect_timeout=10,
            autocommit=True,
            application_name=f"dmarc mailbox lock {mailbox_id}",
        )
    except psycopg.Error as e:
        raise TransientError(f"The database is unavailable: {_first_line(e)}") from None
    try:
        try:
            # A worker machine that vanishes mid-poll must not keep the lock for
            # the server's default two hours of TCP keepalive.
            conn.execute("SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10")
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", [_MAILBOX_LOCK + mailbox_id]).fetchone()[0]
        except psycopg.Error as e:
            raise TransientError(f"The database is unavailable: {_first_line(e)}") from None
        if not got:
            raise MailboxBusy("Another poll of this mailbox is running")
        yield _Lock(conn)
    finally:
        # Closing the session releases the lock.
        conn.close()


# --- The poll -----------------------------------------------------------------------------------------------


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
                outcome = Outcome(_source(row, self.mailbox.name), None, "rejected", error=row.error)
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
            done = ingest_message(pk)
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


# --- IMAP ---------------------------------------------------------------------------------------------------


def connect(mailbox: Mailbox) -> IMAPClient:
    """Log in to the mailbox's server. Raises MailboxError or TransientError."""
    context = None
    if mailbox.security != Mailbox.NONE:
        try:
            # Verification stays on: a private CA is trusted through its file, never by turning checks off.
            context = ssl.create_default_context(cafile=mailbox.ca_file or None)
        except (OSError, ssl.SSLError) as e:
            raise MailboxError(f"The CA file {mailbox.ca_file} cannot be used: {e}") from None
    read = settings.DMARC_IMAP_TIMEOUT
    timeout = SocketTimeout(connect=min(read, 15), read=read)

    def login():
        client = IMAPClient(
            mailbox.host,
            port=mailbox.port,
            ssl=mailbox.security == Mailbox.TLS,
            ssl_context=context,
            timeout=timeout,
        )
        try:
            if mailbox.security == Mailbox.STARTTLS:
                client.starttls(context)
            client.login(mailbox.username, mailbox.password)
        except BaseException:
            disconnect(client, logout=False)
            raise
        return client

    return with_imap_errors(mailbox, login)


def delimiter(client: IMAPClient) -> str:
    """The server's hierarchy separator. Folder names are configured with "/"
    between levels; servers that use "." (Dovecot's maildir++ default) get theirs."""
    listing = client.list_folders("", "")
    found = listing[0][1] if listing else None
    return (found.decode() if isinstance(found, bytes) else found) or "/"


def open_folder(client: IMAPClient, folder: str) -> int:
    """Select the folder for reading and moving; return its UIDVALIDITY."""
    try:
        info = client.select_folder(folder)
    except IMAPClientAbortError:
        raise
    except IMAPClientError as e:
        raise MailboxError(f"The folder {folder!r} cannot be opened: {_server_text(e)}") from None
    return int(info[b"UIDVALIDITY"])


def move(client: IMAPClient, uids: list[int], folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move(uids, folder)
        return
    # RFC 6851's fallback. Without UIDPLUS, EXPUNGE also removes messages that
    # someone else marked \Deleted in this folder; a reports mailbox has none.
    client.copy(uids, folder)
    delete(client, uids)


def delete(client: IMAPClient, uids: list[int]) -> None:
    client.add_flags(uids, [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()


def headers(raw: bytes, mailbox_name: str = "", uid: int | None = None) -> dict:
    """Message-ID, subject and date, for display; a broken header is no reason to lose a message."""
    out = {"message_id": "", "subject": "", "date": None}
    head = re.split(rb"\r?\n\r?\n", raw[: 256 * 1024], maxsplit=1)[0]
    try:
        msg = email.parser.BytesHeaderParser().parsebytes(head)
        if msg.defects:
            log.warning("Mailbox %s: message %s has broken headers: %s", mailbox_name, uid, msg.defects)
        out["message_id"] = _clean(str(msg.get("Message-ID", "")).strip())
        subject = msg.get("Subject", "")
        out["subject"] = _clean(str(email.header.make_header(email.header.decode_header(subject))))
        date = email.utils.parsedate_to_datetime(str(msg.get("Date", "")))
        out["date"] = date if date.tzinfo else date.replace(tzinfo=UTC)
    except Exception:  # noqa: BLE001, S110 - bad headers of every kind are common in the wild
        pass
    return out


def with_imap_errors(mailbox: Mailbox, fn):
    """Run fn, turning socket, TLS and IMAP errors into MailboxError or
    TransientError with a message fit for the status page."""
    where = f"{mailbox.host}:{mailbox.port}"
    try:
        return fn()
    except (MailboxError, TransientError, MailboxBusy):
        raise
    except ssl.SSLCertVerificationError as e:
        hint = "" if mailbox.ca_file else " If the server uses a private CA, set the mailbox's CA file."
        raise MailboxError(f"The TLS certificate of {where} was refused: {e.verify_message}.{hint}") from None
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError) as e:
        raise _transient(f"The TLS connection to {where} broke: {e}", mailbox) from None
    except ssl.SSLError as e:
        raise MailboxError(scrub(f"TLS with {where} failed: {e.reason or e}", mailbox)) from None
    except LoginError as e:
        raise MailboxError(
            scrub(f"Login as {mailbox.username!r} on {where} failed: {_server_text(e)}", mailbox)
        ) from None
    except CapabilityError as e:
        raise MailboxError(scrub(f"{where}: {e}", mailbox)) from None
    except IMAPClientAbortError as e:
        raise _transient(f"The connection to {where} was lost: {e}", mailbox) from None
    except TimeoutError as e:
        raise _transient(f"{where} did not answer in time: {e}", mailbox) from None
    except socket.gaierror as e:
        raise _transient(f"The name {mailbox.host} cannot be resolved: {e.strerror}", mailbox) from None
    except OSError as e:
        raise _transient(f"Cannot reach {where}: {e.strerror or e}", mailbox) from None
    except IMAPClientError as e:
        raise MailboxError(scrub(f"{where} refused a command: {_server_text(e)}", mailbox)) from None


def _transient(text: str, mailbox: Mailbox) -> TransientError:
    return TransientError(scrub(text, mailbox))


def disconnect(client: IMAPClient, *, logout: bool = True) -> None:
    try:
        if logout:
            client.logout()
        else:
            client.shutdown()
    except Exception:  # noqa: BLE001 - the connection is often gone already
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001, S110
            pass


def _server_text(e: Exception) -> str:
    text = str(e)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text


# --- Helpers ------------------------------------------------------------------------------------------------


def _update_mailbox(mailbox: Mailbox, *, best_effort: bool = False, **fields) -> None:
    for name, value in fields.items():
        setattr(mailbox, name, value)
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    except DatabaseError:
        if not best_effort:
            raise
        log.warning("Mailbox %s: could not store its status: the database is unavailable", mailbox.name)


def _counts(mailbox: Mailbox) -> dict:
    counts = MailMessage.objects.filter(mailbox=mailbox).aggregate(
        processed_count=Count("pk", filter=Q(state=MailMessage.INGESTED)),
        failed_count=Count("pk", filter=Q(state=MailMessage.FAILED)),
    )
    return counts


def _source(msg: MailMessage, mailbox_name: str) -> str:
    # An IMAP URL (RFC 5092) names the message wherever its reports are shown.
    return f"imap://{mailbox_name}/{msg.folder};UIDVALIDITY={msg.uidvalidity}/;UID={msg.uid}"


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _clean(text: str) -> str:
    # PostgreSQL text holds neither NUL nor lone surrogates (undecodable header bytes).
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:998]


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
