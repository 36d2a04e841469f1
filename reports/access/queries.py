"""A user's grants, read from the database into the rules (reports.access.rules)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q

from reports.access import rules
from reports.access.models import AccessGrant


def access_for(user):
    """The user's rules.Access: superusers may do everything, others what their grants say."""
    if not user.is_authenticated or not user.is_active:
        return rules.Access(everything=False)
    if user.is_superuser:
        return rules.Access(everything=True)
    cached = getattr(user, "_dmarc_access", None)
    if cached is not None:
        return cached
    grants = (
        AccessGrant.objects.filter(user=user) | AccessGrant.objects.filter(team__in=user.groups.all())
    ).prefetch_related("domains", "role__permissions")
    access = rules.Access(
        everything=False,
        grants=tuple(
            rules.Grant(
                domains=frozenset(d.name for d in g.domains.all()),
                actions=frozenset(
                    p.codename for p in g.role.permissions.all() if p.content_type.app_label == "reports"
                ),
            )
            for g in grants.distinct().select_related("role")
        ),
    )
    user._dmarc_access = access  # one read per request
    return access


def visible_among(user, with_data: Iterable[str]) -> list[str] | None:
    """The policy domains `user` may see, or None for all of them: those of `with_data` (the domains
    with data, reports.rollups.queries) that a grant covers, and the granted domains themselves."""
    access = access_for(user)
    if access.everything:
        return None
    return sorted(set(access.domains(with_data)) | set(access.granted_names(rules.VIEW)))


def users_for_domain(domain: str):
    """The active users who may see `domain` (a queryset)."""

    grants = AccessGrant.objects.filter(
        role__permissions__codename=rules.VIEW, domains__name__in=rules.parents(domain)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(pk__in=grants.filter(user__isnull=False).values("user"))
            | Q(groups__in=grants.filter(team__isnull=False).values("team"))
        )
        .distinct()
        .order_by("pk")
    )
