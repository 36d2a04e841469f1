"""Watching a mailbox with IMAP IDLE (RFC 2177), for `manage.py watch_mailbox`.

1. Open a watching connection and select the folder, read-only.
2. Poll the mailbox (reports.mail.poll, inline): this handles everything
   already there, under the mailbox lock like any other poll.
3. IDLE on the watching connection. The server reports any message that
   arrived since step 1, so nothing slips in between the poll and the IDLE.
4. On EXISTS (new mail), or after idle_seconds without news, go back to 1.
   With an OAuth login, also shortly before the token expires: a provider may
   end a session whose token has lapsed, so the watcher logs in again with a
   new token first.

Errors pause the loop instead of ending it: a mailbox error (wrong password,
say) for error_pause seconds, a transient one with a doubling backoff.
"""

from __future__ import annotations

import logging
import threading
import time

from reports.mail import client as imap
from reports.mail import tokens
from reports.mail.errors import MailboxBusy, MailboxError, TransientError
from reports.mail.poll import poll

log = logging.getLogger(__name__)


class Watcher:
    def __init__(self, mailbox, *, idle_seconds: int = 300, say=None):
        self.mailbox = mailbox
        self.idle_seconds = idle_seconds
        self.say = say or (lambda text: log.info("%s", text))
        self._stop = threading.Event()
        self._renew = False

    def stop(self) -> None:
        self._stop.set()

    def run(self, *, error_pause: int = 300) -> None:
        backoff = 1
        while not self._stop.is_set():
            try:
                self._cycle()
                backoff = 1
            except MailboxBusy:
                self._stop.wait(2)
            except MailboxError as e:
                self.say(f"mailbox {self.mailbox.name}: {e}; trying again in {error_pause} s")
                self._stop.wait(error_pause)
            except TransientError as e:
                self.say(f"mailbox {self.mailbox.name}: {e}; trying again in {backoff} s")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 300)

    def _cycle(self) -> None:
        if self._renew:
            self._renew = False
            tokens.token(self.mailbox, renew=True)
        client = imap.connect(self.mailbox)
        try:
            folder = self.mailbox.folder
            imap.with_imap_errors(
                self.mailbox,
                lambda: client.select_folder(folder.replace("/", imap.delimiter(client)), readonly=True),
            )
            result = poll(self.mailbox)
            if result.recorded or result.processed or result.failed:
                self.say(
                    f"mailbox {self.mailbox.name}: {result.recorded} new, {result.processed} processed, "
                    f"{result.failed} failed"
                )
            self.say(f"mailbox {self.mailbox.name}: waiting for new mail in {self.mailbox.folder} (IDLE)")
            imap.with_imap_errors(self.mailbox, lambda: self._idle(client))
        finally:
            imap.disconnect(client)

    def _idle(self, client) -> None:
        deadline = time.monotonic() + self.idle_seconds
        token = tokens.cached(self.mailbox) if self.mailbox.auth != self.mailbox.PASSWORD else None
        renew_at = time.monotonic() + (token.renew_at - time.time()) if token else None
        client.idle()
        try:
            # Short checks, so that a stop request is seen within a second.
            while not self._stop.is_set() and time.monotonic() < deadline:
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in client.idle_check(timeout=1)):
                    return
                if renew_at is not None and time.monotonic() >= renew_at:
                    self.say(f"mailbox {self.mailbox.name}: renewing the login token before it expires")
                    self._renew = True
                    return
        finally:
            client.idle_done()
