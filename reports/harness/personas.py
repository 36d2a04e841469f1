"""The people of the tests, one per role, with real grants (`manage.py grant`) on the scenario's
domain. Each signs in with the password pw-NAME-1, in a browser too.

viewer     reads the pages of example.com
operator   also uploads, retries, refreshes DNS, edits alerts and marks senders on example.com
admin      staff with every permission of the app and of users and groups, and no grant: runs
           the admin (mailboxes, access, thresholds), sees no domain's pages
superuser  sees and does everything everywhere

The root conftest.py makes a fixture of each (`viewer`, `operator`, `admin`, `superuser`) and a
signed-in test client of each (`viewer_client`, ... `superuser_client`).
"""

from __future__ import annotations

from io import StringIO

from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client

from reports.harness.builders import OWN

ROLES = ("viewer", "operator", "admin", "superuser")


def password(name: str) -> str:
    return f"pw-{name}-1"


def person(name, *domains, role="viewer", **fields):
    """A user with password pw-NAME-1, granted `role` on `domains` through `manage.py grant`."""
    user = User.objects.create_user(name, password=password(name), **fields)
    if domains:
        call_command("grant", name, *domains, "--role", role, stdout=StringIO())
    return user


def viewer(name="viewer"):
    return person(name, OWN)


def operator(name="operator"):
    return person(name, OWN, role="operator")


def admin(name="admin"):
    user = person(name, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["reports", "auth", "axes"])
    )
    return user


def superuser(name="superuser"):
    return User.objects.create_superuser(name, password=password(name))


def member(name="member", team="brand-a"):
    """A member of a team (a group) that a grant lets view example.com; no grant of their own."""
    from reports.models import AccessGrant, Domain

    group = Group.objects.create(name=team)
    user = person(name)
    user.groups.add(group)
    grant = AccessGrant.objects.create(team=group, role=Group.objects.get(name="viewer"))
    grant.domains.add(Domain.objects.get_or_create(name=OWN)[0])
    return user


def nobody(name="nobody"):
    """Signed in, granted nothing."""
    return person(name)


MAKERS = {"viewer": viewer, "operator": operator, "admin": admin, "superuser": superuser}


def signed_in(user, **client_options) -> Client:
    """A test client with `user` signed in."""
    client = Client(**client_options)
    client.force_login(user)
    return client
