"""Creating, listing and revoking API tokens, for the command, the account page and the admin. Each
creation and revocation is audited."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from reports.access import audit
from reports.access.models import AuditEntry
from reports.api import rules
from reports.api.models import ApiToken


def create(
    user, scopes, *, name: str = "", expires_days: int | None = None, by=None, row: ApiToken | None = None
) -> tuple[ApiToken, str]:
    """(the row, the token): the token exists only in this answer. ValueError for bad scopes or days.
    `row`: an unsaved ApiToken to fill (the admin's add form)."""
    scopes = rules.clean_scopes(list(scopes))
    if expires_days is not None and not 1 <= expires_days <= rules.MAX_EXPIRY_DAYS:
        raise ValueError(f"the expiry must be 1 to {rules.MAX_EXPIRY_DAYS} days")
    secret = rules.new_secret()
    row = row or ApiToken()
    row.user, row.name, row.scopes = user, name[:100], scopes
    row.prefix, row.digest = secret[: rules.PREFIX_SHOWN], rules.digest(secret)
    row.expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
    row.save()
    audit.record(
        by or user,
        AuditEntry.API_TOKEN,
        f"created {row.prefix}… for {user.get_username()}",
        token=row.pk,
        scopes=scopes,
        expires=row.expires.isoformat() if row.expires else None,
    )
    return row, secret


def of_user(user):
    return ApiToken.objects.filter(user=user).order_by("-created", "-pk")


def revoke(row: ApiToken, by=None) -> bool:
    """Revoke the token; False if it already was."""
    changed = ApiToken.objects.filter(pk=row.pk, revoked=None).update(revoked=timezone.now())
    if changed:
        audit.record(by or row.user, AuditEntry.API_TOKEN, f"revoked {row.prefix}…", token=row.pk)
    return bool(changed)


def as_json(row: ApiToken) -> dict:
    return {
        "id": row.pk,
        "user": row.user.get_username(),
        "name": row.name,
        "prefix": row.prefix,
        "scopes": list(row.scopes),
        "created": row.created.isoformat(),
        "expires": row.expires.isoformat() if row.expires else None,
        "last_used": row.last_used.isoformat() if row.last_used else None,
        "revoked": row.revoked.isoformat() if row.revoked else None,
    }
