"""The audit trail: who did what, and when (read in the admin)."""

from __future__ import annotations

from reports.access.models import AuditEntry


def record(user, action: str, target: str = "", **detail) -> None:
    """Store one entry. `user` may be None (a command run by the system)."""
    signed_in = user is not None and user.is_authenticated
    AuditEntry.objects.create(
        user=user if signed_in else None,
        username=user.get_username() if signed_in else "",
        action=action,
        target=str(target)[:2000],
        detail=detail,
    )
