"""The role groups, kept present: the migration creates them, and this puts back any that is
missing after a database flush (as the tests do). A group that exists is left as an admin made it."""

from reports.access import rules


def ensure_roles(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    for role, codenames in rules.ROLES.items():
        if Group.objects.filter(name=role).exists():
            continue
        perms = Permission.objects.filter(content_type__app_label="reports", codename__in=codenames)
        Group.objects.create(name=role).permissions.add(*perms)
