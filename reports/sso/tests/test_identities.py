"""Who signs in: users found by (issuer, subject) and kept in step with the provider's claims."""

import pytest
from django.contrib.auth.models import Group, User

from reports.harness import personas
from reports.sso.identities import sign_in

pytestmark = pytest.mark.django_db
ISSUER = "https://idp.example"


def test_the_subject_not_the_email_finds_the_user_and_the_claims_keep_it_in_step(settings):
    settings.DMARC_OIDC_ADMIN_GROUPS = ["dmarc-admins"]
    personas.viewer("ann")  # a local account of the same name: not theirs
    first = sign_in(
        ISSUER, {"sub": "s-1", "preferred_username": "ann", "email": "ann@x", "groups": ["dmarc-admins"]}
    )
    assert first.username == "ann-2" and first.is_staff and first.has_perm("reports.view_report")
    again = sign_in(ISSUER, {"sub": "s-1", "email": "ann@new.example", "name": "Ann Lee", "groups": ["team"]})
    assert again.pk == first.pk and again.email == "ann@new.example" and again.first_name == "Ann"
    again = User.objects.get(pk=first.pk)
    assert not again.is_staff and not again.has_perm("reports.view_report")  # left the admin group
    assert list(again.groups.values_list("name", flat=True)) == ["team"]
    # Another provider's s-1 is somebody else.
    assert sign_in("https://other-idp.example", {"sub": "s-1", "email": "ann@x"}).pk != first.pk


def test_a_role_is_never_taken_from_the_provider(db):
    user = sign_in(ISSUER, {"sub": "s-2", "groups": ["operator", "viewer", "brand"]})
    assert list(user.groups.values_list("name", flat=True)) == ["brand"]
    assert Group.objects.get(name="operator").permissions.exists()
