"""Test a mailbox's connection: log in, list the folders, count the messages
waiting in the polled folder. Nothing is fetched, moved or recorded, and no
lock is taken, so a check runs safely beside a poll."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from reports.mail import client as imap
from reports.mail.errors import MailboxError, TransientError
from reports.mail.models import Mailbox
from reports.mail.oauth import PROVIDERS
from reports.mail.status import update_mailbox


@dataclass
class CheckResult:
    mailbox: str
    ok: bool
    login: str = ""  # how it logged in: "password", "Microsoft 365 token", ...
    folders: list[str] = field(default_factory=list)
    messages: int | None = None  # in the polled folder
    error: str = ""

    def summary(self, folder: str) -> str:
        if not self.ok:
            return f"Failed: {self.error}"
        return (
            f"OK: logged in with a {self.login}; {self.messages} message(s) in {folder}; "
            f"{len(self.folders)} folder(s): {', '.join(self.folders)}"
        )

    def as_json(self) -> dict:
        return {
            "mailbox": self.mailbox,
            "ok": self.ok,
            "login": self.login,
            "folders": self.folders,
            "messages": self.messages,
            "error": self.error,
        }


def check(mailbox: Mailbox) -> CheckResult:
    """Check the mailbox and store the outcome on it (shown in the admin)."""
    login = "password" if mailbox.auth == Mailbox.PASSWORD else f"{PROVIDERS[mailbox.auth]} token"
    result = CheckResult(mailbox=mailbox.name, ok=False, login=login)
    try:
        client = imap.connect(mailbox)
        try:
            imap.with_imap_errors(mailbox, lambda: _look(client, mailbox, result))
        finally:
            imap.disconnect(client)
        result.ok = True
    except (MailboxError, TransientError) as e:
        result.error = str(e)
    update_mailbox(mailbox, checked_at=timezone.now(), check_result=result.summary(mailbox.folder))
    return result


def _look(client, mailbox: Mailbox, result: CheckResult) -> None:
    delimiter = imap.delimiter(client)
    names = [name for _flags, _delim, name in client.list_folders()]
    # Shown as configured ("DMARC/Processed"), whatever the server's separator.
    result.folders = sorted(name.replace(delimiter, "/") for name in names)
    server_name = mailbox.folder.replace("/", delimiter)
    if server_name not in names:
        raise MailboxError(
            f"The folder {mailbox.folder!r} does not exist (found: {', '.join(result.folders)})"
        )
    result.messages = client.folder_status(server_name, [b"MESSAGES"])[b"MESSAGES"]
