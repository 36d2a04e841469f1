"""IMAP commands: log in, find folders, move and delete messages, and turn
what goes wrong on the way into a MailboxError or TransientError."""

from __future__ import annotations

import ssl

from django.conf import settings
from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from reports.mail import tokens
from reports.mail.errors import MailboxError, Server, classify, scrub, server_text
from reports.mail.models import Mailbox
from reports.mail.oauth import PROVIDERS, refused_login_fix


def server(mailbox: Mailbox) -> Server:
    token = tokens.cached(mailbox) if mailbox.auth != Mailbox.PASSWORD else None
    return Server(
        host=mailbox.host,
        port=mailbox.port,
        username=mailbox.username,
        ca_file=mailbox.ca_file,
        secrets=(*mailbox.secret_values(), *([token.access_token] if token else [])),
    )


def scrub_mailbox(text: str, mailbox: Mailbox) -> str:
    """Remove the mailbox's secrets from text bound for logs, pages or the database."""
    return scrub(text, server(mailbox).secrets)


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
            if mailbox.auth == Mailbox.PASSWORD:
                client.login(mailbox.username, mailbox.password)
            else:
                _oauth_login(client, mailbox)
        except BaseException:
            disconnect(client, logout=False)
            raise
        return client

    return with_imap_errors(mailbox, login)


def _oauth_login(client: IMAPClient, mailbox: Mailbox) -> None:
    """SASL XOAUTH2 with the mailbox's token. A cached token the server refuses
    (revoked, or expired early by a skewed clock) is replaced once by a new one,
    so that the poll goes on; a new token refused too is a MailboxError."""
    before = tokens.cached(mailbox)
    token = tokens.token(mailbox)
    for attempt in range(2):
        try:
            client.oauth2_login(mailbox.username, token.access_token)
            return
        except LoginError as e:
            if attempt == 0 and token is before:
                token = tokens.token(mailbox, renew=True)
                continue
            text = scrub(server_text(e), [token.access_token, *mailbox.secret_values()]).rstrip(".")
            raise MailboxError(
                f"Login as {mailbox.username!r} on {mailbox.host}:{mailbox.port} with a "
                f"{PROVIDERS.get(mailbox.auth, mailbox.auth)} token failed: {text}. "
                f"{refused_login_fix(mailbox.auth)}"
            ) from None


def with_imap_errors(mailbox: Mailbox, fn):
    """Run fn, turning socket, TLS and IMAP errors into MailboxError or
    TransientError with a message fit for the status page."""
    try:
        return fn()
    except Exception as e:
        error = classify(e, server(mailbox))
        if error is None:
            raise
        if error is e:
            raise
        raise error from None


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
        raise MailboxError(f"The folder {folder!r} cannot be opened: {server_text(e)}") from None
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
