"""Mailbox passwords: encrypted at rest, never sent to a host they were not entered for, scrubbed
from every error, whatever characters they hold."""

import logging

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.urls import reverse

from reports.harness.imap_listener import ImapListener
from reports.harness.personas import person
from reports.harness.report_mail import report_email, small_report
from reports.mail.errors import MailboxError
from reports.mail.poll import poll
from reports.models import AuditEntry, Mailbox, Report

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

HOSTILE = 'p"a\\ss \'w\\"or\\\\d'  # quotes and backslashes, as IMAP and repr() escape them


def stored_password(mailbox) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM reports_mailbox WHERE id = %s", [mailbox.pk])
        return cursor.fetchone()[0]


def every_form(password: str) -> list[str]:
    imap = password.replace("\\", "\\\\").replace('"', '\\"')
    return [password, imap, repr(password)[1:-1], repr(imap)[1:-1], repr(imap.encode())[2:-1],
            repr(password.encode())[2:-1]]  # fmt: skip


@pytest.fixture
def mailbox_editor(db):
    """A staff user who may change mailboxes, and so may not read their passwords: the attacker."""
    user = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_mailbox", "change_mailbox"]))
    client = Client()
    client.force_login(user)
    return client


def admin_fields(mailbox, **changes) -> dict:
    fields = {
        "name": mailbox.name,
        "enabled": "on",
        "host": mailbox.host,
        "port": mailbox.port,
        "security": mailbox.security,
        "ca_file": "",
        "username": mailbox.username,
        "password": "",
        "folder": mailbox.folder,
        "processed_folder": mailbox.processed_folder,
        "failed_folder": mailbox.failed_folder,
    }
    return {**fields, **changes}


def test_the_password_is_encrypted_in_the_database_and_still_logs_in(dovecot, imap_user, make_mailbox):
    mailbox = make_mailbox()
    dovecot.deliver(imap_user, [report_email(small_report(1))])

    raw = stored_password(mailbox)
    assert raw and imap_user.password not in raw and raw.startswith("gAAAAA")
    poll(Mailbox.objects.get(pk=mailbox.pk))
    assert Report.objects.count() == 1
    assert Mailbox.objects.get(pk=mailbox.pk).password == imap_user.password


def test_a_new_host_never_receives_the_old_password(dovecot, imap_user, make_mailbox, mailbox_editor, caplog):
    mailbox = make_mailbox()
    poll(mailbox)  # the password works against the real server
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])

    with ImapListener() as listener:
        response = mailbox_editor.post(url, admin_fields(mailbox, port=listener.port))
        assert response.status_code == 302
        moved = Mailbox.objects.get(pk=mailbox.pk)
        assert moved.port == listener.port and moved.password == ""
        with caplog.at_level(logging.DEBUG), pytest.raises(MailboxError):
            poll(moved)
        received = bytes(listener.received)

    assert b"LOGIN" in received  # the poll did reach the new host, and logged in there
    assert imap_user.password.encode() not in received
    entry = AuditEntry.objects.get(action=AuditEntry.MAILBOX)
    assert entry.username == "editor" and "password (cleared)" in entry.detail["changed"]
    assert imap_user.password not in caplog.text


@pytest.mark.parametrize(
    "change", [{"username": "someone-else"}, {"security": "starttls"}, {"host": "localhost"}]
)
def test_any_change_of_destination_clears_the_password(dovecot, make_mailbox, mailbox_editor, change):
    mailbox = make_mailbox()
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])
    assert mailbox_editor.post(url, admin_fields(mailbox, **change)).status_code == 302
    assert Mailbox.objects.get(pk=mailbox.pk).password == ""


def test_a_password_entered_with_the_new_host_is_kept_and_other_edits_keep_the_old(
    dovecot, imap_user, make_mailbox, mailbox_editor
):
    mailbox = make_mailbox()
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])
    mailbox_editor.post(url, admin_fields(mailbox, folder="Other"))
    assert Mailbox.objects.get(pk=mailbox.pk).password == imap_user.password
    mailbox_editor.post(url, admin_fields(mailbox, host="localhost", password="Typed-Again-1"))
    assert Mailbox.objects.get(pk=mailbox.pk).password == "Typed-Again-1"


def test_a_password_with_quotes_and_backslashes_is_scrubbed_everywhere(db, caplog):
    admin = Client()
    admin.force_login(User.objects.create_superuser("boss", password="pw-boss-1"))
    viewer = Client()
    viewer.force_login(person("viewer", "example.com"))

    with ImapListener(echo_login=True) as listener:
        mailbox = Mailbox.objects.create(
            name="chatty",
            host="127.0.0.1",
            port=listener.port,
            security="none",
            username="u",
            password=HOSTILE,
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(MailboxError) as raised:
            poll(mailbox)
        received = bytes(listener.received)

    # The server did quote the password back: the scrub had something to remove.
    assert HOSTILE.replace("\\", "\\\\").replace('"', '\\"').encode() in received
    mailbox.refresh_from_db()
    page = admin.get(reverse("status")).content.decode()
    import html

    assert "refused" in mailbox.last_error and "********" in mailbox.last_error
    for text in (str(raised.value), mailbox.last_error, caplog.text, html.unescape(page)):
        for form in every_form(HOSTILE):
            assert form not in text, (form, text)
    assert HOSTILE not in stored_password(mailbox)
    # Others see that the mailbox fails and since when, not what its host answered, nor the host.
    seen = viewer.get(reverse("status")).content.decode()
    assert "Failing since" in seen and "its first poll" in seen
    assert "refused" not in seen and "127.0.0.1" not in seen and "AUTHENTICATIONFAILED" not in seen
    assert "AUTHENTICATIONFAILED" in page and "127.0.0.1" in page
