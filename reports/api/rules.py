"""Tokens and scopes as plain data: how a token is made and recognised, whether it may be used, and
when its use is noted. No database here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

READ, INGEST, MARKS = "read", "ingest", "marks"
SCOPES = (READ, INGEST, MARKS)
SCOPE_HELP = {
    READ: "read every endpoint of the domains the user may see",
    INGEST: "push reports (POST /api/v1/reports/) and read their status",
    MARKS: "mark sources ours / not ours (operator role) and add monitored domains (admins)",
}
# The scopes that change something: their use is audited.
WRITE_SCOPES = (INGEST, MARKS)

PREFIX = "dmarc_"  # tells a secret scanner what the string is
PREFIX_SHOWN = 12  # characters of the token kept in clear to recognise it in a list
# A read notes the token's last use at most this often, so that reads do not write on every request.
NOTE_USE_EVERY = timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3660


def new_secret() -> str:
    """A token: the prefix and 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored of a token. The secret has 256 random bits, so a fast hash is enough: there is
    nothing to guess that a slow one would protect."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def bearer(header: str) -> str | None:
    """The token of an Authorization header ("Bearer TOKEN" or "Token TOKEN"), or None."""
    kind, _, value = header.strip().partition(" ")
    if kind.lower() not in ("bearer", "token") or not value.strip() or " " in value.strip():
        return None
    return value.strip()


def clean_scopes(asked) -> list[str]:
    """The scopes asked for, in their order; ValueError names any that is not one."""
    wrong = [s for s in asked if s not in SCOPES]
    if wrong:
        raise ValueError(f"unknown scope {wrong[0]!r}: the scopes are {', '.join(SCOPES)}")
    if not asked:
        raise ValueError(f"a token needs at least one scope ({', '.join(SCOPES)})")
    return [s for s in SCOPES if s in asked]


@dataclass(frozen=True)
class TokenState:
    scopes: tuple[str, ...]
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None
    user_active: bool = True


def refusal(token: TokenState, now: datetime) -> str | None:
    """Why the token cannot be used now, or None."""
    if token.revoked is not None:
        return "This token was revoked."
    if token.expires is not None and token.expires <= now:
        return "This token has expired."
    if not token.user_active:
        return "The account of this token is inactive."
    return None


def should_note_use(token: TokenState, now: datetime) -> bool:
    return token.last_used is None or now - token.last_used >= NOTE_USE_EVERY


def missing_scope(token_scopes, needed: str | None) -> str | None:
    if needed is None or needed in token_scopes:
        return None
    return f"This token lacks the scope {needed!r} (it has: {', '.join(token_scopes) or 'none'})."
