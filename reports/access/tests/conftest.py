"""People with different access to the dashboard's scenario (example.com and other.example)."""

import pytest
from django.contrib.auth.models import Group, User

from reports.access.tests.people import person
from reports.models import AccessGrant


@pytest.fixture
def people(db):
    """viewer and operator of example.com, a member of a team that views it, one with no grant, an admin."""
    team = Group.objects.create(name="brand-a")
    member = User.objects.create_user("member", password="pw-member-1")
    member.groups.add(team)
    grant = AccessGrant.objects.create(team=team, role=Group.objects.get(name="viewer"))
    from reports.models import Domain

    grant.domains.add(Domain.objects.get_or_create(name="example.com")[0])
    # Both domains of the scenario are monitored: a grant makes its domain a monitored one, and the
    # other's reports must not be refused as foreign.
    Domain.objects.get_or_create(name="other.example")
    return {
        "viewer": person("viewer", "example.com"),
        "operator": person("operator", "example.com", role="operator"),
        "member": member,
        "nobody": person("nobody"),
        "admin": User.objects.create_superuser("admin", password="pw-admin-1"),
    }
