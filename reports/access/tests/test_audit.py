"""The audit trail: who retried a message, changed access in the admin, and when; admins read it."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from reports.harness.personas import signed_in
from reports.harness.report_mail import plain_email
from reports.models import AccessGrant, AuditEntry, Domain, Mailbox, MailMessage

pytestmark = pytest.mark.django_db


client_of = signed_in


def test_an_operators_retry_is_recorded_and_a_viewers_is_refused(people):
    mailbox = Mailbox.objects.create(name="m", host="h", username="u", password="pw")
    msg = MailMessage.objects.create(
        mailbox=mailbox, folder="INBOX", uidvalidity=1, uid=7, raw=plain_email(), state=MailMessage.FAILED,
        outcomes=[{"status": "rejected", "domain": "example.com", "error": "broken"}],
    )  # fmt: skip
    url = reverse("retry_message", args=[msg.pk])
    assert client_of(people["viewer"]).post(url).status_code == 403
    assert MailMessage.objects.get(pk=msg.pk).state == MailMessage.FAILED

    before = timezone.now()
    assert client_of(people["operator"]).post(url).status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.RETRY)
    assert entry.user == people["operator"] and "UID 7" in entry.target and entry.when >= before
    assert entry.detail["domains"] == ["example.com"]


def test_access_changes_in_the_admin_are_recorded_and_readable_there_only_by_admins(people):
    admin = client_of(people["superuser"])
    team = Group.objects.create(name="brand-b")
    domain = Domain.objects.create(name="brand-b.example")
    response = admin.post(
        reverse("admin:reports_accessgrant_add"),
        {"team": team.pk, "role": Group.objects.get(name="operator").pk, "domains": [domain.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = AccessGrant.objects.get(team=team)
    entry = AuditEntry.objects.filter(action=AuditEntry.ACCESS, user=people["superuser"]).get()
    assert entry.detail == {"created": True, "role": "operator", "domains": ["brand-b.example"]}

    admin.post(reverse("admin:reports_accessgrant_delete", args=[grant.pk]), {"post": "yes"})
    assert not AccessGrant.objects.filter(pk=grant.pk).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.ACCESS, detail__deleted=True).count() == 1

    listing = admin.get(reverse("admin:reports_auditentry_changelist"))
    assert listing.status_code == 200 and "brand-b" in listing.content.decode()
    assert (
        client_of(people["operator"]).get(reverse("admin:reports_auditentry_changelist")).status_code == 302
    )


def test_a_grant_names_a_user_or_a_team_never_both_nor_neither(people):
    admin = client_of(people["superuser"])
    role = Group.objects.get(name="viewer").pk
    domain = Domain.objects.get(name="example.com").pk
    for holder in ({}, {"user": people["nobody"].pk, "team": Group.objects.get(name="brand-a").pk}):
        response = admin.post(
            reverse("admin:reports_accessgrant_add"), {**holder, "role": role, "domains": [domain]}
        )
        assert response.status_code == 200 and b"errornote" in response.content
    assert AccessGrant.objects.filter(user=people["nobody"]).count() == 0


def test_making_a_user_superuser_or_changing_their_groups_is_recorded(people):
    admin = client_of(people["superuser"])
    user = people["nobody"]
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = {
        "username": user.username,
        "is_active": "on",
        "is_superuser": "on",
        "groups": [Group.objects.get(name="brand-a").pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    response = admin.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(target="user nobody")
    assert entry.user == people["superuser"]
    assert set(entry.detail["changed"]) == {"is_superuser", "groups"}
    assert entry.detail["superuser"] is True and entry.detail["groups"] == ["brand-a"]
