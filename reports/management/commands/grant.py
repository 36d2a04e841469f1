from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reports.access import audit, rules
from reports.access.models import AccessGrant, AuditEntry
from reports.domains.models import Domain
from reports.shared.names import normalise


class Command(BaseCommand):
    help = (
        "Grant a user a role on monitored domains (subdomains included), or take domains back with --revoke."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("domains", nargs="+", metavar="DOMAIN")
        parser.add_argument("--role", choices=[rules.VIEWER, rules.OPERATOR], help="required unless --revoke")
        parser.add_argument(
            "--revoke", action="store_true", help="take the domains back (from --role only, if given)"
        )

    @transaction.atomic
    def handle(self, *args, username, domains, role, revoke, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}") from None
        names = sorted({normalise(d) for d in domains})
        for name in names:
            if not name or "." not in name or len(name) > 253:
                raise CommandError(f"{name!r} is not a domain name")
        if revoke:
            self._revoke(user, names, role)
            return
        if not role:
            raise CommandError("--role viewer|operator is required to grant")
        try:
            group = Group.objects.get(name=role)
        except Group.DoesNotExist:
            raise CommandError(f"The role group {role!r} is missing: run `manage.py migrate`") from None
        grant, _ = AccessGrant.objects.get_or_create(user=user, role=group)
        grant.domains.add(*(Domain.objects.get_or_create(name=n)[0] for n in names))
        audit.record(None, AuditEntry.ACCESS, str(grant), by="manage.py grant", added=names)
        self.stdout.write(f"{username} is {role} of {', '.join(names)}")

    def _revoke(self, user, names, role):
        grants = AccessGrant.objects.filter(user=user)
        if role:
            grants = grants.filter(role__name=role)
        removed = 0
        for grant in grants:
            held = list(grant.domains.filter(name__in=names))
            grant.domains.remove(*held)
            removed += len(held)
            audit.record(None, AuditEntry.ACCESS, str(grant), by="manage.py grant --revoke", removed=names)
            if not grant.domains.exists():
                grant.delete()
        self.stdout.write(f"{user.username}: {removed} grant(s) of {', '.join(names)} revoked")
