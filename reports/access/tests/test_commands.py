"""manage.py grant, rotate_encryption_key and ensure_login."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from reports.access import crypto
from reports.models import AccessGrant, AuditEntry, Mailbox

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_grant_gives_a_role_on_domains_and_revoke_takes_them_back(scenario):
    User.objects.create_user("ann", password="pw-ann-1")
    client = Client()
    client.force_login(User.objects.get(username="ann"))
    assert client.get("/").status_code == 403

    assert "ann is viewer of example.com" in run("grant", "ann", "EXAMPLE.com.", "--role", "viewer")
    assert client.get("/?range=30").context["domains"] == ["example.com"]
    assert client.get("/?domain=other.example").status_code == 404

    run("grant", "ann", "other.example", "--role", "operator")
    assert set(client.get("/?range=30").context["domains"]) == {"example.com", "other.example"}
    assert client.post("/rollout/example.com/refresh-dns/").status_code == 403  # viewer there
    grants = {g.role.name: sorted(d.name for d in g.domains.all()) for g in AccessGrant.objects.all()}
    assert grants == {"viewer": ["example.com"], "operator": ["other.example"]}

    run("grant", "ann", "other.example", "--revoke")
    assert client.get("/?domain=other.example").status_code == 404
    assert AccessGrant.objects.filter(role__name="operator").count() == 0  # emptied grants go
    actions = list(AuditEntry.objects.filter(action=AuditEntry.ACCESS).values_list("detail", flat=True))
    assert {"added": ["example.com"], "by": "manage.py grant"} in actions
    assert any(a.get("removed") == ["other.example"] for a in actions)


def test_grant_refuses_unknown_users_roles_and_names(db):
    User.objects.create_user("ann")
    with pytest.raises(CommandError, match="No user named 'bob'"):
        run("grant", "bob", "example.com", "--role", "viewer")
    with pytest.raises(CommandError, match="--role"):
        run("grant", "ann", "example.com")
    with pytest.raises(CommandError, match="not a domain"):
        run("grant", "ann", "localhost", "--role", "viewer")
    with pytest.raises(CommandError):
        run("grant", "ann", "example.com", "--role", "admin")
    assert not AccessGrant.objects.exists()


def raw_password(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM reports_mailbox WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rotation_encrypts_again_with_the_new_key_and_the_old_key_can_then_go(db, settings):
    old, new = crypto.new_key(), crypto.new_key()
    settings.DMARC_ENCRYPTION_KEYS = [old.encode()]
    box = Mailbox.objects.create(name="m", host="h", username="u", password="S3cret-pw")
    assert Fernet(old).decrypt(raw_password(box.pk).encode()) == b"S3cret-pw"

    settings.DMARC_ENCRYPTION_KEYS = [new.encode(), old.encode()]
    assert "1 secret(s)" in run("rotate_encryption_key")
    assert Fernet(new).decrypt(raw_password(box.pk).encode()) == b"S3cret-pw"

    settings.DMARC_ENCRYPTION_KEYS = [new.encode()]
    assert Mailbox.objects.get(pk=box.pk).password == "S3cret-pw"


def test_rotation_stops_with_a_clear_error_when_no_key_fits_and_changes_nothing(db, settings):
    settings.DMARC_ENCRYPTION_KEYS = [crypto.new_key().encode()]
    box = Mailbox.objects.create(name="m", host="h", username="u", password="S3cret-pw")
    before = raw_password(box.pk)
    settings.DMARC_ENCRYPTION_KEYS = [crypto.new_key().encode()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        run("rotate_encryption_key")
    assert raw_password(box.pk) == before


def test_rotation_encrypts_a_password_stored_before_encryption(db):
    box = Mailbox.objects.create(name="m", host="h", username="u")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_mailbox SET password = 'plain-old' WHERE id = %s", [box.pk])
    assert Mailbox.objects.get(pk=box.pk).password == "plain-old"
    run("rotate_encryption_key")
    assert "plain-old" not in raw_password(box.pk)
    assert Mailbox.objects.get(pk=box.pk).password == "plain-old"


def test_a_bad_key_stops_the_start_with_a_clear_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        crypto.parse_keys(f"{crypto.new_key()},not-a-key", "secret")
    assert len(crypto.parse_keys("", "secret")) == 1  # derived from SECRET_KEY
    assert "--new-key" not in run("rotate_encryption_key", "--new-key")
    Fernet(run("rotate_encryption_key", "--new-key").strip())


def test_first_login_is_created_once_with_a_random_password_and_never_reset(db):
    out = run("ensure_login", "--url", "http://127.0.0.1:8000/")
    assert "http://127.0.0.1:8000/" in out
    password = out.split("admin / ")[1].split()[0]
    assert len(password) >= 16 and password != "admin"
    user = User.objects.get()
    assert user.is_superuser and user.check_password(password)

    user.username = "renamed"
    user.save()
    again = run("ensure_login")
    assert password not in again and User.objects.count() == 1
    assert User.objects.get().check_password(password)
    # Any user at all counts: no second admin appears.
    User.objects.all().delete()
    User.objects.create_user("viewer-only")
    run("ensure_login")
    assert list(User.objects.values_list("username", flat=True)) == ["viewer-only"]


def test_missing_role_groups_come_back_after_a_migrate_and_edited_ones_stay(db):
    from django.contrib.auth.models import Group

    operator = Group.objects.get(name="operator")
    operator.permissions.remove(operator.permissions.get(codename="edit_alerts"))
    Group.objects.filter(name="viewer").delete()
    call_command("migrate", verbosity=0)
    assert list(Group.objects.get(name="viewer").permissions.values_list("codename", flat=True)) == [
        "view_domain_pages"
    ]
    assert not Group.objects.get(name="operator").permissions.filter(codename="edit_alerts").exists()
