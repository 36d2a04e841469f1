"""Who signs in: the user of a provider's (issuer, subject), created on the first sign-in, with email,
names, groups and the admin flag kept in step with the provider's claims at every sign-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from reports.access import audit
from reports.access.models import AuditEntry
from reports.sso import rules
from reports.sso.models import SsoIdentity

# What the admin role is: staff with every permission of the app, its users and groups, and the
# sign-in locks (as an admin made by hand; see the README's "Who may see and do what").
ADMIN_APPS = ("reports", "auth", "axes")


def sign_in(issuer: str, claims: dict):
    """The user of these claims (created if new), brought in step with them."""
    User = get_user_model()
    claimed = rules.claimed_groups(claims, settings.DMARC_OIDC_GROUPS_CLAIM)
    with transaction.atomic():
        identity = (
            SsoIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=claims["sub"])
            .first()
        )
        created = identity is None
        if created:
            user = User(username=_free_username(User, rules.username_base(claims)))
            user.set_unusable_password()  # they sign in at the provider, never here with a password
            user.save()
            identity = SsoIdentity.objects.create(issuer=issuer, subject=claims["sub"], user=user)
        user = identity.user
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        user.email = email[:254]
        user.first_name, user.last_name = rules.names(claims)
        _sync_groups(user, claimed)
        _sync_admin(user, rules.is_admin(claimed, settings.DMARC_OIDC_ADMIN_GROUPS))
        user.save()
        identity.last_sign_in = timezone.now()
        identity.save(update_fields=["last_sign_in"])
        audit.record(
            user, AuditEntry.SIGN_IN, "single sign-on", issuer=issuer, created=created, groups=claimed
        )
    return user


def _free_username(User, base: str) -> str:
    name, n = base, 1
    # A local account of the same name is not theirs: the new user gets another name.
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base[:140]}-{n}"
    return name


def _sync_groups(user, claimed: list[str]) -> None:
    roles = set(Group.objects.filter(permissions__isnull=False).values_list("name", flat=True))
    current = list(user.groups.values_list("name", flat=True))
    wanted = rules.groups_after_sign_in(claimed, current, roles)
    for name in wanted - set(current):
        Group.objects.get_or_create(name=name)
    user.groups.set(Group.objects.filter(name__in=wanted))


def _sync_admin(user, admin: bool) -> None:
    if user.is_superuser:
        return  # a superuser is made on the command line, and stays one
    perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    if admin:
        user.is_staff = True
        user.user_permissions.add(*perms)
    elif user.is_staff:
        user.is_staff = False
        user.user_permissions.remove(*perms)
