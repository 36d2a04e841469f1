"""Who is asking, with which scopes, and how often: the DRF authentication by token, the scope check
and the per-token rate limit in Redis.

A token acts for its user: the user's grants and roles apply as on the pages (reports.access.guard),
and the token's scopes narrow them. A signed-in browser session (the reference page's "Try it out")
has every scope: its user's role alone decides.
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling

from reports.access import audit
from reports.access.models import AuditEntry
from reports.api import rules
from reports.api.models import ApiToken
from reports.shared import rate

log = logging.getLogger(__name__)


class TokenAuthentication(authentication.BaseAuthentication):
    """Authorization: Bearer TOKEN."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        secret = rules.bearer(header)
        if secret is None:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer TOKEN'.")
        row = ApiToken.objects.select_related("user").filter(digest=rules.digest(secret)).first()
        if row is None:
            raise exceptions.AuthenticationFailed("This token is not known.")
        now = timezone.now()
        state = state_of(row)
        why = rules.refusal(state, now)
        if why:
            raise exceptions.AuthenticationFailed(why)
        if rules.should_note_use(state, now):
            ApiToken.objects.filter(pk=row.pk).update(last_used=now)
        return row.user, row

    def authenticate_header(self, request):
        # Makes a missing or bad token a 401 (with this challenge), not a 403.
        return 'Bearer realm="api"'


def state_of(row: ApiToken) -> rules.TokenState:
    return rules.TokenState(
        scopes=tuple(row.scopes),
        expires=row.expires,
        revoked=row.revoked,
        last_used=row.last_used,
        user_active=row.user.is_active,
    )


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class ScopeAllows(permissions.BasePermission):
    """Signed in (401 otherwise), and a token has the scope the view names for the method (403)."""

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        token = token_of(request)
        if token is None:
            return True
        why = rules.missing_scope(token.scopes, view.needed_scope(request))
        if why:
            self.message = why
            return False
        return True


class PerTokenRate(throttling.BaseThrottle):
    """At most DMARC_API_RATE_PER_MINUTE requests a minute per token, counted in Redis (shared by every
    web process). Sessions are not counted: the pages have their own limits. When Redis cannot be
    reached the request is let through: the API stays up with the limit off, and the log says so."""

    def allow_request(self, request, view):
        token = token_of(request)
        if token is None:
            return True
        allowed, self.retry_after = rate.within("api", token.digest[:32], settings.DMARC_API_RATE_PER_MINUTE)
        return allowed

    def wait(self):
        # Whole seconds, at least one: DRF writes the header as an integer.
        return max(1, math.ceil(self.retry_after))


def audit_write(request, what: str, target: str = "", **detail) -> None:
    """A write through the API, with the token that made it (a session's write is audited as on its page)."""
    token = token_of(request)
    if token is not None:
        audit.record(request.user, AuditEntry.API, target, what=what, token=token.prefix + "…", **detail)
