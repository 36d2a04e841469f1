"""OAuth 2.0 access tokens for IMAP logins: acquired from Microsoft (MSAL,
client credentials) or Google (google-auth: a service account acting as the
mailbox, or an installed app's refresh token), kept in this process's memory
until shortly before they expire, and never written, logged or shown.

A refusal (bad secret, missing consent or delegation, clock skew) is a
MailboxError naming the fix: the poll stops until the next scheduled one, so a
provider is not asked again in a tight loop. An unreachable token endpoint is a
TransientError, retried with backoff like an unreachable IMAP server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from datetime import UTC

import requests
from django.conf import settings

from reports.mail.errors import MailboxError, TransientError
from reports.mail.models import Mailbox
from reports.mail.oauth import (
    GOOGLE_SCOPE,
    MICROSOFT_SCOPE,
    Token,
    explain_google,
    explain_microsoft,
)
from reports.shared.text import first_line

log = logging.getLogger(__name__)

_lock = threading.Lock()
_tokens: dict[tuple, Token] = {}  # (mailbox pk, credentials fingerprint) -> the current token


def token(mailbox: Mailbox, *, renew: bool = False) -> Token:
    """A token for the mailbox's OAuth login: the cached one while it is fresh,
    else a new one. `renew` forgets the cached one first (the server refused it)."""
    key = _key(mailbox)
    with _lock:
        cached = _tokens.get(key)
        if renew:
            _tokens.pop(key, None)
        elif cached is not None and cached.fresh(time.time()):
            return cached
    acquired = _acquire(mailbox)
    with _lock:
        # A token got with the mailbox's former credentials is of no more use.
        for stale in [k for k in _tokens if k[0] == mailbox.pk and k != key]:
            del _tokens[stale]
        _tokens[key] = acquired
    log.info(
        "Mailbox %s: new %s token, valid for %d s",
        mailbox.name,
        mailbox.auth,
        acquired.expires_at - time.time(),
    )
    return acquired


def cached(mailbox: Mailbox) -> Token | None:
    with _lock:
        return _tokens.get(_key(mailbox))


def _key(mailbox: Mailbox) -> tuple:
    # Changed credentials (a new secret, another tenant) must not reuse a token
    # obtained with the old ones, nor may a token go to a server it was not got for.
    parts = [
        *(mailbox.host, str(mailbox.port), mailbox.security),
        mailbox.auth,
        mailbox.username,
        mailbox.ms_tenant,
        mailbox.ms_client_id,
        mailbox.ms_authority or settings.DMARC_IMAP_MS_AUTHORITY,
        settings.DMARC_IMAP_GOOGLE_TOKEN_URI,
        mailbox.google_client_id,
        *mailbox.secret_values(),
    ]
    return (mailbox.pk, hashlib.sha256("\x00".join(parts).encode()).hexdigest())


def _acquire(mailbox: Mailbox) -> Token:
    try:
        if mailbox.auth == Mailbox.MICROSOFT:
            return _microsoft(mailbox)
        if mailbox.auth == Mailbox.GOOGLE:
            return _google(mailbox)
    except requests.RequestException as e:
        raise TransientError(f"The token endpoint cannot be reached: {_request_error(e)}") from None
    raise MailboxError(f"The mailbox's authentication {mailbox.auth!r} uses no token")


# --- Microsoft 365 ------------------------------------------------------------------------------------------


def _microsoft(mailbox: Mailbox) -> Token:
    import msal  # only mailboxes that use it pay for the import

    if not (mailbox.ms_tenant and mailbox.ms_client_id):
        raise MailboxError("Microsoft 365 login needs the tenant ID and the application (client) ID")
    authority = (
        f"{(mailbox.ms_authority or settings.DMARC_IMAP_MS_AUTHORITY).rstrip('/')}/{mailbox.ms_tenant}"
    )
    # A new application each time: its own token cache would hand back a token
    # the server has just refused, and ours already keeps the token for its life.
    try:
        app = msal.ConfidentialClientApplication(
            mailbox.ms_client_id,
            client_credential=_microsoft_credential(mailbox),
            authority=authority,
            # Instance discovery asks login.microsoftonline.com about the
            # authority; a national cloud or a private one answers for itself.
            instance_discovery=False,
            timeout=settings.DMARC_IMAP_TIMEOUT,
        )
    except ValueError as e:
        raise MailboxError(
            f"Microsoft 365: the authority {authority} was not accepted: {first_line(str(e))}. "
            "Check the directory (tenant) ID, and the authority for a national cloud."
        ) from None
    started = time.time()
    result = app.acquire_token_for_client(scopes=[MICROSOFT_SCOPE])
    if "access_token" not in result:
        error, description = result.get("error", ""), result.get("error_description", "")
        raise MailboxError(
            f"Microsoft 365 refused a token for app {mailbox.ms_client_id} in tenant {mailbox.ms_tenant}: "
            f"{error}: {first_line(description)} {explain_microsoft(error, description)}"
        )
    return Token(result["access_token"], started, started + int(result.get("expires_in", 3600)))


def _microsoft_credential(mailbox: Mailbox):
    if mailbox.ms_client_secret:
        return mailbox.ms_client_secret
    pem = mailbox.ms_certificate_secret
    if not pem:
        raise MailboxError("Microsoft 365 login needs a client secret or a certificate")
    key = re.search(
        r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----.+?-----END (?:RSA |EC )?PRIVATE KEY-----", pem, re.S
    )
    cert = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    if not (key and cert):
        raise MailboxError(
            "The Microsoft 365 certificate must be PEM text holding both an unencrypted private key and its "
            "certificate (openssl pkcs12 -in cert.pfx -nodes)"
        )
    return {"private_key": key.group(0), "public_certificate": cert.group(0)}


# --- Google -------------------------------------------------------------------------------------------------


class _Request:
    """google-auth's requests transport with our timeout (its default is two minutes)."""

    def __init__(self):
        from google.auth.transport.requests import Request

        self.request = Request(requests.Session())

    def __call__(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.DMARC_IMAP_TIMEOUT)
        return self.request(*args, **kwargs)


