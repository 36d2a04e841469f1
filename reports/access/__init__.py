"""Who may see which monitored domains, and do what on them.

The rules live in reports.access.rules over plain data; this module reads a
user's grants from the database into them. `visible_domains` and
`users_for_domain` are the one place the rest of the app (pages, alerts) asks.
"""

from __future__ import annotations

from reports.access import rules


def access_for(user):
    """The user's rules.Access: superusers may do everything, others what their grants say."""
    from reports.models import AccessGrant

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


def visible_domains(user) -> list[str] | None:
    """The policy domains `user` may see, or None for all of them: those with data
    that a grant covers, and the granted domains themselves."""
    from reports.models import DomainDay

    access = access_for(user)
    if access.everything:
        return None
    with_data = DomainDay.objects.values_list("domain", flat=True).distinct()
    return sorted(set(access.domains(with_data)) | set(access.granted_names(rules.VIEW)))


def users_for_domain(domain: str):
    """The active users who may see `domain` (a queryset)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from reports.models import AccessGrant

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
