"""The rules of single sign-on as plain Python: what makes an ID token's claims unacceptable, which
groups a user ends up in, and the username a new user gets."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEEWAY = 60  # seconds of clock difference between the provider and this server


@dataclass(frozen=True)
class Expected:
    issuer: str
    client_id: str
    nonce: str | None
    now: float


def id_token_problem(claims: dict, expected: Expected) -> str | None:
    """Why these (signature-checked) ID token claims must be refused, or None (OpenID Connect Core
    §3.1.3.7)."""
    if claims.get("iss") != expected.issuer:
        return "the token was issued by another provider than the one configured"
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if expected.client_id not in audiences:
        return "the token was issued for another application (its audience is not this one)"
    if len(audiences) > 1 and claims.get("azp") != expected.client_id:
        return "the token was issued for another application (its authorized party is not this one)"
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY < expected.now:
        return "the token has expired"
    if not isinstance(iat, int | float) or iat - LEEWAY > expected.now:
        return "the token was issued in the future"
    if expected.nonce is None or claims.get("nonce") != expected.nonce:
        return "the token does not belong to this sign-in (replayed or mixed up)"
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return "the token names no subject"
    return None


def claimed_groups(claims: dict, claim: str) -> list[str]:
    """The group names the claim holds: a list of names (or one name), blanks and long names left out."""
    value = claims.get(claim)
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return sorted({n.strip() for n in names if isinstance(n, str) and 0 < len(n.strip()) <= 150})


def groups_after_sign_in(claimed: list[str], current: list[str], roles: set[str]) -> set[str]:
    """The user's groups after signing in: exactly the claimed ones, except roles.

    A role (a group that carries permissions: viewer, operator...) is given by a grant on domains,
    never by a provider's group of the same name; a role the user holds stays theirs."""
    return {g for g in current if g in roles} | {g for g in claimed if g not in roles}


def is_admin(claimed: list[str], admin_groups: list[str]) -> bool:
    return bool(set(claimed) & set(admin_groups))


def username_base(claims: dict) -> str:
    """A readable username from the claims (preferred_username, email, or the subject)."""
    for key in ("preferred_username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str):
            cleaned = re.sub(r"[^\w.@+-]", "", value)[:140]
            if cleaned:
                return cleaned
    return "sso-user"


def names(claims: dict) -> tuple[str, str]:
    """(first name, last name) from given_name/family_name, or from name split at its first space."""
    first, last = claims.get("given_name"), claims.get("family_name")
    if isinstance(first, str) or isinstance(last, str):
        return (first or "")[:150], (last or "")[:150]
    full = claims.get("name") if isinstance(claims.get("name"), str) else ""
    first, _, last = full.strip().partition(" ")
    return first[:150], last[:150]
