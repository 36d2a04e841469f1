"""Encryption of stored credentials (mailbox passwords, OAuth client secrets).

DMARC_ENCRYPTION_KEY holds one Fernet key or several, comma-separated: the first
encrypts, all of them decrypt, so a key can be replaced without a moment in
which stored values cannot be read (see `manage.py rotate_encryption_key`).
Without it, a key is derived from SECRET_KEY: working, but then changing
SECRET_KEY makes the stored passwords unreadable.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Fernet tokens are URL-safe base64 of a version byte 0x80: they all start so.
TOKEN_PREFIX = "gAAAAA"


class UndecryptableError(Exception):
    """A stored value that none of the configured keys can decrypt."""


def parse_keys(raw: str, fallback_secret: str) -> list[bytes]:
    """The keys of a DMARC_ENCRYPTION_KEY value, newest first; the derived one if it is empty."""
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        digest = hashlib.sha256(b"dmarc-encryption-key:" + fallback_secret.encode()).digest()
        return [base64.urlsafe_b64encode(digest)]
    for i, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"DMARC_ENCRYPTION_KEY: key {i} is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with `manage.py rotate_encryption_key --new-key`"
            ) from None
    return [k.encode() for k in keys]


@cache
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.DMARC_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise UndecryptableError(
            "A stored secret cannot be decrypted with DMARC_ENCRYPTION_KEY: was the key changed "
            "without keeping the old one after it?"
        ) from None


def rotate(token: str) -> str:
    """The token encrypted again with the first key."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise UndecryptableError("A stored secret cannot be decrypted with any configured key") from None


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
