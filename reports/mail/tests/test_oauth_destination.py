"""Every secret follows its destination: after a staff user who may edit mailboxes (but not read their
secrets) points a Microsoft 365 or Google mailbox at a server of their own, no OAuth token reaches it,
neither from a poll nor from "Test connection" run by a real worker. A fake IMAP server that takes
XOAUTH2 logins stands for the attacker's; a token it is sent shows in what it received."""

import base64

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from reports.harness.imap_listener import ImapListener
from reports.harness.waiting import wait_for
from reports.mail import tokens
from reports.mail.errors import MailboxError, base64_forms
from reports.mail.poll import poll
from reports.mail.tasks import poll_mailbox
from reports.mail.tests.conftest import METHODS
from reports.models import AuditEntry, Mailbox

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

SASL = "\x01auth=Bearer "  # what every XOAUTH2 response holds before the token


def holds(received, secret: str) -> bool:
    """Whether `secret` is in `received`, as is or base64-encoded within it."""
    text = received.decode("latin-1") if isinstance(received, bytes | bytearray) else received
    return secret in text or any(core in text for core in base64_forms(secret))


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="pw-editor-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_mailbox", "change_mailbox"]))
    client = Client()
    client.force_login(user)
    return client


def fields(mailbox, **changes) -> dict:
    names = ("name", "auth", "host", "port", "security", "ca_file", "username", "ms_tenant", "ms_client_id")
    names += ("ms_authority", "google_client_id", "folder", "processed_folder", "failed_folder")
    return {"enabled": "on", **{n: getattr(mailbox, n) for n in names}, **changes}


def test_a_fake_server_that_is_sent_a_token_shows_it_and_its_echo_is_scrubbed(
    oauth_settings, make_oauth_mailbox
):
    """The control: a mailbox set up to log in at the listener does send it a token there, which the
    listener echoes back base64-encoded; the stored error keeps none of it."""
    with ImapListener(echo_login=True) as listener:
        mailbox = make_oauth_mailbox("microsoft-secret", port=listener.port)
        with pytest.raises(MailboxError) as raised:
            poll(mailbox)
        received = bytes(listener.received)
    token = tokens.cached(mailbox).access_token
    assert b"AUTHENTICATE XOAUTH2" in received and holds(received, token)
    # The server quoted the base64 SASL string back: scrubbed from the error and the status.
    echoed = base64.b64encode(f"user={mailbox.username}{SASL}{token}\x01\x01".encode()).decode()
    assert echoed.encode() in received
    mailbox.refresh_from_db()
    for text in (str(raised.value), mailbox.last_error):
        assert "refused" in text and not holds(text, token), text


@pytest.mark.parametrize("method", METHODS)
def test_after_a_staff_user_changes_the_port_no_token_leaves_for_the_new_host(
    method, oauth_settings, make_oauth_mailbox, editor
):
    mailbox = make_oauth_mailbox(method)
    poll(mailbox)  # logs in at the real server with a real token, now in this process's cache
    token = tokens.cached(mailbox).access_token
    stored = sorted(name for name in Mailbox.SECRET_FIELDS if getattr(mailbox, name))
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])

    with ImapListener(echo_login=True) as listener:
        response = editor.post(url, fields(mailbox, port=listener.port))
        assert response.status_code == 302
        moved = Mailbox.objects.get(pk=mailbox.pk)
        assert moved.port == listener.port and not any(moved.secret_values())
        with pytest.raises(MailboxError) as raised:
            poll(moved)
        received = bytes(listener.received)

    assert b"AUTHENTICATE" not in received and not holds(received, token) and not holds(received, SASL)
    assert "needs" in str(raised.value)
    entry = AuditEntry.objects.filter(action=AuditEntry.MAILBOX).latest("when")
    assert entry.username == "editor" and entry.detail["cleared"] == stored
    assert "port" in entry.detail["changed"] and f"{stored[0]} (cleared)" in entry.detail["changed"]


def test_an_edit_elsewhere_keeps_the_secrets_and_says_none_changed(
    oauth_settings, make_oauth_mailbox, editor
):
    mailbox = make_oauth_mailbox("google-refresh-token")
    url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])
    assert editor.post(url, fields(mailbox, folder="Reports")).status_code == 302
    assert Mailbox.objects.get(pk=mailbox.pk).secret_values() == mailbox.secret_values()
    entry = AuditEntry.objects.get(action=AuditEntry.MAILBOX)
    assert entry.detail["changed"] == ["folder"] and entry.detail["cleared"] == []


@pytest.mark.slow
@pytest.mark.parametrize("method", ["microsoft-certificate", "google-service-account"])
def test_a_worker_sends_no_token_to_the_new_port_on_test_connection_or_a_poll(
    method, oauth, make_oauth_mailbox, oauth_worker_env, celery_worker, editor
):
    mailbox = make_oauth_mailbox(method)
    celery_worker(**oauth_worker_env)
    changelist = reverse("admin:reports_mailbox_changelist")

    def test_connection():
        Mailbox.objects.filter(pk=mailbox.pk).update(check_result="")
        editor.post(changelist, {"action": "test_connection", "_selected_action": [mailbox.pk]})
        return wait_for(lambda: Mailbox.objects.get(pk=mailbox.pk).check_result, message="the check")

    # The worker logs in at the real server with a token, which it keeps in its memory.
    assert test_connection().startswith("OK: logged in with a")
    with ImapListener(echo_login=True) as listener:
        url = reverse("admin:reports_mailbox_change", args=[mailbox.pk])
        # Another host name (the same machine here) and the listener's port.
        assert editor.post(url, fields(mailbox, host="localhost", port=listener.port)).status_code == 302
        result = test_connection()
        poll_mailbox.delay(mailbox.pk)
        # The poll is over when it has stored its error (it notes the poll's time before that).
        wait_for(lambda: Mailbox.objects.get(pk=mailbox.pk).last_error, message="the poll's error")
        wait_for(lambda: listener.received.count(b"CAPABILITY") >= 2, message="both logins to reach it")
        received = bytes(listener.received)
    assert result.startswith("Failed:") and "needs" in result
    assert b"AUTHENTICATE" not in received and not holds(received, SASL)
    assert "needs" in Mailbox.objects.get(pk=mailbox.pk).last_error