def _google(mailbox: Mailbox) -> Token:
    from google.auth import exceptions
    from google.oauth2 import credentials, service_account

    token_uri = settings.DMARC_IMAP_GOOGLE_TOKEN_URI
    if mailbox.google_service_account_secret:
        try:
            info = json.loads(mailbox.google_service_account_secret)
            info = {**info, "token_uri": token_uri}
            creds = service_account.Credentials.from_service_account_info(
                info, scopes=[GOOGLE_SCOPE], subject=mailbox.username
            )
        except (ValueError, TypeError, KeyError) as e:
            raise MailboxError(
                "The Google service account key is not a usable JSON key "
                f"({first_line(str(e), 120)}): download a new key (JSON) from IAM > Service accounts > Keys"
            ) from None
        what = f"service account {info.get('client_email', '?')} acting as {mailbox.username}"
    elif mailbox.google_client_id and mailbox.google_client_secret and mailbox.google_refresh_token_secret:
        creds = credentials.Credentials(
            None,
            refresh_token=mailbox.google_refresh_token_secret,
            token_uri=token_uri,
            client_id=mailbox.google_client_id,
            client_secret=mailbox.google_client_secret,
            scopes=[GOOGLE_SCOPE],
        )
        what = f"OAuth client {mailbox.google_client_id}"
    else:
        raise MailboxError(
            "Google login needs a service account key, or an OAuth client ID, client secret and refresh token"
        )
    started = time.time()
    try:
        creds.refresh(_Request())
    except exceptions.TransportError as e:
        raise TransientError(f"Google's token endpoint cannot be reached: {first_line(str(e))}") from None
    except exceptions.RefreshError as e:
        text = first_line(str(e.args[0] if e.args else e)).rstrip(".")
        if getattr(e, "retryable", False):
            raise TransientError(f"Google's token endpoint failed: {text}") from None
        raise MailboxError(f"Google refused a token for {what}: {text}. {explain_google(text)}") from None
    # google-auth keeps the expiry as a naive UTC datetime.
    expires_at = creds.expiry.replace(tzinfo=UTC).timestamp() if creds.expiry else started + 3600
    return Token(creds.token, started, expires_at)


def _request_error(e: Exception) -> str:
    # requests' messages hold the URL, never a secret (those go in the body).
    return first_line(str(e))
