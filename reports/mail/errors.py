"""The two kinds of mailbox error, and the rules that sort failures into them.

MailboxError needs a person (wrong password, unknown folder, refused
certificate): it is stored on the mailbox and not retried until the next
scheduled poll, so there is no crash loop. TransientError (the server or the
database is down, a timeout) is retried with backoff. Neither moves any mail.

Nothing here touches the network or the database: `classify` turns an
exception raised by a connection into the error fit for the status page.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError


class MailboxError(Exception):
    """The mailbox cannot be polled until someone fixes its settings or the server."""


class TransientError(Exception):
    """The server or the database is unreachable, or timed out: try again later."""


class MailboxBusy(Exception):
    """Another poll of this mailbox holds its lock."""


@dataclass(frozen=True)
class Server:
    """What an error message may say about the mailbox, and the secrets it must never say."""

    host: str
    port: int
    username: str
    ca_file: str = ""
    secrets: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove every secret from text bound for logs, pages or the database, in every
    form an error can quote it: as is, IMAP-quoted, and either of those inside the
    repr() of a str or of bytes (once or twice), whatever characters it holds; and
    base64-encoded inside anything (a server echoing the SASL XOAUTH2 string)."""
    forms = set()
    for secret in secrets:
        if secret:
            forms |= _quoted_forms(secret) | base64_forms(secret)
    # Longest first: a secret's quoted form contains the plain one.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "********")
    return text


# Shorter secrets' base64 cores could match unrelated text; no real secret is this short.
_BASE64_MIN = 8


def base64_forms(secret: str) -> set[str]:
    """The base64 characters that the secret alone decides, at each of the three byte offsets it can
    start at inside a longer base64 text (standard and URL-safe alphabets): whatever surrounds it,
    as in "user=…\x01auth=Bearer TOKEN\x01\x01", these characters appear when it is encoded."""
    raw = secret.encode("utf-8", "surrogatepass")
    if len(raw) < _BASE64_MIN:
        return set()
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        # Character i holds bits 6i..6i+5: those within the secret's bytes depend on nothing else.
        start, end = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        core = encoded[start:end]
        forms |= {core, core.replace("+", "-").replace("/", "_")}
    return forms


def _quoted_forms(secret: str) -> set[str]:
    def reprs(value: str) -> set[str]:
        out = {repr(value)[1:-1], json.dumps(value)[1:-1]}
        raw = value.encode("utf-8", "surrogatepass")
        out.add(repr(raw)[2:-1])
        # repr() picks ' or " to quote by the content; inside a longer string the other may apply.
        out.add(repr(value + "'\"")[1:-4])
        out.add(repr(raw + b"'\"")[2:-4])
        return out

    imap = secret.replace("\\", "\\\\").replace('"', '\\"')
    forms = {secret, imap}
    for _ in range(2):
        forms |= {r for f in forms for r in reprs(f)}
    return {f for f in forms if f}


def classify(e: BaseException, server: Server) -> Exception | None:
    """The MailboxError or TransientError that `e` means, or None if it is none
    of the connection's business (a bug, say: the caller lets it through)."""
    where = server.where

    def mailbox_error(text):
        return MailboxError(scrub(text, server.secrets))

    def transient(text):
        return TransientError(scrub(text, server.secrets))

    if isinstance(e, MailboxError | TransientError | MailboxBusy):
        return e
    if isinstance(e, ssl.SSLCertVerificationError):
        hint = "" if server.ca_file else " If the server uses a private CA, set the mailbox's CA file."
        return mailbox_error(f"The TLS certificate of {where} was refused: {e.verify_message}.{hint}")
    if isinstance(e, ssl.SSLEOFError | ssl.SSLZeroReturnError | ssl.SSLSyscallError):
        return transient(f"The TLS connection to {where} broke: {e}")
    if isinstance(e, ssl.SSLError):
        return mailbox_error(f"TLS with {where} failed: {e.reason or e}")
    if isinstance(e, LoginError):
        return mailbox_error(f"Login as {server.username!r} on {where} failed: {server_text(e)}")
    if isinstance(e, CapabilityError):
        return mailbox_error(f"{where}: {e}")
    if isinstance(e, IMAPClientAbortError):
        return transient(f"The connection to {where} was lost: {e}")
    if isinstance(e, TimeoutError):
        return transient(f"{where} did not answer in time: {e}")
    if isinstance(e, socket.gaierror):
        return transient(f"The name {server.host} cannot be resolved: {e.strerror}")
    if isinstance(e, OSError):
        return transient(f"Cannot reach {where}: {e.strerror or e}")
    if isinstance(e, IMAPClientError):
        return mailbox_error(f"{where} refused a command: {server_text(e)}")
    return None


def server_text(e: Exception) -> str:
    """The server's own words, without the bytes literal imaplib wraps them in."""
    text = str(e)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text
